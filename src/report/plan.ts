// The AWS and registry calls a real run would make, in order, for the dry-run plan. Pure.
import { EXEC_ORDER_MEANINGS, TX_MODE_MEANINGS } from '../inputs/atlas-options';
import type { Settings } from '../inputs/settings';
import type { RuntimevarSource } from '../migrations/env-contract';
import { atlasCommandLine } from './command-line';
import { parseEcrHost, parseImageReference } from '../registry/reference';
import {
  buildMigrationCommand,
  migrationCommandOptions,
  type MigrationCommandOptions,
} from '../taskdef/command';

export interface PlannedCall {
  readonly phase: 'pre-flight' | 'push' | 'migrate' | 'deploy' | 'watch' | 'on failure';
  readonly call: string;
  readonly detail: string;
}

export interface PlanContext {
  readonly family: string;
  readonly imageReference: string;
  /** Blobs a push would check (base layers, the new layer, the config). */
  readonly blobCount: number;
  readonly tags: readonly string[];
  /** The env's runtimevars read from AWS (awssecretsmanager, awsparamstore). */
  readonly runtimevars?: readonly RuntimevarSource[];
}

export const POLL_INTERVAL_SECONDS = 15;

export function planDeploy(settings: Settings, ctx: PlanContext): PlannedCall[] {
  const calls: PlannedCall[] = [];
  const service = settings.service ?? '<service>';
  const target = `cluster ${settings.cluster}, service ${service}`;
  calls.push({
    phase: 'pre-flight',
    call: 'ecs:DescribeServices',
    detail: `${target}: exists, ACTIVE, ECS deployment controller`,
  });
  const td = settings.taskDefinition;
  if (td.kind !== 'file') {
    const which =
      td.kind === 'service'
        ? "the service's current task definition"
        : td.kind === 'arn'
          ? td.arn
          : td.kind === 'family'
            ? `latest ACTIVE ${td.family}`
            : `${td.family}:${td.revision}`;
    calls.push({
      phase: 'pre-flight',
      call: 'ecs:DescribeTaskDefinition',
      detail: `${which}, include TAGS`,
    });
  }
  if (settings.databaseUrlSecret) {
    calls.push({
      phase: 'pre-flight',
      call: 'secretsmanager:DescribeSecret',
      detail: `${settings.databaseUrlSecret}: exists; its full ARN goes into valueFrom`,
    });
  }
  if (settings.atlasTokenSecret) {
    calls.push({
      phase: 'pre-flight',
      call: 'secretsmanager:DescribeSecret',
      detail: `${settings.atlasTokenSecret}: exists; its full ARN goes into valueFrom of ATLAS_TOKEN`,
    });
  }
  for (const source of ctx.runtimevars ?? []) {
    const paramstore = source.scheme === 'awsparamstore';
    calls.push({
      phase: 'pre-flight',
      call: paramstore ? 'ssm:GetParameter' : 'secretsmanager:DescribeSecret',
      detail: `${source.name} in ${source.region ?? "the task's region"}${paramstore ? ', without decryption' : ''}: data "runtimevar" "${source.label}" exists (Atlas reads it in the task with the task role)`,
    });
  }

  const repository = settings.imageRepository
    ? parseImageReference(settings.imageRepository)
    : undefined;
  if (repository && parseEcrHost(repository.registry)) {
    calls.push({
      phase: 'push',
      call: 'ecr:GetAuthorizationToken',
      detail: `registry ${repository.registry}`,
    });
  }
  if (settings.atlasImage.kind === 'registry') {
    calls.push({
      phase: 'push',
      call: 'GET manifest',
      detail: `base ${settings.atlasImage.reference}, then its config and missing layers`,
    });
  }
  calls.push({
    phase: 'push',
    call: 'HEAD blob',
    detail: `${ctx.blobCount} blobs; only missing ones are uploaded (or mounted)`,
  });
  calls.push({
    phase: 'push',
    call: 'PUT manifest',
    detail: `by digest, then tags ${ctx.tags.join(', ')}`,
  });

  if (settings.mode === 'run-task' || settings.mode === 'plan') {
    calls.push({
      phase: 'migrate',
      call: 'ecs:RegisterTaskDefinition',
      detail: `family ${ctx.family}-migrate: the migration container ${settings.containerName} alone → ${ctx.imageReference}`,
    });
    calls.push({
      phase: 'migrate',
      call: 'ecs:RunTask',
      detail:
        "once, with the service's network configuration and launch type or capacity providers",
    });
    calls.push(migrationStep(settings, 'in the migration container of that task'));
    calls.push({
      phase: 'migrate',
      call: 'ecs:DescribeTasks, logs:GetLogEvents',
      detail:
        settings.mode === 'plan'
          ? `every ${settings.pollIntervalSeconds} s until it stops, then Atlas's report of what a deploy would apply; the service is never updated`
          : `every ${settings.pollIntervalSeconds} s until it stops; a non-zero exit stops the run before the service is touched`,
    });
  }
  if (settings.mode === 'plan') return calls;
  calls.push({
    phase: 'deploy',
    call: 'ecs:RegisterTaskDefinition',
    detail:
      settings.mode === 'run-task'
        ? `family ${ctx.family}, without a migration container`
        : `family ${ctx.family}, migration container ${settings.containerName} → ${ctx.imageReference}`,
  });
  calls.push({
    phase: 'deploy',
    call: 'ecs:UpdateService',
    detail: `${target}, the new revision${settings.forceNewDeployment ? ', forceNewDeployment' : ''}`,
  });
  if (settings.mode !== 'run-task') {
    calls.push(
      migrationStep(
        settings,
        `in the ${settings.containerName} container of each new task, before the app containers start`,
      ),
    );
  }
  if (settings.waitForServiceStability) {
    calls.push({
      phase: 'watch',
      call: 'ecs:DescribeServices, ecs:ListTasks, ecs:DescribeTasks',
      detail: `every ${settings.pollIntervalSeconds} s for up to ${settings.waitTimeoutMinutes} min: rollout state, events, stopped tasks`,
    });
    calls.push({
      phase: 'on failure',
      call: 'logs:GetLogEvents',
      detail: `the tail of the ${settings.containerName} container's log stream`,
    });
    if (settings.rollbackOnFailure) {
      calls.push({
        phase: 'on failure',
        call: 'ecs:UpdateService',
        detail: `${target}, back to the previous task definition`,
      });
    }
  }
  return calls;
}

/** The Atlas command the migration container runs, and what its typed options do. */
function migrationStep(settings: Settings, where: string): PlannedCall {
  const options = migrationCommandOptions(settings);
  const command = atlasCommandLine(buildMigrationCommand(options));
  const described = describeAtlasOptions(options);
  return {
    phase: 'migrate',
    call: 'atlas migrate apply',
    detail: `${where}: ${command}${described.length > 0 ? `. Atlas options: ${described.join('; ')}` : ''}`,
  };
}

/** The typed options in words, in the order the command passes them. */
export function describeAtlasOptions(options: MigrationCommandOptions): string[] {
  const lines: string[] = [];
  if (options.baseline) {
    lines.push(
      `baseline ${options.baseline} (a database without revisions is taken to be at that version; only later files are applied)`,
    );
  }
  if (options.allowDirty) {
    lines.push('allow-dirty (a database that already holds other objects is migrated)');
  }
  if (options.execOrder) {
    lines.push(`exec-order ${options.execOrder} (${EXEC_ORDER_MEANINGS[options.execOrder]})`);
  }
  if (options.txMode) {
    lines.push(`tx-mode ${options.txMode} (${TX_MODE_MEANINGS[options.txMode]})`);
  }
  if (options.revisionsSchema) {
    lines.push(
      `revisions-schema ${options.revisionsSchema} (where Atlas keeps its revisions table)`,
    );
  }
  if (options.toVersion) {
    lines.push(`to-version ${options.toVersion} (no file after that version is applied)`);
  }
  if (options.vars && options.vars.length > 0) {
    lines.push(`vars ${options.vars.map((v) => `${v.name}=${v.value}`).join(', ')}`);
  }
  if (options.dryRun)
    lines.push('dry run (Atlas reports what it would apply and executes nothing)');
  return lines;
}
