// Keeps one GitHub deployment in step with the deploy: created with the status in_progress once
// the service update started, then given its final status. Never throws and never fails the
// deploy: a request GitHub refuses or never answers is a warning that says what to change, and
// what the deploy does is unaffected. Once GitHub could not be reached, nothing more is asked.
import type { Deployed } from '../deploy/deploy';
import type { ActionIO } from '../report/action-io';
import type { GitHubDeploymentFacts } from '../report/render-deploy-summary';
import { GitHubRequestError, type GitHubDeployments } from './client';
import {
  createDeploymentBody,
  deploymentStatusBody,
  finalVerdict,
  inProgressVerdict,
  recordingWarning,
  type RecordedRevision,
  type RecordTarget,
  type RolloutFacts,
  type RolloutResult,
  type StatusLinks,
  type StatusVerdict,
} from './deployment-record';

export interface DeploymentRecorder {
  /** UpdateService started the rollout: create the deployment and set it in_progress. */
  rolloutStarted(deployed: Deployed): Promise<void>;
  /** The deployment created so far, for the summary. */
  recorded(): GitHubDeploymentFacts | undefined;
  /** The final status (creating the deployment first for a run-task migration that failed). */
  finish(result: RolloutResult): Promise<GitHubDeploymentFacts | undefined>;
}

export interface RecorderContext {
  readonly target: RecordTarget;
  readonly facts: RolloutFacts;
  readonly links: StatusLinks;
  /** The environment's page among the repository's Deployments. */
  readonly pageUrl?: string;
  readonly waitTimeoutMinutes: number;
  readonly client: GitHubDeployments;
  readonly io: Pick<ActionIO, 'info' | 'warning'>;
}

export function createDeploymentRecorder(context: RecorderContext): DeploymentRecorder {
  const { target, io, client } = context;
  let id: number | undefined;
  let unreachable = false;
  let attempted = false;

  const recorded = (): GitHubDeploymentFacts | undefined =>
    id === undefined
      ? undefined
      : {
          id,
          environment: target.environment,
          ...(context.pageUrl ? { url: context.pageUrl } : {}),
        };

  async function create(revision: RecordedRevision): Promise<void> {
    if (attempted) return;
    attempted = true;
    try {
      ({ id } = await client.createDeployment(
        createDeploymentBody(target, context.facts, revision),
      ));
      io.info(
        `Recorded GitHub deployment ${id} of ${target.ref.slice(0, 12)} to environment ${JSON.stringify(target.environment)}`,
      );
    } catch (error) {
      warn(error, { kind: 'create' });
    }
  }

  async function post(verdict: StatusVerdict): Promise<void> {
    if (id === undefined || unreachable) return;
    try {
      await client.createDeploymentStatus(id, deploymentStatusBody(verdict, context.links));
      io.info(`GitHub deployment ${id}: ${verdict.state}`);
    } catch (error) {
      warn(error, { kind: 'status', id, state: verdict.state });
    }
  }

  function warn(error: unknown, step: Parameters<typeof recordingWarning>[0]): void {
    const failure =
      error instanceof GitHubRequestError
        ? error
        : { status: undefined, message: String(error), attempts: 1 };
    if (failure.status === undefined) unreachable = true;
    io.warning(recordingWarning(step, target, failure));
  }

  return {
    async rolloutStarted(deployed) {
      await create({ taskDefinitionArn: deployed.taskDefinitionArn });
      await post(inProgressVerdict(context.facts, deployed));
    },
    recorded,
    async finish(result) {
      if (result.kind === 'migration-task' && result.outcome.status !== 'succeeded') {
        await create({ migrationTaskDefinitionArn: result.outcome.taskDefinitionArn });
      }
      const verdict = finalVerdict(result, {
        service: context.facts.service,
        waitTimeoutMinutes: context.waitTimeoutMinutes,
      });
      if (verdict) await post(verdict);
      return recorded();
    },
  };
}
