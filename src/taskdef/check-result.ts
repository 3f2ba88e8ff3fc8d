// ECS rules the patched task definition must satisfy; RegisterTaskDefinition or the first task
// would otherwise fail, later and with a vaguer message.
import { FileProblem, type FileLocation } from '../errors';
import { findContainer, findCycle, isEssential } from './dependencies';
import { quoteList } from './problems';
import type { TaskDefinitionJson } from './types';

export function checkResult(
  td: TaskDefinitionJson,
  containerName: string,
  at: FileLocation,
): Error[] {
  const errors: Error[] = [];
  const names = td.containerDefinitions.map((c) => c.name);

  for (const container of td.containerDefinitions) {
    if (container.image === undefined || container.image === '') {
      errors.push(
        new FileProblem(
          at,
          `container "${container.name}" has no "image"`,
          `set "image" on container "${container.name}", or give it one with the images input ("${container.name}=<image>")`,
        ),
      );
    }
    for (const { containerName: target, condition } of container.dependsOn ?? []) {
      const dependency = findContainer(td, target);
      if (!dependency) {
        errors.push(
          new FileProblem(
            at,
            `container "${container.name}" depends on "${target}", which is not in the task definition (its containers: ${quoteList(names)})`,
            `remove that "dependsOn" entry from container "${container.name}" or correct the name`,
          ),
        );
      } else if (target === containerName && condition === 'HEALTHY') {
        errors.push(
          new FileProblem(
            at,
            `container "${container.name}" waits for the migration container "${containerName}" to be HEALTHY, but it exits once migrations are applied`,
            `change that condition to SUCCESS, or list "${container.name}" in the app-containers input so the action sets it`,
          ),
        );
      } else if ((condition === 'SUCCESS' || condition === 'COMPLETE') && isEssential(dependency)) {
        errors.push(
          new FileProblem(
            at,
            `container "${container.name}" waits for "${target}" to ${condition}, but "${target}" is essential, and ECS allows ${condition} only on non-essential containers`,
            `set "essential": false on container "${target}", or change the condition to START or HEALTHY`,
          ),
        );
      } else if (condition === 'HEALTHY' && dependency.healthCheck === undefined) {
        errors.push(
          new FileProblem(
            at,
            `container "${container.name}" waits for "${target}" to be HEALTHY, but "${target}" has no "healthCheck"`,
            `add a "healthCheck" to container "${target}", or change the condition to START`,
          ),
        );
      }
    }
  }

  const cycle = findCycle(td);
  if (cycle) {
    errors.push(
      new FileProblem(
        at,
        `containers wait for each other in a cycle (${cycle.join(' → ')}), so none of them could start`,
        cycle.includes(containerName)
          ? `remove the dependency of the migration container "${containerName}" on a container that waits for it, or leave that container out of the app-containers input`
          : 'remove one of those "dependsOn" entries',
      ),
    );
  }

  const withSecrets = td.containerDefinitions.filter((c) => (c.secrets ?? []).length > 0);
  if (withSecrets.length > 0 && !td.executionRoleArn) {
    errors.push(
      new FileProblem(
        at,
        `container${withSecrets.length === 1 ? '' : 's'} ${quoteList(withSecrets.map((c) => c.name))} read${withSecrets.length === 1 ? 's' : ''} "secrets", but the task definition has no "executionRoleArn"; ECS fetches secrets with the task execution role`,
        'set "executionRoleArn" to a role ECS tasks can assume that may secretsmanager:GetSecretValue the secret (and kms:Decrypt with its key, if it is a customer managed one)',
      ),
    );
  }
  return errors;
}
