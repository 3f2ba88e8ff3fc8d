// The deploy phase end to end: register + UpdateService, watch, roll back when the migration (or
// the rollout) failed, and say what happened. Never throws for a failed deployment: the report
// carries the error, so the caller can set outputs and the summary before failing the step.
import type { Settings } from '../inputs/settings';
import type { RegisterTaskDefinitionJson } from '../taskdef';
import { readAppliedReport, type MigrationRead } from './applied-report';
import { deploy, type Deployed, type RegisteredTaskDefinition } from './deploy';
import type { Preflight } from './preflight';
import { describeRollback } from './rollback-words';
import { serviceDeploymentId } from './service-deployment';
import {
  STOPPABLE_STATUSES,
  rollbackUnlessReplaced,
  type ReplacingDeployment,
  type RollbackResult,
  type RollbackWait,
} from './rollback';
import {
  watchDeployment,
  watchOptionsFromSettings,
  type WatchDeps,
  type WatchFailure,
  type WatchOptions,
  type WatchOutcome,
  type WatchTimeout,
} from './watch';

export type DeploymentSettings = Pick<
  Settings,
  | 'cluster'
  | 'containerName'
  | 'forceNewDeployment'
  | 'waitForServiceStability'
  | 'waitTimeoutMinutes'
  | 'pollIntervalSeconds'
  | 'rollbackOnFailure'
>;

export type MigrationStatus = 'succeeded' | 'failed' | 'skipped';

/** The step's failure: what went wrong, and what was done about it. */
export class DeploymentFailedError extends Error {
  /** What went wrong: the message's first part, without what was done about it. */
  readonly problem: string;

  constructor(
    readonly outcome: WatchFailure | WatchTimeout,
    readonly rollback: RollbackResult | undefined,
    parts: FailureParts,
  ) {
    super(`${parts.what}\n${parts.after}`);
    this.problem = parts.what;
    this.name = 'DeploymentFailedError';
  }
}

/** The step's failure in two parts: what went wrong, then what was done about it. */
export interface FailureParts {
  readonly what: string;
  readonly after: string;
}

export interface DeploymentReport {
  readonly deployed: Deployed;
  /** Absent when wait-for-service-stability is false. */
  readonly outcome: WatchOutcome | undefined;
  readonly rollback: RollbackResult | undefined;
  /** Set when a rollback was due but another deployment had replaced ours: it was left alone. */
  readonly replacedBy?: ReplacingDeployment;
  readonly migrationStatus: MigrationStatus;
  /**
   * Atlas's report: of the task whose migration failed, or of the task that applied the files.
   * Absent when no migration container is known to have run.
   */
  readonly migration?: MigrationRead;
  /** Set when the step must fail; throw it after writing outputs and the summary. */
  readonly error: DeploymentFailedError | undefined;
  /** Rolled back for another service's failure (several services in one step), not its own. */
  readonly rolledBackWith?: string;
}

/** What the migration did, as far as the outcome tells. */
export function migrationStatusOf(
  outcome: WatchOutcome | undefined,
  desiredCount: number,
): MigrationStatus {
  if (!outcome) return 'skipped';
  if (outcome.status === 'succeeded') return desiredCount === 0 ? 'skipped' : 'succeeded';
  if (outcome.status === 'failed' && outcome.kind === 'migration') return 'failed';
  // The app failed, the wait ended or another deployment replaced ours: the migration succeeded
  // if a task says so (a stopped one, or for a replaced deployment one still running).
  const migrated =
    outcome.stoppedTasks.some((t) => t.migrationExitCode === 0) ||
    (outcome.status === 'failed' && (outcome.tasksMigrated ?? 0) > 0);
  if (migrated) return 'succeeded';
  // Replaced before any of its tasks told: the migration did not run under this deployment.
  const replaced = outcome.status === 'failed' && outcome.cause === 'superseded';
  const told = outcome.stoppedTasks.some((t) => t.migrationExitCode !== undefined);
  return replaced && !told ? 'skipped' : 'failed';
}

/** Whether this action puts the previous revision back for an outcome. */
export function shouldRollBack(outcome: WatchOutcome, rollbackOnFailure: boolean): boolean {
  if (!rollbackOnFailure || outcome.status !== 'failed') return false;
  // ECS already rolled back, or someone else's deployment replaced ours: leave it alone.
  return outcome.kind === 'migration' || outcome.cause === 'failed';
}

export interface FailureContext {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  readonly previousTaskDefinitionArn: string;
  readonly waitTimeoutMinutes: number;
  readonly rollbackOnFailure: boolean;
  /** The deployment that replaced ours before the rollback was due (no rollback then). */
  readonly replacedBy?: ReplacingDeployment;
}

/** The message the step fails with. */
export function failureMessage(
  outcome: WatchFailure | WatchTimeout,
  rollbackResult: RollbackResult | undefined,
  context: FailureContext,
): string {
  const { what, after } = failureParts(outcome, rollbackResult, context);
  return `${what}\n${after}`;
}

function failureParts(
  outcome: WatchFailure | WatchTimeout,
  rollbackResult: RollbackResult | undefined,
  context: FailureContext,
): FailureParts {
  let what: string;
  if (outcome.status === 'timeout' && outcome.stoppedWatching) {
    what = `Stopped watching the deployment after ${outcome.polls} polls, its outcome unknown: ${outcome.stoppedWatching}`;
  } else if (outcome.status === 'timeout') {
    const events = outcome.lastEvents.slice(-3);
    what = `Deployment did not finish within ${context.waitTimeoutMinutes} min (rollout ${outcome.rolloutState ?? 'state unknown'})${events.length > 0 ? `. Last events:\n${events.join('\n')}` : ''}`;
  } else if (outcome.kind === 'migration') {
    const cause =
      outcome.errorLines.length > 0
        ? outcome.errorLines.join('\n')
        : outcome.logTail.length > 0
          ? `No "Error:" line in its log; its last lines:\n${outcome.logTail.slice(-10).join('\n')}`
          : `Its log could not be read: ${outcome.logProblem ?? 'the stream is empty'}`;
    what = `Migration failed (exit code ${outcome.exitCode}, task ${outcome.taskArn}):\n${cause}`;
  } else {
    const reason = outcome.reason.replace(/[.;\s]+$/, '');
    what = `Deployment failed: ${reason}.`;
  }
  let after: string;
  if (context.replacedBy) {
    const by = context.replacedBy;
    after = `Not rolled back: deployment ${by.id} (${by.taskDefinitionArn ?? 'unknown task definition'}), started by someone else, had replaced this one; rolling back would have undone it, so the service was left to it.`;
  } else if (rollbackResult) {
    after = describeRollback(rollbackResult, context.previousTaskDefinitionArn);
  } else if (
    outcome.status === 'failed' &&
    outcome.kind === 'rollout' &&
    outcome.cause !== 'failed'
  ) {
    after =
      outcome.cause === 'rolled-back'
        ? `ECS rolled the service back to ${context.previousTaskDefinitionArn}.`
        : 'Another deployment replaced this one; the service was left to it.';
  } else if (outcome.status === 'timeout') {
    after = `The service was left as it is: ECS keeps rolling out ${context.taskDefinitionArn}.`;
    if (outcome.stoppedWatching) {
      after += ` Check the deployment in the ECS console; to roll back: aws ecs update-service --cluster ${context.cluster} --service ${context.service} --task-definition ${context.previousTaskDefinitionArn}`;
    }
  } else {
    after = context.rollbackOnFailure
      ? 'The service was not rolled back.'
      : `rollback-on-failure is false: the service stays on ${context.taskDefinitionArn}, and ECS keeps starting tasks that fail.`;
  }
  return { what, after };
}

export interface RunDeploymentRequest {
  readonly settings: DeploymentSettings;
  readonly preflight: Preflight;
  /** patchTaskDefinition's result. */
  readonly taskDefinition: RegisterTaskDefinitionJson;
  /** A registered revision equal to taskDefinition, deployed instead of registering a new one. */
  readonly existing?: RegisteredTaskDefinition;
  /** Read Atlas's report from the tasks that migrated. Default true; run-task's tasks do not. */
  readonly readMigrationReport?: boolean;
}

/** Told once UpdateService started the rollout, e.g. to record a GitHub deployment; never throws. */
export interface RolloutListener {
  readonly rolloutStarted?: (deployed: Deployed) => Promise<void>;
}

export async function runDeployment(
  request: RunDeploymentRequest,
  deps: WatchDeps & RolloutListener,
  watchOverrides: Partial<WatchOptions> = {},
): Promise<DeploymentReport> {
  const deployed = await startDeployment(request, deps);
  if (!request.settings.waitForServiceStability) return notWaited(deployed, deps);
  const outcome = await watchStarted(request, deployed, deps, watchOverrides);
  return concludeDeployment(request, deployed, outcome, deps, watchOverrides);
}

/** Registers the revision (unless an existing one fits) and updates the service to it. */
export async function startDeployment(
  request: RunDeploymentRequest,
  deps: WatchDeps & RolloutListener,
): Promise<Deployed> {
  const { settings, preflight } = request;
  const deployed = await deploy(deps.ecs, deps.io, {
    cluster: settings.cluster,
    service: preflight.serviceName,
    taskDefinition: request.taskDefinition,
    forceNewDeployment: settings.forceNewDeployment,
    previousTaskDefinitionArn: preflight.previousTaskDefinitionArn,
    ...(request.existing ? { existing: request.existing } : {}),
  });
  await deps.rolloutStarted?.(deployed);
  return deployed;
}

/** wait-for-service-stability false: the deployment is started, its outcome unknown. */
export function notWaited(deployed: Deployed, deps: WatchDeps): DeploymentReport {
  deps.io.info(
    'wait-for-service-stability is false: not waiting for the rollout, so the migration result is not known',
  );
  return {
    deployed,
    outcome: undefined,
    rollback: undefined,
    migrationStatus: 'skipped',
    error: undefined,
  };
}

/** Watches a started deployment until it settles, fails, times out, or `stopWhen` says stop. */
export function watchStarted(
  request: RunDeploymentRequest,
  deployed: Deployed,
  deps: WatchDeps,
  watchOverrides: Partial<WatchOptions> = {},
): Promise<WatchOutcome> {
  const { settings, preflight } = request;
  return watchDeployment(
    {
      cluster: settings.cluster,
      service: preflight.serviceName,
      deploymentId: deployed.deploymentId,
      taskDefinitionArn: deployed.taskDefinitionArn,
      previousTaskDefinitionArn: deployed.previousTaskDefinitionArn,
      migrationContainer: settings.containerName,
      registeredTaskDefinition: deployed.registeredTaskDefinition,
      ...(deployed.deploymentCreatedAt ? { eventsSince: deployed.deploymentCreatedAt } : {}),
      ...(deployed.serviceDeploymentArn
        ? { serviceDeploymentArn: deployed.serviceDeploymentArn }
        : {}),
    },
    deps,
    watchOptionsFromSettings(settings, watchOverrides),
  );
}

/**
 * From the watch's outcome: Atlas's report, the rollback when one is due (or `forceRollback`: a
 * service deployed with others whose migration failed), and the error the step fails with.
 */
export async function concludeDeployment(
  request: RunDeploymentRequest,
  deployed: Deployed,
  outcome: WatchOutcome,
  deps: WatchDeps,
  watchOverrides: Partial<WatchOptions> = {},
  forceRollback?: string,
): Promise<DeploymentReport> {
  const { settings, preflight } = request;
  const migrationStatus = migrationStatusOf(outcome, preflight.desiredCount);
  const migration =
    request.readMigrationReport === false
      ? undefined
      : await migrationReport(
          outcome,
          migrationStatus,
          {
            cluster: settings.cluster,
            deploymentId: deployed.deploymentId,
            containerName: settings.containerName,
            taskDefinition: deployed.registeredTaskDefinition,
          },
          deps,
          watchOptionsFromSettings(settings, watchOverrides),
        );
  const read = migration ? { migration } : {};
  if (outcome.status === 'succeeded' && !forceRollback) {
    if (preflight.desiredCount === 0) {
      deps.io.warning('The service has a desired count of 0: no task ran the migration');
    }
    return { deployed, outcome, rollback: undefined, migrationStatus, ...read, error: undefined };
  }

  // A run racing ours may have replaced our deployment: never roll back over it.
  const due = forceRollback
    ? settings.rollbackOnFailure && !leftToEcsOrAnotherRun(outcome)
    : shouldRollBack(outcome, settings.rollbackOnFailure);
  const attempt = due
    ? await rollbackUnlessReplaced(
        deps.ecs,
        deps.io,
        {
          cluster: settings.cluster,
          service: preflight.serviceName,
          previousTaskDefinitionArn: deployed.previousTaskDefinitionArn,
          failedTaskDefinitionArn: deployed.taskDefinitionArn,
          deploymentId: deployed.deploymentId,
          ...stoppableServiceDeployment(outcome, deployed, deps),
        },
        rollbackWait(settings, deps, watchOverrides),
      )
    : undefined;
  const rollbackResult = attempt?.kind === 'attempted' ? attempt.result : undefined;
  const replacedBy = attempt?.kind === 'replaced' ? attempt.by : undefined;
  const context = {
    cluster: settings.cluster,
    service: preflight.serviceName,
    taskDefinitionArn: deployed.taskDefinitionArn,
    previousTaskDefinitionArn: deployed.previousTaskDefinitionArn,
    waitTimeoutMinutes: settings.waitTimeoutMinutes,
    rollbackOnFailure: settings.rollbackOnFailure,
    ...(replacedBy ? { replacedBy } : {}),
  };
  const parts: FailureParts =
    outcome.status === 'succeeded'
      ? {
          what: forceRollback!,
          after: rollbackResult
            ? describeRollback(rollbackResult, deployed.previousTaskDefinitionArn)
            : settings.rollbackOnFailure
              ? 'It was not rolled back.'
              : `rollback-on-failure is false: the service stays on ${deployed.taskDefinitionArn}.`,
        }
      : failureParts(outcome, rollbackResult, context);
  const failure: WatchFailure | WatchTimeout =
    outcome.status === 'succeeded'
      ? {
          ...outcome,
          status: 'timeout',
          lastEvents: [],
          rolloutState: 'COMPLETED',
          stoppedWatching: forceRollback,
        }
      : outcome;
  return {
    deployed,
    outcome,
    rollback: rollbackResult,
    ...(replacedBy ? { replacedBy } : {}),
    migrationStatus,
    ...read,
    error: new DeploymentFailedError(failure, rollbackResult, parts),
    ...(forceRollback && !(outcome.status === 'failed') ? { rolledBackWith: forceRollback } : {}),
  };
}

/**
 * Nothing of ours to roll back: ECS already put the previous revision back (circuit breaker,
 * alarms), or another run's deployment replaced ours.
 */
function leftToEcsOrAnotherRun(outcome: WatchOutcome): boolean {
  return outcome.status === 'failed' && outcome.kind === 'rollout' && outcome.cause !== 'failed';
}

/**
 * The service deployment to stop with a ROLLBACK: only one ECS can still stop. One that is over
 * (STOPPED by the circuit breaker, say) is rolled back with UpdateService.
 */
function stoppableServiceDeployment(
  outcome: WatchOutcome,
  deployed: Deployed,
  deps: WatchDeps,
): { serviceDeploymentArn?: string } {
  // The API did not answer during the wait: UpdateService it is.
  if (outcome.serviceDeploymentApiProblem) return {};
  const sd = outcome.serviceDeployment;
  // Failed before the wait read its deployment (the migration's task stopped at the first poll):
  // the one UpdateService started, which StopServiceDeployment accepts while it is going.
  if (!sd?.serviceDeploymentArn) {
    return deployed.serviceDeploymentArn
      ? { serviceDeploymentArn: deployed.serviceDeploymentArn }
      : {};
  }
  if (STOPPABLE_STATUSES.has(sd.status ?? 'PENDING')) {
    return { serviceDeploymentArn: sd.serviceDeploymentArn };
  }
  deps.io.info(
    `Service deployment ${serviceDeploymentId(sd.serviceDeploymentArn)} is ${sd.status}, which StopServiceDeployment cannot roll back: rolling back with UpdateService`,
  );
  return {};
}

/** ECS's own rollback is followed as long as the rollout itself may take. */
function rollbackWait(
  settings: DeploymentSettings,
  deps: WatchDeps,
  overrides: Partial<WatchOptions>,
): RollbackWait {
  const options = watchOptionsFromSettings(settings, overrides);
  return {
    pollIntervalMs: options.pollIntervalMs ?? settings.pollIntervalSeconds * 1000,
    timeoutMs: options.timeoutMs,
    sleep: (ms) => deps.sleep(ms),
    now: () => deps.now(),
  };
}

/** Sidecar mode only reads logs the outcome did not: a failure's own, or the applying task's. */
async function migrationReport(
  outcome: WatchOutcome,
  status: MigrationStatus,
  request: Parameters<typeof readAppliedReport>[0],
  deps: WatchDeps,
  options: WatchOptions,
): Promise<MigrationRead | undefined> {
  if (outcome.status === 'failed' && outcome.kind === 'migration') return outcome.migration;
  if (status !== 'succeeded') return undefined;
  const read = await readAppliedReport(request, deps, options);
  if (read.problem) deps.io.info(`Atlas's report could not be read: ${read.problem}`);
  return read;
}

/** The action outputs this phase fills in. */
export function deploymentOutputs(report: DeploymentReport): Record<string, string> {
  return {
    'task-definition-arn': report.deployed.taskDefinitionArn,
    'deployment-id': report.deployed.deploymentId,
    'migration-status': report.migrationStatus,
  };
}
