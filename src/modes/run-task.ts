// Mode run-task: the migration runs once in a standalone task in the service's network; the
// service is updated (to a revision without the migration container) only when it succeeded.
import { migrationLeftBehind, rolledBackLeftBehind } from '../deploy/left-behind';
import { runDeployment } from '../deploy/run-deployment';
import { deploymentOutputs } from '../deploy/run-deployment';
import { migrationSectionFacts, withHint } from '../report/migration-facts';
import { migrationOutputs } from '../report/migration-outputs';
import { renderMigrationTaskFailure } from '../report/render-deploy-summary';
import { migrateOnce } from './migrate-once';
import { deployServices } from './several-services';
import { deployMigrationFacts, deploySummary } from './sidecar';
import type { DeployMode, ModeContext, ModeResult } from './types';

export const runTaskMode: DeployMode = {
  async run(context: ModeContext): Promise<ModeResult> {
    const { settings, preflight, revisions, deps } = context;
    const outcome = await migrateOnce(settings, preflight, revisions.migrationTask!, deps);
    const migration = 'migration' in outcome ? outcome.migration : undefined;
    if (outcome.status !== 'succeeded') {
      const facts = migrationSectionFacts(migration, 'apply', {
        settings,
        ...(outcome.status === 'failed' && outcome.kind !== 'not-started'
          ? { errorLines: outcome.errorLines }
          : {}),
      });
      return {
        outputs: { 'migration-status': 'failed', ...migrationOutputs(migration, 'apply') },
        summary: renderMigrationTaskFailure({
          service: preflight.serviceName,
          image: context.image,
          push: context.push,
          outcome,
          ...(facts ? { migration: facts } : {}),
        }),
        error: withHint(new Error(outcome.message), facts),
        migrationTask: outcome,
        leftBehind: migrationLeftBehind(revisions.migrationTask!.family, outcome.taskDefinitionArn),
      };
    }
    // The service's tasks hold no migration container: the task above decided the migration.
    if (context.services.length > 1) {
      return deployServices(
        context,
        (target) => ({
          settings,
          preflight: target.preflight,
          taskDefinition: target.revisions.service!,
          readMigrationReport: false,
        }),
        outcome.migration,
        migrationLeftBehind(revisions.migrationTask!.family, outcome.taskDefinitionArn),
      );
    }
    const report = {
      ...(await runDeployment(
        { settings, preflight, taskDefinition: revisions.service!, readMigrationReport: false },
        deps,
      )),
      migrationStatus: 'succeeded' as const,
      migration: outcome.migration,
    };
    return {
      outputs: { ...deploymentOutputs(report), ...migrationOutputs(outcome.migration, 'apply') },
      summary: deploySummary(context, report, deployMigrationFacts(context, report)),
      ...(report.error ? { error: report.error } : {}),
      deployment: report,
      leftBehind: {
        ...migrationLeftBehind(revisions.migrationTask!.family, outcome.taskDefinitionArn),
        ...rolledBackLeftBehind(report, true),
      },
    };
  },
};
