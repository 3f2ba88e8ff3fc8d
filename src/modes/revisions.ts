// The task definitions each mode registers, planned from the one the service runs:
// - sidecar: the service's next revision, with the migration container in every task;
// - run-task: a migration-only task definition run once, and the service's revision without it;
// - plan: only the migration-only task definition (its command has --dry-run); the service's
//   task definition is left as it is.
import type { Settings } from '../inputs/settings';
import {
  patchTaskDefinition,
  renderTaskDefinition,
  stripReadOnly,
  type DescribedTaskDefinition,
  type PatchOptions,
  type RegisterTaskDefinitionJson,
} from '../taskdef';
import { buildMigrationTaskDefinition, removeMigrationContainer } from '../taskdef/migration-task';
import type { RegisteredTaskDefinition } from '../deploy/deploy';

export interface Revisions {
  /** The service's new revision; absent in plan mode, which never touches the service. */
  readonly service?: RegisterTaskDefinitionJson;
  /** run-task and plan: the migration-only task definition, run once. */
  readonly migrationTask?: RegisterTaskDefinitionJson;
}

export function planRevisions(
  settings: Pick<Settings, 'mode' | 'containerName' | 'images'>,
  described: DescribedTaskDefinition,
  patchOptions: Omit<PatchOptions, 'image'>,
  image: string,
): Revisions {
  if (settings.mode === 'sidecar') {
    return { service: patchTaskDefinition(described, { ...patchOptions, image }) };
  }
  const migrationTask = buildMigrationTaskDefinition(described, {
    containerName: settings.containerName,
    image,
    command: patchOptions.command,
    ...(patchOptions.databaseUrlSecret
      ? { databaseUrlSecret: patchOptions.databaseUrlSecret }
      : {}),
    ...(patchOptions.atlasTokenSecret ? { atlasTokenSecret: patchOptions.atlasTokenSecret } : {}),
    ...(patchOptions.source ? { source: patchOptions.source } : {}),
  });
  if (settings.mode === 'plan') return { migrationTask };
  return {
    service: removeMigrationContainer(
      described,
      settings.containerName,
      settings.images,
      patchOptions.source,
    ),
    migrationTask,
  };
}

/** The task definition as it is now, in the form it is registered in, for the diff. */
export function renderCurrent(described: DescribedTaskDefinition): string {
  return renderTaskDefinition({
    ...stripReadOnly(described.taskDefinition),
    ...(described.tags && described.tags.length > 0 ? { tags: described.tags } : {}),
  });
}

/**
 * A registered revision that already is exactly what this run would register (a re-run, or the
 * same artefact promoted from staging: the image digest is reproducible, and patching is
 * idempotent), so the service is pointed at it instead of registering a copy. A file's
 * taskDefinitionArn may not describe what the file now says, so a file never qualifies.
 */
export function unchangedRevision(
  settings: Pick<Settings, 'taskDefinition'>,
  described: DescribedTaskDefinition,
  rendered: string,
  revisions: Revisions,
): RegisteredTaskDefinition | undefined {
  if (settings.taskDefinition.kind === 'file') return undefined;
  const arn = described.taskDefinition.taskDefinitionArn;
  if (revisions.migrationTask || typeof arn !== 'string') return undefined;
  return rendered === renderCurrent(described)
    ? { taskDefinitionArn: arn, taskDefinition: described.taskDefinition }
    : undefined;
}
