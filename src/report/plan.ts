// The AWS and registry calls a real run would make, in order, for the dry-run plan. Pure.
import type { Settings } from '../inputs/settings';
import { parseEcrHost, parseImageReference } from '../registry/reference';

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

  if (settings.mode === 'run-task') {
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
    calls.push({
      phase: 'migrate',
      call: 'ecs:DescribeTasks, logs:GetLogEvents',
      detail: `every ${settings.pollIntervalSeconds} s until it stops; a non-zero exit stops the run before the service is touched`,
    });
  }
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
