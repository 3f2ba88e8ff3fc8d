// Puts the service back on the revision it ran before. Never throws: the failure that led here is
// what the step fails with; a rollback that fails too is reported next to it.
//
// Two runs may deploy the same service at once (two pushes in a row). When ours failed after the
// other run's UpdateService made its deployment PRIMARY, putting our previous revision back would
// undo that deployment: the rollback first checks that the service's PRIMARY deployment is still
// ours, and leaves the service alone when it is not. ECS has no conditional UpdateService, so an
// update landing between that check and ours still wins the race; a workflow `concurrency:` group
// per service is what rules the race out.
//
// Where ECS's service-deployment API answers, the rollback is ECS's own: StopServiceDeployment
// with stopType ROLLBACK (for every strategy of the ECS controller, rolling included), watched
// until ECS says ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED. A second UpdateService to the previous
// revision stays the fallback: when that API is absent or denied, when the deployment is already
// over (ConflictException), or when ECS's rollback failed.
import type { Deployment } from '@aws-sdk/client-ecs';
import { errorMessage } from '../errors';
import type { ActionIO } from '../report/action-io';
import type { EcsApi, EcsServiceDeploymentsApi } from '../aws/api';
import { isTransientAwsError } from '../aws/errors';
import { formatDuration } from '../util/duration';
import { primaryDeployment } from './deploy';
import { serviceDeploymentId } from './service-deployment';

export interface RollbackRequest {
  readonly cluster: string;
  readonly service: string;
  readonly previousTaskDefinitionArn: string;
  /** The revision that failed; it stays registered. */
  readonly failedTaskDefinitionArn: string;
  /** The deployment that failed: only while it is the service's PRIMARY one is it rolled back. */
  readonly deploymentId: string;
  /** Its service deployment: stopped with a ROLLBACK where the service-deployment API answers. */
  readonly serviceDeploymentArn?: string;
}

/** `stop-service-deployment`: ECS's own rollback; `update-service`: back to the previous revision. */
export type RollbackMethod = 'stop-service-deployment' | 'update-service';

export type RollbackResult =
  | {
      readonly rolledBack: true;
      readonly method: RollbackMethod;
      readonly taskDefinitionArn: string;
      readonly deploymentId: string | undefined;
      /**
       * StopServiceDeployment: the service deployment's status when the rollback wait ended
       * (ROLLBACK_SUCCESSFUL, or ROLLBACK_IN_PROGRESS when it was still going).
       */
      readonly status?: string;
      /** Why UpdateService was used although StopServiceDeployment was tried first. */
      readonly fallbackReason?: string;
    }
  | {
      readonly rolledBack: false;
      readonly method: RollbackMethod;
      readonly error: string;
      readonly fallbackReason?: string;
    };

/** How to follow ECS's own rollback to its end. */
export interface RollbackWait {
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** The statuses StopServiceDeployment accepts (ECS's developer guide); later ones are final. */
export const STOPPABLE_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
]);

/** The statuses of a service deployment whose rollback is still under way. */
const ROLLING_BACK = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'STOP_REQUESTED']);

/** Another deployment that became the service's PRIMARY one after ours. */
export interface ReplacingDeployment {
  readonly id: string;
  readonly taskDefinitionArn: string | undefined;
}

/** What the rollback did: put the previous revision back (or failed to), or left it to another. */
export type RollbackAttempt =
  | { readonly kind: 'attempted'; readonly result: RollbackResult }
  | { readonly kind: 'replaced'; readonly by: ReplacingDeployment };

/**
 * Rolls back unless another deployment replaced ours as the service's PRIMARY one. When the
 * service cannot be read, nothing is changed and the failure says how to roll back by hand.
 */
export async function rollbackUnlessReplaced(
  ecs: EcsApi & Partial<EcsServiceDeploymentsApi>,
  io: ActionIO,
  request: RollbackRequest,
  wait?: RollbackWait,
): Promise<RollbackAttempt> {
  let primary: Deployment | undefined;
  try {
    const answer = await ecs.describeServices({
      cluster: request.cluster,
      services: [request.service],
    });
    primary = (answer.services?.[0]?.deployments ?? []).find((d) => d.status === 'PRIMARY');
  } catch (error) {
    const message = `could not read service ${request.service} to check that deployment ${request.deploymentId} is still its PRIMARY one (${errorMessage(error)})`;
    io.error(
      `Not rolling back: ${message}. If it is, roll back by hand: ${manualRollback(request)}`,
    );
    return {
      kind: 'attempted',
      result: { rolledBack: false, method: 'update-service', error: message },
    };
  }
  if (primary?.id && primary.id !== request.deploymentId) {
    const by = { id: primary.id, taskDefinitionArn: primary.taskDefinition };
    io.warning(
      `Not rolling back: deployment ${by.id} (${by.taskDefinitionArn ?? 'unknown task definition'}) replaced ${request.deploymentId} as the PRIMARY deployment of service ${request.service}; putting ${request.previousTaskDefinitionArn} back would undo it`,
    );
    return { kind: 'replaced', by };
  }
  if (request.serviceDeploymentArn && ecs.stopServiceDeployment && wait) {
    const stopped = await stopWithRollback(ecs, io, request, request.serviceDeploymentArn, wait);
    if (stopped.kind === 'done') return { kind: 'attempted', result: stopped.result };
    return {
      kind: 'attempted',
      result: await rollback(ecs, io, request, stopped.fallbackReason),
    };
  }
  return { kind: 'attempted', result: await rollback(ecs, io, request) };
}

type StopOutcome =
  | { readonly kind: 'done'; readonly result: RollbackResult }
  | { readonly kind: 'fall-back'; readonly fallbackReason: string };

/** StopServiceDeployment (ROLLBACK), then its progress until ECS says how it ended. */
async function stopWithRollback(
  ecs: EcsApi & Partial<EcsServiceDeploymentsApi>,
  io: ActionIO,
  request: RollbackRequest,
  arn: string,
  wait: RollbackWait,
): Promise<StopOutcome> {
  const id = serviceDeploymentId(arn);
  try {
    await ecs.stopServiceDeployment!({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' });
  } catch (error) {
    const reason = `StopServiceDeployment could not roll back service deployment ${id}: ${errorMessage(error)}`;
    io.info(`${reason}; rolling back with UpdateService instead`);
    return { kind: 'fall-back', fallbackReason: reason };
  }
  io.warning(
    `Rolling service ${request.service} back: StopServiceDeployment (ROLLBACK) of service deployment ${id}, so ECS puts ${request.previousTaskDefinitionArn} back; ${request.failedTaskDefinitionArn} stays registered for inspection`,
  );
  const status = await followRollback(ecs, io, arn, wait);
  if (status.value === 'ROLLBACK_FAILED') {
    const reason = `ECS's rollback of service deployment ${id} failed${status.reason ? `: ${status.reason}` : ''}`;
    io.info(`${reason}; rolling back with UpdateService instead`);
    return { kind: 'fall-back', fallbackReason: reason };
  }
  if (status.value === 'ROLLBACK_SUCCESSFUL') {
    io.info(
      `Service ${request.service} is back on ${request.previousTaskDefinitionArn}: service deployment ${id} ROLLBACK_SUCCESSFUL`,
    );
  } else if (status.unreadable) {
    io.warning(
      `ECS's rollback of service deployment ${id} was ${status.value ?? 'in an unknown state'} when its progress could no longer be read (${status.unreadable}): it goes on without this step; follow it in the ECS console`,
    );
  } else {
    io.warning(
      `ECS's rollback of service deployment ${id} was still ${status.value ?? 'in an unknown state'} after ${formatDuration(wait.timeoutMs)}${status.reason ? ` (${status.reason})` : ''}: it goes on without this step; follow it in the ECS console`,
    );
  }
  return {
    kind: 'done',
    result: {
      rolledBack: true,
      method: 'stop-service-deployment',
      taskDefinitionArn: request.previousTaskDefinitionArn,
      deploymentId: undefined,
      ...(status.value ? { status: status.value } : {}),
    },
  };
}

/** Polls the service deployment while it is rolling back, up to the wait's time limit. */
async function followRollback(
  ecs: EcsApi & Partial<EcsServiceDeploymentsApi>,
  io: ActionIO,
  arn: string,
  wait: RollbackWait,
): Promise<{ value: string | undefined; reason?: string; unreadable?: string }> {
  const deadline = wait.now() + wait.timeoutMs;
  let last: { value: string | undefined; reason?: string } = { value: 'ROLLBACK_REQUESTED' };
  for (;;) {
    if (ecs.describeServiceDeployments) {
      try {
        const answer = await ecs.describeServiceDeployments({ serviceDeploymentArns: [arn] });
        const sd = (answer.serviceDeployments ?? []).find((d) => d.serviceDeploymentArn === arn);
        if (sd?.status && sd.status !== last.value) {
          io.info(`Service deployment ${serviceDeploymentId(arn)}: ${sd.status}`);
        }
        last = {
          value: sd?.status,
          ...(sd?.rollback?.reason || sd?.statusReason
            ? { reason: sd.rollback?.reason ?? sd.statusReason }
            : {}),
        };
        if (!sd?.status || !ROLLING_BACK.has(sd.status)) return last;
      } catch (error) {
        // The rollback was requested: not seeing it end is reported, never a second rollback.
        if (!isTransientAwsError(error)) {
          return { value: last.value, unreadable: errorMessage(error) };
        }
      }
    } else {
      return { value: undefined, unreadable: 'this ECS API has no DescribeServiceDeployments' };
    }
    const left = deadline - wait.now();
    if (left <= 0) return last;
    await wait.sleep(Math.min(wait.pollIntervalMs, left));
  }
}

export async function rollback(
  ecs: EcsApi,
  io: ActionIO,
  request: Omit<RollbackRequest, 'deploymentId'>,
  fallbackReason?: string,
): Promise<RollbackResult> {
  const fallback = fallbackReason ? { fallbackReason } : {};
  try {
    const answer = await ecs.updateService({
      cluster: request.cluster,
      service: request.service,
      taskDefinition: request.previousTaskDefinitionArn,
    });
    const deploymentId = primaryDeployment(
      answer.service?.deployments,
      request.previousTaskDefinitionArn,
    )?.id;
    io.warning(
      `Rolled service ${request.service} back to ${request.previousTaskDefinitionArn}${deploymentId ? ` (deployment ${deploymentId})` : ''}; ${request.failedTaskDefinitionArn} stays registered for inspection`,
    );
    return {
      rolledBack: true,
      method: 'update-service',
      taskDefinitionArn: request.previousTaskDefinitionArn,
      deploymentId,
      ...fallback,
    };
  } catch (error) {
    const message = errorMessage(error);
    io.error(
      `Could not roll service ${request.service} back to ${request.previousTaskDefinitionArn}: ${message}. Roll back by hand: ${manualRollback(request)}`,
    );
    return { rolledBack: false, method: 'update-service', error: message, ...fallback };
  }
}

function manualRollback(request: Omit<RollbackRequest, 'deploymentId'>): string {
  return `aws ecs update-service --cluster ${request.cluster} --service ${request.service} --task-definition ${request.previousTaskDefinitionArn}`;
}
