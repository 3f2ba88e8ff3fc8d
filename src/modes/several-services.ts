// Sidecar and run-task with several services (`service`, one per line): every service's revision
// deployed and watched together (deploy/run-deployments.ts), one summary section per service under
// an overview, and outputs keyed by service where each service has its own value.
import { errorMessage } from '../errors';
import type { MigrationRead } from '../deploy/applied-report';
import {
  deploymentOutputs,
  type DeploymentReport,
  type RunDeploymentRequest,
} from '../deploy/run-deployment';
import { runDeployments, ServicesNotAllUpdatedError } from '../deploy/run-deployments';
import { rolledBackLeftBehind, type LeftBehind } from '../deploy/left-behind';
import { withHint } from '../report/migration-facts';
import { migrationOutputs } from '../report/migration-outputs';
import { renderServicesOverview } from '../report/render-services-overview';
import { deployMigrationFacts, deploySummary } from './sidecar';
import type { ModeContext, ModeResult, ServiceTarget } from './types';

/** The outputs that differ per service: with several, each is a JSON object keyed by service. */
export const PER_SERVICE_OUTPUTS = ['task-definition-arn', 'deployment-id'] as const;

export async function deployServices(
  context: ModeContext,
  requestFor: (target: ServiceTarget) => RunDeploymentRequest,
  /** run-task: the standalone task decided the migration; the services' tasks did not run it. */
  migrated?: MigrationRead,
  /** run-task: the migration family to trim (deregister-revisions). */
  migrationLeft: LeftBehind = {},
): Promise<ModeResult> {
  const targets = context.services;
  const requests = targets.map(requestFor);
  let reports: DeploymentReport[];
  let notAllUpdated: ServicesNotAllUpdatedError | undefined;
  try {
    reports = await runDeployments(requests, context.deps);
  } catch (error) {
    if (!(error instanceof ServicesNotAllUpdatedError)) throw error;
    notAllUpdated = error;
    reports = [...error.reports];
  }
  if (migrated) {
    reports = reports.map((r) => ({
      ...r,
      migrationStatus: 'succeeded' as const,
      migration: migrated,
    }));
  }
  const deployedTargets = targets.slice(0, reports.length);
  const sections = reports.map((report, i) => {
    const target = { ...context, ...deployedTargets[i]! };
    return deploySummary(target, report, deployMigrationFacts(target, report));
  });
  const applying = reports.find((r) => (r.migration?.reports.length ?? 0) > 0) ?? reports[0];
  // Reports come in the order of the targets (those updated, when the step stopped early).
  const failed = reports.flatMap((report, i) =>
    report.error ? [{ report, target: targets[i]! }] : [],
  );
  const error =
    notAllUpdated ??
    (failed.length === 1
      ? withHint(
          new Error(
            `Service ${failed[0]!.target.preflight.serviceName}: ${errorMessage(failed[0]!.report.error)}`,
          ),
          deployMigrationFacts({ ...context, ...failed[0]!.target }, failed[0]!.report),
        )
      : failed.length > 1
        ? new Error(
            failed
              .map(
                (f) => `Service ${f.target.preflight.serviceName}: ${errorMessage(f.report.error)}`,
              )
              .join('\n'),
          )
        : undefined);
  return {
    outputs: {
      ...Object.fromEntries(
        PER_SERVICE_OUTPUTS.map((name) => [
          name,
          JSON.stringify(
            Object.fromEntries(
              targets.map((t, i) => [
                t.preflight.serviceName,
                reports[i] ? deploymentOutputs(reports[i]!)[name] : '',
              ]),
            ),
          ),
        ]),
      ),
      'migration-status': overallStatus(reports, notAllUpdated !== undefined),
      ...migrationOutputs(applying?.migration, 'apply'),
    },
    summary: [
      renderServicesOverview(
        targets.map((t, i) => ({
          service: t.preflight.serviceName,
          report: reports[i],
        })),
        notAllUpdated ? firstLine(notAllUpdated.message) : migrationFailureCause(reports, targets),
      ),
      ...sections,
    ].join('\n'),
    ...(error ? { error } : {}),
    ...(reports[0] ? { deployment: reports[0] } : {}),
    leftBehind: {
      ...migrationLeft,
      rolledBackRevisions: reports.flatMap(
        (report, i) =>
          rolledBackLeftBehind(report, !requests[i]!.existing).rolledBackRevisions ?? [],
      ),
    },
  };
}

/** One status for the one database: failed if it failed anywhere, succeeded if it ran. */
function overallStatus(reports: readonly DeploymentReport[], notAllUpdated: boolean): string {
  if (reports.some((r) => r.migrationStatus === 'failed')) return 'failed';
  if (notAllUpdated) return 'skipped';
  if (reports.some((r) => r.migrationStatus === 'succeeded')) return 'succeeded';
  return 'skipped';
}

/** The overview's cause when the migration failed in one service: where, and what followed. */
function migrationFailureCause(
  reports: readonly DeploymentReport[],
  targets: readonly ServiceTarget[],
): string | undefined {
  const index = reports.findIndex(
    (r) => r.outcome?.status === 'failed' && r.outcome.kind === 'migration',
  );
  if (index < 0) return undefined;
  const others = reports.filter((r, i) => i !== index && r.rolledBackWith).length;
  return `the migration failed in service \`${targets[index]!.preflight.serviceName}\` (its section below has Atlas's error)${others === 1 ? '; the other service updated with it was rolled back too' : others > 1 ? `; the ${others} other services updated with it were rolled back too` : ''}.`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
