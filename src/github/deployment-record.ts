// The GitHub deployment that records a deploy in the repository's Deployments. Pure: whether a
// run records one, the request bodies of POST /repos/{owner}/{repo}/deployments and of its
// /statuses, the status each outcome maps to (with a description within GitHub's 140
// characters), and the warning for a request GitHub refused or never answered.
//
// The deployment is created when the service update starts, not when the step does: its payload
// names the task definition revision the service is moved to, which ECS numbers only when it is
// registered, and a deployment's payload cannot be changed later. Nothing is recorded for a run
// that stops before it changes anything (bad input, a failed push). In run-task mode a migration
// that fails in its standalone task stops the deploy before the service update: it is recorded
// then, straight to its final status, since the database may already have changed.
import type { DeploymentReport } from '../deploy/run-deployment';
import type { MigrationTaskOutcome } from '../deploy/run-task';
import { parseArn, serviceConsoleUrl } from '../deploy/console-links';
import type { Settings } from '../inputs/settings';

/** The deployment's `task`: GitHub's own example for a deploy that runs migrations. */
export const DEPLOYMENT_TASK = 'deploy:migrations';
/** GitHub refuses a longer status description. */
export const MAX_DESCRIPTION_LENGTH = 140;
export const PERMISSION_FIX = '`permissions: deployments: write`';

/** Where the record goes: the repository, the commit, the environment, and the token. */
export interface RecordTarget {
  readonly owner: string;
  readonly repo: string;
  /** The workflow's commit (GITHUB_SHA). */
  readonly ref: string;
  readonly environment: string;
  readonly token: string;
}

export type RecordDecision =
  | { readonly kind: 'record'; readonly target: RecordTarget }
  /** `message`: why nothing is recorded, when the user asked for a record (absent: they did not). */
  | { readonly kind: 'skip'; readonly level: 'info' | 'warning'; readonly message?: string };

export interface RunnerFacts {
  /** `owner/repo` (GITHUB_REPOSITORY). */
  readonly githubRepository?: string;
  readonly githubSha?: string;
}

/** Whether this run records a GitHub deployment, and where; or why not. */
export function recordDecision(
  settings: Pick<Settings, 'environment' | 'githubToken' | 'dryRun' | 'mode'>,
  runner: RunnerFacts,
): RecordDecision {
  const environment = settings.environment;
  if (!environment) return { kind: 'skip', level: 'info' };
  const none = `no GitHub deployment is recorded for environment ${JSON.stringify(environment)}`;
  if (settings.dryRun) {
    return { kind: 'skip', level: 'info', message: `A dry run changes nothing: ${none}.` };
  }
  if (settings.mode === 'plan') {
    return { kind: 'skip', level: 'info', message: `Mode plan changes nothing: ${none}.` };
  }
  if (!settings.githubToken) {
    return {
      kind: 'skip',
      level: 'warning',
      message: `Input 'environment' is set but 'github-token' is empty: ${none}. Fix: leave github-token at its default (\${{ github.token }}) and give the job ${PERMISSION_FIX}.`,
    };
  }
  const repository = /^([^/\s]+)\/([^/\s]+)$/.exec(runner.githubRepository ?? '');
  if (!repository || !runner.githubSha) {
    return {
      kind: 'skip',
      level: 'warning',
      message: `GITHUB_REPOSITORY and GITHUB_SHA name no repository and commit (${JSON.stringify(runner.githubRepository ?? '')}, ${JSON.stringify(runner.githubSha ?? '')}): ${none}. The runner sets both; outside one, set them to record the deploy.`,
    };
  }
  return {
    kind: 'record',
    target: {
      owner: repository[1]!,
      repo: repository[2]!,
      ref: runner.githubSha,
      environment,
      token: settings.githubToken,
    },
  };
}

/** What the deployment's payload and descriptions say about the deploy. */
export interface RolloutFacts {
  readonly service: string;
  /** Name or ARN, as the deploy used it. */
  readonly cluster: string;
  readonly imageDigest: string;
}

/** What the rollout the record is created for runs. */
export type RecordedRevision =
  /** The service's new revision: UpdateService started rolling it out. */
  | { readonly taskDefinitionArn: string }
  /** run-task's migration-only revision, when its task failed and the service was not updated. */
  | { readonly migrationTaskDefinitionArn: string };

export interface DeploymentPayload {
  readonly service: string;
  readonly cluster: string;
  readonly taskDefinitionArn?: string;
  readonly migrationTaskDefinitionArn?: string;
  readonly imageDigest: string;
}

/** POST /repos/{owner}/{repo}/deployments, as the REST API documents its body. */
export interface CreateDeploymentBody {
  readonly ref: string;
  readonly task: string;
  /** Never merge the default branch into the commit: the deploy is of this commit. */
  readonly auto_merge: false;
  /** The workflow ran its own checks before the deploy step: GitHub verifies no commit status. */
  readonly required_contexts: readonly string[];
  readonly environment: string;
  readonly description: string;
  readonly payload: DeploymentPayload;
}

export function createDeploymentBody(
  target: RecordTarget,
  facts: RolloutFacts,
  revision: RecordedRevision,
): CreateDeploymentBody {
  const arn =
    'taskDefinitionArn' in revision
      ? revision.taskDefinitionArn
      : revision.migrationTaskDefinitionArn;
  return {
    ref: target.ref,
    task: DEPLOYMENT_TASK,
    auto_merge: false,
    required_contexts: [],
    environment: target.environment,
    description: clip(
      `Atlas migrations and ${revisionLabel(arn)} to ECS service ${facts.service} (cluster ${clusterName(facts.cluster)})`,
    ),
    payload: {
      service: facts.service,
      cluster: facts.cluster,
      ...revision,
      imageDigest: facts.imageDigest,
    },
  };
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error';

/** The state a status sets, and what it says (within MAX_DESCRIPTION_LENGTH). */
export interface StatusVerdict {
  readonly state: DeploymentState;
  readonly description: string;
}

/** Where a status points: the run's log, the service's console page. */
export interface StatusLinks {
  readonly logUrl?: string;
  readonly environmentUrl?: string;
}

/** POST /repos/{owner}/{repo}/deployments/{id}/statuses. */
export interface DeploymentStatusBody {
  readonly state: DeploymentState;
  readonly description: string;
  readonly log_url?: string;
  readonly environment_url?: string;
}

export function deploymentStatusBody(
  verdict: StatusVerdict,
  links: StatusLinks,
): DeploymentStatusBody {
  return {
    state: verdict.state,
    description: clip(verdict.description),
    ...(links.logUrl ? { log_url: links.logUrl } : {}),
    ...(links.environmentUrl ? { environment_url: links.environmentUrl } : {}),
  };
}

export function inProgressVerdict(
  facts: RolloutFacts,
  deployed: { readonly taskDefinitionArn: string; readonly deploymentId: string },
): StatusVerdict {
  return {
    state: 'in_progress',
    description: `Rolling out ${revisionLabel(deployed.taskDefinitionArn)} to ${facts.service} (ECS deployment ${deployed.deploymentId})`,
  };
}

/** How the deploy ended, as far as the record's final status needs it. */
export type RolloutResult =
  /** The service was updated: the watch's outcome (none when not waiting). */
  | { readonly kind: 'deployment'; readonly report: DeploymentReport }
  /** run-task: the standalone migration did not succeed; the service was not updated. */
  | { readonly kind: 'migration-task'; readonly outcome: MigrationTaskOutcome }
  /** The action stopped on an error after the rollout started. */
  | { readonly kind: 'stopped'; readonly message: string };

/**
 * `success` when the service is stable on the new revision (or was handed to ECS without a
 * wait); `failure` when the migration or the rollout failed; `error` when the action could not
 * tell (a timeout, another deployment replacing ours, a task that never ran, an AWS error).
 */
export function finalVerdict(
  result: RolloutResult,
  context: { readonly service: string; readonly waitTimeoutMinutes: number },
): StatusVerdict | undefined {
  const { service } = context;
  if (result.kind === 'stopped') {
    return { state: 'error', description: `The action stopped: ${firstLine(result.message)}` };
  }
  if (result.kind === 'migration-task') return migrationTaskVerdict(result.outcome, service);
  const { report } = result;
  const revision = revisionLabel(report.deployed.taskDefinitionArn);
  const outcome = report.outcome;
  if (!outcome) {
    return {
      state: 'success',
      description: `Rollout of ${revision} to ${service} started; not waited for (wait-for-service-stability is false)`,
    };
  }
  if (outcome.status === 'succeeded') {
    return {
      state: 'success',
      description:
        report.migrationStatus === 'succeeded'
          ? `Migrations applied; ${service} is stable on ${revision}`
          : `${service} is on ${revision}; no task ran the migration (desired count 0)`,
    };
  }
  const after = afterFailure(report);
  if (outcome.status === 'timeout') {
    return {
      state: 'error',
      description: outcome.stoppedWatching
        ? `Stopped watching the rollout of ${revision}, its outcome unknown: ${firstLine(outcome.stoppedWatching)}`
        : `Rollout of ${revision} not finished within ${context.waitTimeoutMinutes} min; ECS keeps rolling it out`,
    };
  }
  if (outcome.kind === 'migration') {
    const cause = outcome.errorLines[0] ?? `exit code ${outcome.exitCode}`;
    return { state: 'failure', description: `Migration failed${after}: ${cause}` };
  }
  if (outcome.cause === 'superseded') {
    return {
      state: 'error',
      description: `Another ECS deployment replaced ${revision} before it finished`,
    };
  }
  if (outcome.cause === 'rolled-back') {
    return {
      state: 'failure',
      description: `Rollout failed, ECS rolled ${service} back: ${firstLine(outcome.reason)}`,
    };
  }
  return { state: 'failure', description: `Rollout failed${after}: ${firstLine(outcome.reason)}` };
}

function migrationTaskVerdict(
  outcome: MigrationTaskOutcome,
  service: string,
): StatusVerdict | undefined {
  const notUpdated = `${service} not updated`;
  if (outcome.status === 'succeeded') return undefined;
  if (outcome.status === 'timeout') {
    return {
      state: 'error',
      description: `Migration task still ${outcome.lastStatus ?? 'running'} at the time limit; ${notUpdated}`,
    };
  }
  if (outcome.kind === 'not-started') {
    const reason = outcome.failures[0]?.reason;
    return {
      state: 'error',
      description: `Migration task did not start${reason ? ` (${reason})` : ''}; ${notUpdated}`,
    };
  }
  if (outcome.kind === 'task') {
    return {
      state: 'error',
      description: `Migration task stopped before Atlas ran${outcome.stoppedReason ? ` (${firstLine(outcome.stoppedReason)})` : ''}; ${notUpdated}`,
    };
  }
  const cause = outcome.errorLines[0] ?? `exit code ${outcome.exitCode ?? 'unknown'}`;
  return { state: 'failure', description: `Migration failed, ${notUpdated}: ${cause}` };
}

/** What happened to the service after a failure, for the description. */
function afterFailure(report: DeploymentReport): string {
  if (report.rollback?.rolledBack) {
    return `, rolled back to ${revisionLabel(report.rollback.taskDefinitionArn)}`;
  }
  if (report.rollback) return ', and the rollback failed';
  if (report.replacedBy) return ', not rolled back (replaced by another deployment)';
  return '';
}

/** The run's page: GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID[/attempts/N]. */
export function runUrl(runner: {
  readonly githubServerUrl?: string;
  readonly githubRepository?: string;
  readonly githubRunId?: string;
  readonly githubRunAttempt?: string;
}): string | undefined {
  const { githubServerUrl, githubRepository, githubRunId, githubRunAttempt } = runner;
  if (!githubServerUrl || !githubRepository || !githubRunId) return undefined;
  const run = `${githubServerUrl.replace(/\/+$/, '')}/${githubRepository}/actions/runs/${githubRunId}`;
  return githubRunAttempt ? `${run}/attempts/${githubRunAttempt}` : run;
}

/** The service's deployments in the ECS console; undefined when its ARN gives no region. */
export function environmentUrl(serviceArn: string, cluster: string): string | undefined {
  const arn = parseArn(serviceArn);
  if (!arn?.region) return undefined;
  return serviceConsoleUrl({
    region: arn.region,
    partition: arn.partition,
    cluster,
    service: serviceArn,
  });
}

/** The environment's page in the repository's Deployments. */
export function deploymentsPageUrl(
  githubServerUrl: string | undefined,
  target: Pick<RecordTarget, 'owner' | 'repo' | 'environment'>,
): string | undefined {
  if (!githubServerUrl) return undefined;
  return `${githubServerUrl.replace(/\/+$/, '')}/${target.owner}/${target.repo}/deployments/${encodeURIComponent(target.environment)}`;
}

/** A request GitHub refused (`status`) or that got no answer in time (`status` absent). */
export interface RequestFailure {
  readonly status?: number;
  readonly message: string;
  readonly attempts: number;
}

/** The warning for a failed request: what happened, what to change, and that the deploy goes on. */
export function recordingWarning(
  step:
    | { readonly kind: 'create' }
    | { readonly kind: 'status'; readonly id: number; readonly state: DeploymentState },
  target: Pick<RecordTarget, 'owner' | 'repo' | 'environment'>,
  failure: RequestFailure,
): string {
  const what =
    step.kind === 'create'
      ? `No GitHub deployment was recorded for environment ${JSON.stringify(target.environment)}`
      : `GitHub deployment ${step.id} could not be set to ${step.state} (it keeps its last status)`;
  const repository = `${target.owner}/${target.repo}`;
  const answered = (status: number) => `GitHub answered ${status} ${firstLine(failure.message)}`;
  let why: string;
  switch (failure.status) {
    case undefined:
      why = `GitHub's API could not be reached after ${attempts(failure.attempts)} (${firstLine(failure.message)})`;
      break;
    case 401:
      why = `${answered(401)}: the github-token is not valid (expired or revoked). Fix: pass a valid token, e.g. the default \${{ github.token }}, with ${PERMISSION_FIX}`;
      break;
    case 403:
      why = `${answered(403)}: the token may not write deployments of ${repository}. Fix: add ${PERMISSION_FIX} to the job's permissions (or pass a github-token that has it)`;
      break;
    case 404:
      why = `${answered(404)}: the token cannot see ${repository} or its deployments. Fix: add ${PERMISSION_FIX} to the job's permissions, or pass a github-token with access to ${repository}`;
      break;
    case 422:
      why = `${answered(422)}: GitHub refused the request. Fix: check the environment's deployment branch and tag rules for this ref`;
      break;
    default:
      why =
        failure.status >= 500 || failure.status === 429
          ? `${answered(failure.status)} after ${attempts(failure.attempts)}`
          : answered(failure.status);
  }
  return `${what}: ${why}. The deploy itself is not affected.`;
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/** `arn:…:task-definition/family:revision` → `family:revision`; anything else as it is. */
export function revisionLabel(taskDefinitionArn: string): string {
  const match = /:task-definition\/(.+)$/.exec(taskDefinitionArn);
  return match ? match[1]! : taskDefinitionArn;
}

function clusterName(cluster: string): string {
  const arn = parseArn(cluster);
  return arn ? arn.resource.replace(/^cluster\//, '') : cluster;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).trim();
}

/** At most `max` characters (code points, so no emoji is cut in half), `…` marking a cut. */
export function clip(text: string, max = MAX_DESCRIPTION_LENGTH): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
