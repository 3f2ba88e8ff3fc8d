// The GitHub deployments API through @actions/github's Octokit, which takes its base URL from
// GITHUB_API_URL (GitHub Enterprise Server, or a loopback fake in the tests) and the runner's
// proxy settings. Octokit itself neither retries nor times out (its fetch waits as long as the
// server keeps the connection), so each request here is bounded: a timeout per attempt, and a
// few attempts with backoff (src/util/retry.ts, the project's one retry loop) on throttling, 5xx
// and the network. A request that timed out is retried only when repeating it is harmless: a
// second status is, a second deployment is not.
import { errorMessage } from '../errors';
import { parseRetryAfter, retry } from '../util/retry';
import type { CreateDeploymentBody, DeploymentStatusBody } from './deployment-record';

export interface GitHubRepository {
  readonly owner: string;
  readonly repo: string;
}

export interface GitHubDeployments {
  /** The new deployment's id. */
  createDeployment(body: CreateDeploymentBody): Promise<{ id: number }>;
  createDeploymentStatus(deploymentId: number, body: DeploymentStatusBody): Promise<void>;
}

/** A request that failed for good: GitHub's status (absent: no answer) and its message. */
export class GitHubRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'GitHubRequestError';
  }
}

export interface GitHubClientOptions extends GitHubRepository {
  readonly token: string;
  readonly userAgent: string;
  /** Default: @actions/github's, GITHUB_API_URL or https://api.github.com. */
  readonly baseUrl?: string;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  /** Default 3. */
  readonly attempts?: number;
  /** No new attempt starts past this. Default 30 s. */
  readonly maxElapsedMs?: number;
  /** Backoff before the second attempt (doubles each time, with jitter). Default 1 s. */
  readonly baseDelayMs?: number;
  sleep(ms: number): Promise<void>;
  random?(): number;
  /** Retries and Octokit's own warnings (a deprecated endpoint). */
  log(message: string): void;
  now?(): number;
}

export const GITHUB_REQUEST_DEFAULTS = {
  timeoutMs: 10_000,
  attempts: 3,
  maxElapsedMs: 30_000,
  baseDelayMs: 1_000,
} as const;

/** What Octokit's RequestError carries, read without depending on its class. */
interface OctokitFailure {
  readonly status?: number;
  readonly message?: string;
  readonly response?: { readonly headers?: Record<string, string | undefined> };
}

export function createGitHubDeployments(options: GitHubClientOptions): GitHubDeployments {
  const now = options.now ?? Date.now;
  // Loaded here, not on import: @actions/github takes ~90 ms to load, and only a run that records
  // a deployment needs it. The bundler bundles a require as it does an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getOctokit } = require('@actions/github') as typeof import('@actions/github');
  const octokit = getOctokit(options.token, {
    userAgent: options.userAgent,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => options.log(message),
      error: (message: string) => options.log(message),
    },
  });
  const repository = { owner: options.owner, repo: options.repo };

  /** Runs one request with a timeout per attempt and bounded retries; throws GitHubRequestError. */
  async function bounded<T>(
    label: string,
    idempotent: boolean,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    let attempts = 0;
    const timeoutMs = options.timeoutMs ?? GITHUB_REQUEST_DEFAULTS.timeoutMs;
    const timedOut = new WeakSet<object>();
    try {
      return await retry(
        async () => {
          attempts++;
          const signal = AbortSignal.timeout(timeoutMs);
          try {
            return await send(signal);
          } catch (error) {
            if (signal.aborted && typeof error === 'object' && error !== null) {
              timedOut.add(error);
            }
            throw error;
          }
        },
        {
          label,
          attempts: options.attempts ?? GITHUB_REQUEST_DEFAULTS.attempts,
          maxElapsedMs: options.maxElapsedMs ?? GITHUB_REQUEST_DEFAULTS.maxElapsedMs,
          baseDelayMs: options.baseDelayMs ?? GITHUB_REQUEST_DEFAULTS.baseDelayMs,
          isRetryable: (error) =>
            isRetryable(error as OctokitFailure, {
              idempotent,
              timedOut: typeof error === 'object' && error !== null && timedOut.has(error),
            }),
          retryAfterMs: (error) => retryAfterMs(error as OctokitFailure, now()),
          sleep: (ms) => options.sleep(ms),
          random: options.random ?? Math.random,
          log: options.log,
          now,
        },
      );
    } catch (error) {
      const failure = error as OctokitFailure;
      const answered = failure.response !== undefined && typeof failure.status === 'number';
      const message =
        typeof error === 'object' && error !== null && timedOut.has(error)
          ? `no answer within ${timeoutMs / 1000} s`
          : errorMessage(error);
      throw new GitHubRequestError(message, answered ? failure.status : undefined, attempts);
    }
  }

  return {
    async createDeployment(body) {
      const answer = await bounded('Create the GitHub deployment', false, (signal) =>
        octokit.rest.repos.createDeployment({
          ...repository,
          ...body,
          required_contexts: [...body.required_contexts],
          payload: { ...body.payload },
          request: { signal },
        }),
      );
      const data = answer.data as { id?: unknown; message?: unknown };
      if (typeof data.id !== 'number') {
        // 202: GitHub merged the default branch into the ref instead (auto_merge, never set here).
        throw new GitHubRequestError(
          `the answer (${answer.status}) holds no deployment id${typeof data.message === 'string' ? `: ${data.message}` : ''}`,
          answer.status,
          1,
        );
      }
      return { id: data.id };
    },
    async createDeploymentStatus(deploymentId, body) {
      await bounded(`Set GitHub deployment ${deploymentId} to ${body.state}`, true, (signal) =>
        octokit.rest.repos.createDeploymentStatus({
          ...repository,
          deployment_id: deploymentId,
          ...body,
          request: { signal },
        }),
      );
    },
  };
}

/** Throttling, a server error or no connection: worth another attempt. */
function isRetryable(
  error: OctokitFailure,
  context: { readonly idempotent: boolean; readonly timedOut: boolean },
): boolean {
  if (context.timedOut) return context.idempotent;
  const status = error.status;
  // Octokit reports a failed connection as status 500 without a response.
  if (error.response === undefined) return true;
  if (status === undefined) return false;
  if (status === 429 || status >= 500) return true;
  // GitHub's rate limits answer 403 with Retry-After, or with no requests left.
  const headers = error.response.headers ?? {};
  return status === 403 && (!!headers['retry-after'] || headers['x-ratelimit-remaining'] === '0');
}

function retryAfterMs(error: OctokitFailure, nowMs: number): number | undefined {
  const headers = error.response?.headers ?? {};
  const after = parseRetryAfter(headers['retry-after'], nowMs);
  if (after !== undefined) return after;
  const reset = Number(headers['x-ratelimit-reset']);
  return headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)
    ? Math.max(0, reset * 1000 - nowMs)
    : undefined;
}
