// Turns the task definition a service runs into the one to register: the same, plus the migration
// container that every app container waits for.
import { type FileLocation } from '../errors';
import { resolveAppContainers } from './app-containers';
import { checkRequest } from './check-request';
import { checkTaskDefinitionShape } from './check-shape';
import { checkResult } from './check-result';
import { findContainer } from './dependencies';
import { cloneJson } from './json';
import { upsertMigrationContainer } from './migration-container';
import type { PatchOptions } from './patch-options';
import { Problems } from './problems';
import { stripReadOnly } from './read-only';
import type {
  DescribedTaskDefinition,
  RegisterTaskDefinitionJson,
  TaskDefinitionJson,
} from './types';

/**
 * Pure and idempotent: patching the result again (as parsed back from its rendering) gives the
 * same result. Throws a FileProblem or InputError, or ValidationErrors holding several.
 */
export function patchTaskDefinition(
  described: DescribedTaskDefinition,
  options: PatchOptions,
): RegisterTaskDefinitionJson {
  const td: RegisterTaskDefinitionJson = stripReadOnly(cloneJson(described.taskDefinition));
  delete td.tags;
  const at: FileLocation = { file: options.source ?? sourceLabel(described.taskDefinition) };

  // A task definition from ECS never went through parseTaskDefinitionFile.
  const shape = new Problems();
  shape.add(...checkTaskDefinitionShape(td, () => at));
  shape.throwIfAny();

  const problems = new Problems();
  problems.add(...checkRequest(td, options, at));
  const apps = resolveAppContainers(td, options.containerName, options.appContainers, at, problems);
  problems.throwIfAny();

  upsertMigrationContainer(td, options, apps);
  for (const { container, image } of options.images) findContainer(td, container)!.image = image;
  for (const app of apps) waitForMigration(td, app, options.containerName);

  const result = new Problems();
  result.add(...checkResult(td, options.containerName, at));
  result.throwIfAny();

  if (described.tags && described.tags.length > 0) td.tags = cloneJson(described.tags);
  return td;
}

/**
 * Adds `{containerName, condition: SUCCESS}` to the app's dependencies, after those it has; an
 * existing dependency on the migration container keeps its place and gets the SUCCESS condition.
 */
function waitForMigration(td: TaskDefinitionJson, app: string, containerName: string): void {
  const container = findContainer(td, app)!;
  const dependsOn = container.dependsOn ?? [];
  const first = dependsOn.findIndex((dependency) => dependency.containerName === containerName);
  if (first === -1) dependsOn.push({ containerName, condition: 'SUCCESS' });
  else dependsOn[first]!.condition = 'SUCCESS';
  const kept = first === -1 ? dependsOn.length - 1 : first;
  container.dependsOn = dependsOn.filter(
    (dependency, index) => dependency.containerName !== containerName || index === kept,
  );
}

function sourceLabel(td: TaskDefinitionJson): string {
  const revision = td.revision;
  return typeof revision === 'number'
    ? `task definition ${td.family}:${revision}`
    : `task definition ${td.family}`;
}
