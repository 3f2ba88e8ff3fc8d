// run-task and plan: register the migration-only task definition and run it once in the
// service's network. Never touches the service.
import { registerTaskDefinition } from '../deploy/deploy';
import type { Preflight } from '../deploy/preflight';
import { runMigrationTask, type MigrationTaskOutcome } from '../deploy/run-task';
import type { Settings } from '../inputs/settings';
import type { RegisterTaskDefinitionJson } from '../taskdef';
import type { ModeDeps } from './types';

export async function migrateOnce(
  settings: Settings,
  preflight: Preflight,
  migrationTask: RegisterTaskDefinitionJson,
  deps: ModeDeps,
  what = 'Run the migration task',
): Promise<MigrationTaskOutcome> {
  const registered = await registerTaskDefinition(deps.ecs, migrationTask, deps.io);
  deps.io.info(`Registered the migration task definition ${registered.taskDefinitionArn}`);
  return deps.io.group(what, () =>
    runMigrationTask(
      {
        preflight,
        taskDefinition: {
          taskDefinitionArn: registered.taskDefinitionArn,
          taskDefinition: migrationTask,
        },
        containerName: settings.containerName,
      },
      deps,
      {
        pollIntervalMs: settings.pollIntervalSeconds * 1000,
        timeoutMs: settings.waitTimeoutMinutes * 60 * 1000,
      },
    ),
  );
}
