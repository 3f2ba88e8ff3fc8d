// Puts the service back on the revision it ran before. Never throws: the failure that led here is
// what the step fails with; a rollback that fails too is reported next to it.
//
// Two runs may deploy the same service at once (two pushes in a row). When ours failed after the
// other run's UpdateService made its deployment PRIMARY, putting our previous revision back would
// undo that deployment: the rollback first checks that the service's PRIMARY deployment is still
// ours, and leaves the service alone when it is not. ECS has no conditional UpdateService, so an
// update landing between that check and ours still wins the race; a workflow `concurrency:` group
// per service is what rules the race out.
import type { Deployment } from '@aws-sdk/client-ecs';
import { errorMessage } from '../errors';
import type { ActionIO } from '../report/action-io';
import type { EcsApi } from '../aws/api';
import { primaryDeployment } from './deploy';

export interface RollbackRequest {
  readonly cluster: string;
  readonly service: string;
  readonly previousTaskDefinitionArn: string;
  /** The revision that failed; it stays registered. */
  readonly failedTaskDefinitionArn: string;
  /** The deployment that failed: only while it is the service's PRIMARY one is it rolled back. */
  readonly deploymentId: string;
}

export type RollbackResult =
  | {
      readonly rolledBack: true;
      readonly taskDefinitionArn: string;
      readonly deploymentId: string | undefined;
    }
  | { readonly rolledBack: false; readonly error: string };

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
  ecs: EcsApi,
  io: ActionIO,
  request: RollbackRequest,
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
    return { kind: 'attempted', result: { rolledBack: false, error: message } };
  }
  if (primary?.id && primary.id !== request.deploymentId) {
    const by = { id: primary.id, taskDefinitionArn: primary.taskDefinition };
    io.warning(
      `Not rolling back: deployment ${by.id} (${by.taskDefinitionArn ?? 'unknown task definition'}) replaced ${request.deploymentId} as the PRIMARY deployment of service ${request.service}; putting ${request.previousTaskDefinitionArn} back would undo it`,
    );
    return { kind: 'replaced', by };
  }
  return { kind: 'attempted', result: await rollback(ecs, io, request) };
}

export async function rollback(
  ecs: EcsApi,
  io: ActionIO,
  request: Omit<RollbackRequest, 'deploymentId'>,
): Promise<RollbackResult> {
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
    return { rolledBack: true, taskDefinitionArn: request.previousTaskDefinitionArn, deploymentId };
  } catch (error) {
    const message = errorMessage(error);
    io.error(
      `Could not roll service ${request.service} back to ${request.previousTaskDefinitionArn}: ${message}. Roll back by hand: ${manualRollback(request)}`,
    );
    return { rolledBack: false, error: message };
  }
}

function manualRollback(request: Omit<RollbackRequest, 'deploymentId'>): string {
  return `aws ecs update-service --cluster ${request.cluster} --service ${request.service} --task-definition ${request.previousTaskDefinitionArn}`;
}
