// Mode run-task: the migration runs once, in a standalone task of its own task definition family,
// and the service gets a revision without any migration container. Two pure functions build the two
// task definitions from the one the service runs.
import { FileProblem, InputError, type FileLocation } from '../errors';
import { checkEntryPoint, checkImages, checkLinux } from './check-request';
import { checkResult } from './check-result';
import { checkTaskDefinitionShape } from './check-shape';
import { FAMILY_PATTERN } from './ecs-names';
import { findContainer, isEssential } from './dependencies';
import { cloneJson } from './json';
import { upsertMigrationContainer } from './migration-container';
import type { PatchOptions } from './patch-options';
import { Problems } from './problems';
import { stripReadOnly } from './read-only';
import type {
  ContainerDefinitionJson,
  DescribedTaskDefinition,
  JsonObject,
  RegisterTaskDefinitionJson,
  TaskDefinitionJson,
} from './types';
import type { ContainerImageOverride } from '../inputs/settings';

/** Appended to the service's family to name the migration task's family. */
export const MIGRATION_FAMILY_SUFFIX = '-migrate';

/**
 * The task-level fields the migration task shares with the service, in this order: who it runs as,
 * where it runs and how big it is. Everything else (volumes, placement constraints, proxy
 * configuration, pid/ipc mode, ephemeral storage, …) belongs to the app's containers.
 */
const SHARED_TASK_FIELDS = [
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'runtimePlatform',
] as const;

/**
 * Container fields that name other containers or the task's volumes: none of those exist in the
 * migration task, so an existing migration container's values are dropped.
 */
const CONTAINER_FIELDS_TO_DROP = [
  'dependsOn',
  'links',
  'volumesFrom',
  'mountPoints',
  'firelensConfiguration',
  'workingDirectory',
] as const;

export interface MigrationTaskOptions {
  /** The migration container's name (input container-name). */
  containerName: string;
  /** `repository@sha256:...` of the migration image. */
  image: string;
  /** Atlas's arguments, from buildMigrationCommand. */
  command: readonly string[];
  /** Secrets Manager secret (ARN, optionally `ARN:json-key::`), given to ECS as DATABASE_URL. */
  databaseUrlSecret?: string;
  /** Secrets Manager secret (ARN, optionally `ARN:json-key::`) of an Atlas Cloud token, as ATLAS_TOKEN. */
  atlasTokenSecret?: string;
  /** The migration task's family. Default: the service's family + MIGRATION_FAMILY_SUFFIX. */
  family?: string;
  /** Names the task definition in messages, as PatchOptions.source does. */
  source?: string;
}

/** `<family>-migrate`, the default family of the migration task. */
export function migrationTaskFamily(serviceFamily: string): string {
  return `${serviceFamily}${MIGRATION_FAMILY_SUFFIX}`;
}

/**
 * The task definition of the standalone migration task: only the migration container (essential,
 * since it is alone), with the service's roles, network mode, compatibilities, task size, runtime
 * platform and tags. A migration container the service's task definition already has (hand-written,
 * or left from mode sidecar) is the starting point, as in patchTaskDefinition: what its owner set
 * (environment, other secrets, its own log configuration, sizes) is kept.
 *
 * Pure. Throws a FileProblem or InputError, or ValidationErrors holding several.
 */
export function buildMigrationTaskDefinition(
  described: DescribedTaskDefinition,
  options: MigrationTaskOptions,
): RegisterTaskDefinitionJson {
  const service = readable(described, options.source);
  const at = locationOf(service, options.source);
  const name = options.containerName;

  const problems = new Problems();
  const family = options.family ?? migrationTaskFamily(service.family);
  if (!FAMILY_PATTERN.test(family)) {
    problems.add(
      options.family === undefined
        ? new FileProblem(
            at,
            `family "${service.family}" is too long to name the migration task's family "${family}" (ECS allows 255 characters)`,
            'use a shorter family name for the service',
          )
        : new InputError(
            'mode',
            `run-task needs a valid family for the migration task, not ${JSON.stringify(family)} (up to 255 letters, numbers, underscores and hyphens)`,
            'choose a family name ECS accepts',
          ),
    );
  }
  if (family === service.family) {
    problems.add(
      new InputError(
        'mode',
        `run-task would register the migration task in family "${family}", the service's own family, so the service's next revision would be the migration task`,
        'give the migration task a family of its own',
      ),
    );
  }
  const notLinux = checkLinux(service, at);
  if (notLinux) problems.add(notLinux);
  const existing = findContainer(service, name);
  if (existing && isEssential(existing)) problems.add(essentialNameClash(name, at));
  const shell = checkEntryPoint(existing, name, options.command, at);
  if (shell) problems.add(shell);
  const secretNames = [
    ...(options.databaseUrlSecret !== undefined ? ['DATABASE_URL'] : []),
    ...(options.atlasTokenSecret !== undefined ? ['ATLAS_TOKEN'] : []),
  ];
  if (secretNames.length > 0 && !service.executionRoleArn) {
    problems.add(
      new FileProblem(
        at,
        `has no "executionRoleArn", which the migration task needs: ECS fetches the ${secretNames.join(' and ')} secret${secretNames.length > 1 ? 's' : ''} with the task execution role`,
        'set "executionRoleArn" to a role ECS tasks can assume that may secretsmanager:GetSecretValue the secret (and kms:Decrypt with its key, if it is a customer managed one)',
      ),
    );
  }
  problems.throwIfAny();

  // The sidecar code brings the container up to date (image, command, DATABASE_URL and
  // ATLAS_TOKEN through secrets, a borrowed awslogs configuration, a memory reservation when the
  // task sets no memory).
  const work = cloneJson(service);
  if (existing?.logConfiguration?.logDriver === 'awsfirelens') {
    // Its log router stays behind in the service's task definition.
    delete findContainer(work, name)!.logConfiguration;
  }
  const apps = work.containerDefinitions
    .filter((c) => c.name !== name && isEssential(c))
    .map((c) => c.name);
  const patch: PatchOptions = {
    containerName: name,
    image: options.image,
    command: options.command,
    images: [],
    ...(options.databaseUrlSecret !== undefined
      ? { databaseUrlSecret: options.databaseUrlSecret }
      : {}),
    ...(options.atlasTokenSecret !== undefined
      ? { atlasTokenSecret: options.atlasTokenSecret }
      : {}),
  };
  upsertMigrationContainer(work, patch, apps);
  const container: ContainerDefinitionJson = findContainer(work, name)!;
  for (const field of CONTAINER_FIELDS_TO_DROP) delete container[field];
  // Alone in its task: ECS needs one essential container, and the task ends when it exits.
  container.essential = true;

  const td: RegisterTaskDefinitionJson = { family, containerDefinitions: [container] };
  const fields: JsonObject = td;
  for (const field of SHARED_TASK_FIELDS) {
    const value = service[field];
    if (value !== undefined) fields[field] = cloneJson(value);
  }
  const result = new Problems();
  result.add(...checkResult(td, name, at));
  result.throwIfAny();
  if (described.tags && described.tags.length > 0) td.tags = cloneJson(described.tags);
  return td;
}

/**
 * The service's revision without the migration container: the container is dropped, and so is
 * every dependency on it (a `dependsOn` left empty goes too); `images` set the app containers'
 * images. Every other field stays exactly as it was, read-only fields aside. A task definition
 * without a migration container comes back unchanged but for `images`.
 *
 * Pure and idempotent. Throws a FileProblem or InputError, or ValidationErrors holding several.
 */
export function removeMigrationContainer(
  described: DescribedTaskDefinition,
  containerName: string,
  images: readonly ContainerImageOverride[],
  source?: string,
): RegisterTaskDefinitionJson {
  const service = readable(described, source);
  const at = locationOf(service, source);
  const td: RegisterTaskDefinitionJson = stripReadOnly(cloneJson(service));

  const problems = new Problems();
  const migration = findContainer(td, containerName);
  if (migration && isEssential(migration)) problems.add(essentialNameClash(containerName, at));
  const rest = td.containerDefinitions.filter((c) => c.name !== containerName);
  if (rest.length === 0) {
    problems.add(
      new FileProblem(
        at,
        `holds only the migration container "${containerName}", so the service would have no container left`,
        'give the task-definition input the task definition of your app',
      ),
    );
  } else if (!rest.some(isEssential)) {
    problems.add(
      new FileProblem(
        at,
        `has no essential container besides the migration container "${containerName}"; ECS needs at least one`,
        'mark your app container "essential": true (or remove "essential": false from it)',
      ),
    );
  }
  if (migration) {
    for (const container of rest) {
      const linked = (container.links as unknown[] | undefined)?.some(
        (link) =>
          typeof link === 'string' &&
          (link === containerName || link.startsWith(`${containerName}:`)),
      );
      const mounted = (container.volumesFrom as unknown[] | undefined)?.some(
        (from) =>
          typeof from === 'object' &&
          from !== null &&
          (from as { sourceContainer?: unknown }).sourceContainer === containerName,
      );
      for (const [uses, field] of [
        [linked, 'links'],
        [mounted, 'volumesFrom'],
      ] as const) {
        if (!uses) continue;
        problems.add(
          new FileProblem(
            at,
            `container "${container.name}" names the migration container "${containerName}" in "${field}", but mode run-task removes that container from the service`,
            `remove "${containerName}" from the "${field}" of container "${container.name}"`,
          ),
        );
      }
    }
  }
  const names = rest.map((c) => c.name);
  problems.add(...checkImages(images, containerName, names, at));
  problems.throwIfAny();

  td.containerDefinitions = rest;
  for (const container of rest) {
    if (!container.dependsOn) continue;
    const kept = container.dependsOn.filter((d) => d.containerName !== containerName);
    if (kept.length === container.dependsOn.length) continue;
    if (kept.length > 0) container.dependsOn = kept;
    else delete container.dependsOn;
  }
  for (const { container, image } of images) findContainer(td, container)!.image = image;

  const result = new Problems();
  result.add(...checkResult(td, containerName, at));
  result.throwIfAny();
  delete td.tags;
  if (described.tags && described.tags.length > 0) td.tags = cloneJson(described.tags);
  return td;
}

/** The input once its shape is checked: a task definition from ECS never went through the parser. */
function readable(
  described: DescribedTaskDefinition,
  source: string | undefined,
): TaskDefinitionJson {
  const td = described.taskDefinition;
  const shape = new Problems();
  shape.add(...checkTaskDefinitionShape(td, () => locationOf(td, source)));
  shape.throwIfAny();
  return td;
}

function locationOf(td: TaskDefinitionJson, source: string | undefined): FileLocation {
  if (source !== undefined) return { file: source };
  const revision = td.revision;
  return {
    file:
      typeof revision === 'number'
        ? `task definition ${td.family}:${revision}`
        : `task definition ${td.family}`,
  };
}

function essentialNameClash(name: string, at: FileLocation): InputError {
  return new InputError(
    'container-name',
    `is "${name}", an essential container of ${at.file}; in mode run-task the migration container is removed from the service, and an essential container is the app's`,
    `choose a name no container uses (the default is "atlas"), or, if "${name}" really is a migration container, set "essential": false on it`,
  );
}
