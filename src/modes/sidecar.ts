// Mode sidecar (the seed's pattern): the migration container runs in every task of the service's
// new revision, before the app containers; the report that counts is the applying task's.
import { deploymentLinks } from '../deploy/console-links';
import { rolledBackLeftBehind } from '../deploy/left-behind';
import { deploymentOutputs, runDeployment, type DeploymentReport } from '../deploy/run-deployment';
import { migrationSectionFacts, withHint } from '../report/migration-facts';
import { migrationOutputs } from '../report/migration-outputs';
import { renderDeploySummary } from '../report/render-deploy-summary';
import type { MigrationSectionFacts } from '../report/render-migration';
import { unchangedRevision } from './revisions';
import { deployServices } from './several-services';
import type { DeployMode, ModeContext, ModeResult } from './types';

export const sidecarMode: DeployMode = {
  async run(context: ModeContext): Promise<ModeResult> {
    const { settings, preflight, revisions } = context;
    if (context.services.length > 1) {
      // Each service's own revision, patched and registered; each runs the migration container.
      return deployServices(context, (target) => {
        const existing = unchangedRevision(
          settings,
          target.described,
          target.rendered,
          target.revisions,
        );
        return {
          settings,
          preflight: target.preflight,
          taskDefinition: target.revisions.service!,
          ...(existing ? { existing } : {}),
        };
      });
    }
    const existing = unchangedRevision(settings, context.described, context.rendered, revisions);
    const report = await runDeployment(
      {
        settings,
        preflight,
        taskDefinition: revisions.service!,
        ...(existing ? { existing } : {}),
      },
      context.deps,
    );
    const migration = deployMigrationFacts(context, report);
    return {
      outputs: { ...deploymentOutputs(report), ...migrationOutputs(report.migration, 'apply') },
      summary: deploySummary(context, report, migration),
      ...(report.error ? { error: withHint(report.error, migration) } : {}),
      deployment: report,
      leftBehind: rolledBackLeftBehind(report, !existing),
    };
  },
};

/** What the summary shows of Atlas's report for a deploy that updated the service. */
export function deployMigrationFacts(context: ModeContext, report: DeploymentReport) {
  const outcome = report.outcome;
  const failed = outcome?.status === 'failed' && outcome.kind === 'migration' ? outcome : undefined;
  return migrationSectionFacts(report.migration, 'apply', {
    settings: context.settings,
    ...(failed ? { errorLines: failed.errorLines } : {}),
  });
}

/** The summary of a deploy that updated the service (sidecar, and run-task after its task). */
export function deploySummary(
  context: ModeContext,
  report: DeploymentReport,
  migration: MigrationSectionFacts | undefined,
): string {
  return renderDeploySummary({
    image: context.image,
    push: context.push,
    service: context.preflight.serviceName,
    cluster: context.preflight.cluster,
    family: context.family,
    taskDefinitionFile: context.taskDefinitionFile,
    taskDefinitionDiff: context.taskDefinitionDiff,
    report,
    links: links(context, report),
    command: migrationCommandOf(context),
    ...(migration ? { migration } : {}),
    githubDeployment: context.deps.githubDeployment?.(),
  });
}

/** The migration container's command, from whichever revision holds it. */
export function migrationCommandOf(context: ModeContext): readonly string[] {
  const { revisions, settings } = context;
  const holder = revisions.migrationTask ?? revisions.service;
  const container = holder?.containerDefinitions.find((c) => c.name === settings.containerName);
  return container?.command ?? [];
}

function links(context: ModeContext, report: DeploymentReport) {
  const outcome = report.outcome;
  const migration =
    outcome?.status === 'failed' && outcome.kind === 'migration' ? outcome : undefined;
  return deploymentLinks({
    serviceArn: context.preflight.serviceArn,
    cluster: context.preflight.cluster,
    taskDefinitionArn: report.deployed.taskDefinitionArn,
    previousTaskDefinitionArn: report.deployed.previousTaskDefinitionArn,
    ...(migration ? { taskArn: migration.taskArn } : {}),
    ...(migration?.logStream ? { logStream: migration.logStream } : {}),
  });
}
