// Inserts the migration container, or brings an existing one (from an earlier run, or written by
// hand after Atlas's guide) up to date while keeping what its owner set.
import { cloneJson } from './json';
import { findContainer } from './dependencies';
import {
  ATLAS_TOKEN,
  DATABASE_URL,
  DEFAULT_MEMORY_RESERVATION_MIB,
  type PatchOptions,
} from './patch-options';
import type { ContainerDefinitionJson, LogConfiguration, TaskDefinitionJson } from './types';

export function upsertMigrationContainer(
  td: TaskDefinitionJson,
  options: PatchOptions,
  appContainers: readonly string[],
): void {
  let container = findContainer(td, options.containerName);
  if (container) {
    container.image = options.image;
    container.command = [...options.command];
    container.essential = false;
    // The image's WorkingDir is where the project file lives; a directory set for an older,
    // differently laid out image would make Atlas miss atlas.hcl. The user's entryPoint is kept:
    // "entryPoint": ["/atlas"] is common in hand-written definitions and harmless.
    delete container.workingDirectory;
  } else {
    // No entryPoint: the base image's own (atlas) runs the command.
    container = {
      name: options.containerName,
      image: options.image,
      essential: false,
      command: [...options.command],
    };
    td.containerDefinitions.unshift(container);
  }

  if (options.databaseUrlSecret !== undefined) {
    setContainerSecret(container, DATABASE_URL, options.databaseUrlSecret);
  }
  if (options.atlasTokenSecret !== undefined) {
    setContainerSecret(container, ATLAS_TOKEN, options.atlasTokenSecret);
  }
  if (container.logConfiguration === undefined) {
    const log = borrowLogConfiguration(td, options.containerName, appContainers);
    if (log) container.logConfiguration = log;
  }
  const taskMemory = typeof td.memory === 'string' && td.memory.trim() !== '';
  if (!taskMemory && container.memory === undefined && container.memoryReservation === undefined) {
    container.memoryReservation = DEFAULT_MEMORY_RESERVATION_MIB;
  }
}

/**
 * Through `secrets` only: a connection string or a token in plain `environment` is readable by
 * anyone allowed to describe the task definition. An entry of that name in `environment` goes.
 */
function setContainerSecret(
  container: ContainerDefinitionJson,
  name: string,
  valueFrom: string,
): void {
  const secrets = container.secrets ?? [];
  const first = secrets.findIndex((secret) => secret.name === name);
  if (first === -1) secrets.push({ name, valueFrom });
  else secrets[first]!.valueFrom = valueFrom;
  const kept = first === -1 ? secrets.length - 1 : first;
  container.secrets = secrets.filter((secret, index) => secret.name !== name || index === kept);
  if (container.environment) {
    container.environment = container.environment.filter((entry) => entry.name !== name);
  }
}

/**
 * The awslogs configuration of an app container, else of any container, that sets a stream prefix:
 * the migration's stream is then `<prefix>/<container-name>/<task-id>`, in a log group the task's
 * execution role can already write to. Without a prefix, awslogs names streams by container ID only,
 * which the action could not find.
 */
function borrowLogConfiguration(
  td: TaskDefinitionJson,
  containerName: string,
  appContainers: readonly string[],
): LogConfiguration | undefined {
  const candidates = td.containerDefinitions.filter((c) => c.name !== containerName);
  const usable = (c: ContainerDefinitionJson): boolean =>
    c.logConfiguration?.logDriver === 'awslogs' &&
    typeof c.logConfiguration.options?.['awslogs-stream-prefix'] === 'string' &&
    c.logConfiguration.options['awslogs-stream-prefix'] !== '';
  const source =
    candidates.find((c) => appContainers.includes(c.name) && usable(c)) ?? candidates.find(usable);
  return source?.logConfiguration ? cloneJson(source.logConfiguration) : undefined;
}
