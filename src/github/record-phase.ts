// The GitHub deployment record as two phases of a run: deciding whether to record (and with which
// facts and links), and running the mode with the record told when the rollout starts and given
// the deploy's outcome at the end. The record's requests and its failures live in recorder.ts.
import type { Preflight } from '../deploy/preflight';
import { errorMessage } from '../errors';
import type { Settings } from '../inputs/settings';
import type { ModeDeps, ModeResult } from '../modes';
import type { ActionIO } from '../report/action-io';
import type { Deps } from '../run';
import {
  deploymentsPageUrl,
  environmentUrl,
  recordDecision,
  runUrl,
  type RolloutResult,
} from './deployment-record';
import { createDeploymentRecorder, type DeploymentRecorder } from './recorder';

/**
 * The GitHub deployment that records this deploy, when `environment` and `github-token` ask for
 * one; a dry run and a plan record nothing (they change nothing), and say so when asked.
 */
export function githubDeploymentPhase(
  settings: Settings,
  checked: Preflight | undefined,
  imageDigest: string,
  deps: Deps,
): DeploymentRecorder | undefined {
  const decision = recordDecision(settings, deps.env);
  if (decision.kind === 'skip') {
    if (decision.message && decision.level === 'warning') deps.io.warning(decision.message);
    else if (decision.message) deps.io.info(decision.message);
    return undefined;
  }
  if (!checked) return undefined;
  const { target } = decision;
  const logUrl = runUrl(deps.env);
  const serviceUrl = environmentUrl(checked.serviceArn, checked.cluster);
  const pageUrl = deploymentsPageUrl(deps.env.githubServerUrl, target);
  return createDeploymentRecorder({
    target,
    facts: { service: checked.serviceName, cluster: checked.cluster, imageDigest },
    links: {
      ...(logUrl ? { logUrl } : {}),
      ...(serviceUrl ? { environmentUrl: serviceUrl } : {}),
    },
    ...(pageUrl ? { pageUrl } : {}),
    waitTimeoutMinutes: settings.waitTimeoutMinutes,
    client: deps.githubDeployments(target),
    io: deps.io,
  });
}

/** What the mode's deps carry for the GitHub record: told when the rollout starts, and read back. */
export type RecordHooks = Pick<ModeDeps, 'rolloutStarted' | 'githubDeployment'>;

/**
 * Runs the mode with the GitHub record told when its rollout starts, then gives the record the
 * deploy's outcome (an error that stops the mode included). Returns the github-deployment-id.
 */
export async function recordedRollout(
  recorder: DeploymentRecorder | undefined,
  io: ActionIO,
  runMode: (hooks: RecordHooks) => Promise<ModeResult>,
): Promise<{ result: ModeResult; githubDeploymentId: string }> {
  const hooks: RecordHooks = recorder
    ? {
        rolloutStarted: (deployed) => recorder.rolloutStarted(deployed),
        githubDeployment: () => recorder.recorded(),
      }
    : {};
  let result: ModeResult;
  try {
    result = await runMode(hooks);
  } catch (error) {
    const recorded = await recorder?.finish({ kind: 'stopped', message: errorMessage(error) });
    if (recorded) io.setOutput('github-deployment-id', String(recorded.id));
    throw error;
  }
  const outcome = rolloutResultOf(result);
  const recorded = outcome ? await recorder?.finish(outcome) : recorder?.recorded();
  return { result, githubDeploymentId: recorded ? String(recorded.id) : '' };
}

function rolloutResultOf(result: ModeResult): RolloutResult | undefined {
  if (result.deployment) return { kind: 'deployment', report: result.deployment };
  if (result.migrationTask) return { kind: 'migration-task', outcome: result.migrationTask };
  return undefined;
}
