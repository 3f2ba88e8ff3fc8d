// The deploy phase: pre-flight (read-only), register + UpdateService, our own waiter, rollback.
export { extractAtlasErrors, logLines, logTail } from './atlas-log';
export { deploymentLinks, type DeploymentLinks } from './console-links';
export { deploy, type Deployed, type DeployRequest } from './deploy';
export { preflight, preflightRequest, type Preflight, type PreflightRequest } from './preflight';
export { rollback, type RollbackRequest, type RollbackResult } from './rollback';
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
