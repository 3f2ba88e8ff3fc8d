// The task definition core: parse a file, patch in the migration container, render the result;
// in mode run-task, the migration-only task definition and the service's revision without it.
export {
  buildMigrationCommand,
  migrationCommandOptions,
  type MigrationCommandOptions,
} from './command';
export {
  MIGRATION_FAMILY_SUFFIX,
  buildMigrationTaskDefinition,
  migrationTaskFamily,
  removeMigrationContainer,
  type MigrationTaskOptions,
} from './migration-task';
export { parseTaskDefinitionFile } from './parse-file';
export { patchTaskDefinition } from './patch';
export {
  ATLAS_TOKEN,
  DATABASE_URL,
  DEFAULT_MEMORY_RESERVATION_MIB,
  type PatchOptions,
} from './patch-options';
export { READ_ONLY_FIELDS, stripReadOnly } from './read-only';
export { renderTaskDefinition } from './render';
export type * from './types';
