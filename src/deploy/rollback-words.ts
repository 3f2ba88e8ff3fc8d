// Which rollback ran and how it ended, in words for the failure message and the summary. Pure.
import type { RollbackResult } from './rollback';

/** Which rollback ran and how it ended, in one or two sentences (the message and the summary). */
export function describeRollback(
  result: RollbackResult,
  previousTaskDefinitionArn: string,
): string {
  const tried = result.fallbackReason ? ` ${sentence(result.fallbackReason)}` : '';
  if (!result.rolledBack) {
    return `Rolling back to ${previousTaskDefinitionArn} failed too: ${result.error.replace(/\.+$/, '')}.${tried}`;
  }
  if (result.method === 'stop-service-deployment') {
    return result.status === 'ROLLBACK_SUCCESSFUL'
      ? `ECS rolled the service back to ${result.taskDefinitionArn} (StopServiceDeployment with stopType ROLLBACK: ROLLBACK_SUCCESSFUL).`
      : `ECS is rolling the service back to ${result.taskDefinitionArn} (StopServiceDeployment with stopType ROLLBACK: still ${result.status ?? 'in an unknown state'} when the step stopped following it).`;
  }
  return `The service was rolled back to ${result.taskDefinitionArn} (UpdateService${result.deploymentId ? `, deployment ${result.deploymentId}` : ''}).${tried}`;
}

function sentence(text: string): string {
  const trimmed = text.replace(/[.\s]+$/, '');
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
}
