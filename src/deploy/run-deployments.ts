// Several services that share the database, deployed in one step: each service's revision is
// registered and its service updated in turn, then all are watched together. When the migration
// fails in one, the others stop being watched and every service that was updated is rolled back,
// so no service is left on a revision whose migration did not apply. A service whose update is
// refused stops the step the same way, after rolling back those updated before it.
import { errorMessage } from '../errors';
import type { Deployed } from './deploy';
import { describeRollback } from './rollback-words';
import {
  concludeDeployment,
  notWaited,
  runDeployment,
  startDeployment,
  watchStarted,
  type DeploymentReport,
  type RolloutListener,
  type RunDeploymentRequest,
} from './run-deployment';
import type { WatchDeps, WatchOptions, WatchOutcome } from './watch';

/** The services whose deployments did not all start: the error, after the rollbacks. */
export class ServicesNotAllUpdatedError extends Error {
  constructor(
    message: string,
    /** Reports of the services updated before the failure (each rolled back, or not). */
    readonly reports: readonly DeploymentReport[],
  ) {
    super(message);
    this.name = 'ServicesNotAllUpdatedError';
  }
}

export async function runDeployments(
  requests: readonly RunDeploymentRequest[],
  deps: WatchDeps & RolloutListener,
  watchOverrides: Partial<WatchOptions> = {},
): Promise<DeploymentReport[]> {
  if (requests.length === 1) return [await runDeployment(requests[0]!, deps, watchOverrides)];

  const started: { request: RunDeploymentRequest; deployed: Deployed }[] = [];
  for (const request of requests) {
    try {
      started.push({ request, deployed: await startDeployment(request, deps) });
    } catch (error) {
      throw await rollBackStarted(started, request, error, deps, watchOverrides);
    }
  }
  if (!requests[0]!.settings.waitForServiceStability) {
    return started.map((s) => notWaited(s.deployed, deps));
  }

  // The first migration failure ends every wait: the rollbacks should not wait for the others.
  let migrationFailedIn: string | undefined;
  const outcomes = await Promise.all(
    started.map(async ({ request, deployed }) => {
      const service = request.preflight.serviceName;
      const outcome = await watchStarted(request, deployed, deps, {
        ...watchOverrides,
        stopWhen: () =>
          migrationFailedIn && migrationFailedIn !== service
            ? `the migration failed in service ${migrationFailedIn}, deployed in the same step`
            : undefined,
      });
      if (outcome.status === 'failed' && outcome.kind === 'migration') {
        migrationFailedIn ??= service;
      }
      return outcome;
    }),
  );
  return Promise.all(
    started.map(({ request, deployed }, index) =>
      concludeDeployment(
        request,
        deployed,
        outcomes[index]!,
        deps,
        watchOverrides,
        forcedRollback(request, outcomes[index]!, migrationFailedIn),
      ),
    ),
  );
}

/** Why a service that did not fail itself is rolled back: the migration failed in another. */
function forcedRollback(
  request: RunDeploymentRequest,
  outcome: WatchOutcome,
  migrationFailedIn: string | undefined,
): string | undefined {
  if (!migrationFailedIn || migrationFailedIn === request.preflight.serviceName) return undefined;
  if (outcome.status === 'failed' && outcome.kind === 'migration') return undefined;
  return `Rolled back with the other services: the migration failed in service ${migrationFailedIn}, deployed in the same step.`;
}

/** A service could not be updated: the ones updated before it go back to what they ran. */
async function rollBackStarted(
  started: readonly { request: RunDeploymentRequest; deployed: Deployed }[],
  failed: RunDeploymentRequest,
  error: unknown,
  deps: WatchDeps & RolloutListener,
  watchOverrides: Partial<WatchOptions>,
): Promise<Error> {
  const reason = `Service ${failed.preflight.serviceName} could not be deployed, so the services updated before it are rolled back.`;
  // Not watched: nothing is known of their migration, and no report is looked for.
  const reports = await Promise.all(
    started.map(async ({ request, deployed }) => ({
      ...(await concludeDeployment(
        { ...request, readMigrationReport: false },
        deployed,
        { status: 'succeeded', polls: 0, stoppedTasks: [], runningCount: 0, desiredCount: 0 },
        deps,
        watchOverrides,
        reason,
      )),
      migrationStatus: 'skipped' as const,
    })),
  );
  const after = reports.map((r, i) => {
    const service = started[i]!.request.preflight.serviceName;
    return r.rollback
      ? `${service}: ${describeRollback(r.rollback, r.deployed.previousTaskDefinitionArn)}`
      : `${service}: not rolled back (rollback-on-failure is false).`;
  });
  return new ServicesNotAllUpdatedError(
    [errorMessage(error), ...(after.length > 0 ? [reason, ...after] : [])].join('\n'),
    reports,
  );
}
