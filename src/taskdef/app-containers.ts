// Which containers wait for the migration to succeed.
import { FileProblem, InputError, type FileLocation } from '../errors';
import { dependencyChains, isEssential } from './dependencies';
import { quoteList, type Problems } from './problems';
import type { TaskDefinitionJson } from './types';

/**
 * The explicit list, checked, or by default every essential container except the migration
 * container and those it waits for itself (they must start first, so they cannot wait for it).
 */
export function resolveAppContainers(
  td: TaskDefinitionJson,
  containerName: string,
  requested: readonly string[] | undefined,
  at: FileLocation,
  problems: Problems,
): string[] {
  const names = td.containerDefinitions.map((container) => container.name);
  const chains = dependencyChains(td, containerName);

  if (requested === undefined) {
    const apps = td.containerDefinitions
      .filter((c) => isEssential(c) && c.name !== containerName && !chains.has(c.name))
      .map((c) => c.name);
    const candidates = td.containerDefinitions.filter(
      (c) => isEssential(c) && c.name !== containerName,
    );
    if (apps.length === 0 && candidates.length > 0) {
      problems.add(
        new FileProblem(
          at,
          `the migration container "${containerName}" itself waits for every essential container (${quoteList(candidates.map((c) => c.name))}), so none of them can wait for the migration`,
          `remove from container "${containerName}" the dependencies on your app containers (its "dependsOn", or its "awsfirelens" log driver)`,
        ),
      );
    }
    return apps;
  }

  const apps = [...new Set(requested)];
  if (apps.length === 0) {
    problems.add(
      new InputError(
        'app-containers',
        'is empty, so no container would wait for the migration',
        'list the containers that must start after migrating, or leave the input unset to use every essential container',
      ),
    );
  }
  const unknown = apps.filter((name) => name !== containerName && !names.includes(name));
  if (unknown.length > 0) {
    problems.add(
      new InputError(
        'app-containers',
        `names ${quoteList(unknown)}, which ${unknown.length === 1 ? 'is' : 'are'} not in ${at.file} (its containers: ${quoteList(names)})`,
        'use the container names of the task definition',
      ),
    );
  }
  if (apps.includes(containerName)) {
    problems.add(
      new InputError(
        'app-containers',
        `names "${containerName}", the migration container itself`,
        `remove "${containerName}" from app-containers (it lists the containers that wait for the migration)`,
      ),
    );
  }
  for (const name of apps) {
    const chain = chains.get(name);
    if (!chain) continue;
    problems.add(
      new InputError(
        'app-containers',
        `names "${name}", but the migration container "${containerName}" waits for it (${chain.join(' → ')}), so "${name}" cannot also wait for "${containerName}"`,
        `remove "${name}" from app-containers, or remove that dependency of container "${containerName}" in ${at.file}`,
      ),
    );
  }
  return apps;
}
