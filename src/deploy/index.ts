// The deploy phase: pre-flight (read-only), register + UpdateService, our own waiter, rollback;
// in mode run-task, the one-off migration task.
export { extractAtlasErrors, logLines, logTail } from './atlas-log';
export { deploymentLinks, type DeploymentLinks } from './console-links';
export { deploy, type Deployed, type DeployRequest } from './deploy';
export { preflight, preflightRequest, type Preflight, type PreflightRequest } from './preflight';
export { rollback, type RollbackRequest, type RollbackResult } from './rollback';
export {
  DEFAULT_STARTED_BY,
  migrationRunTaskInput,
  runMigrationTask,
  type MigrationTaskDefinition,
  type MigrationTaskDeps,
  type MigrationTaskFailed,
  type MigrationTaskFailure,
  type MigrationTaskNotStarted,
  type MigrationTaskOutcome,
  type MigrationTaskPlacement,
  type MigrationTaskRequest,
  type MigrationTaskSucceeded,
  type MigrationTaskTimeout,
  type RunMigrationTaskOptions,
} from './run-task';
export {
  DeploymentFailedError,
  deploymentOutputs,
  runDeployment,
  type DeploymentReport,
  type DeploymentSettings,
  type MigrationStatus,
} from './run-deployment';
export {
  watchDeployment,
  watchOptionsFromSettings,
  type WatchDeps,
  type WatchOptions,
  type WatchOutcome,
  type WatchRequest,
} from './watch';
