// Puts the service back on the revision it ran before. Never throws: the failure that led here is
// what the step fails with; a rollback that fails too is reported next to it.
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
}

export type RollbackResult =
  | {
      readonly rolledBack: true;
      readonly taskDefinitionArn: string;
      readonly deploymentId: string | undefined;
    }
  | { readonly rolledBack: false; readonly error: string };

export async function rollback(
  ecs: EcsApi,
  io: ActionIO,
  request: RollbackRequest,
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
      `Could not roll service ${request.service} back to ${request.previousTaskDefinitionArn}: ${message}. Roll back by hand: aws ecs update-service --cluster ${request.cluster} --service ${request.service} --task-definition ${request.previousTaskDefinitionArn}`,
    );
    return { rolledBack: false, error: message };
  }
}
