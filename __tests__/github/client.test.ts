// The GitHub client through the real Octokit (@actions/github) against the loopback GitHub API:
// what is sent, and how a refusal, a server error, a hang and a closed port end, each bounded.
import { createServer } from 'node:net';
import {
  createGitHubDeployments,
  GitHubRequestError,
  type GitHubClientOptions,
} from '../../src/github/client';
import type { CreateDeploymentBody } from '../../src/github/deployment-record';
import { FakeGitHub, forbidden, notFound } from '../helpers/fake-github';

const TOKEN = 'ghs_clienttesttoken0123456789';
const body: CreateDeploymentBody = {
  ref: 'c0ffee'.padEnd(40, '0'),
  task: 'deploy:migrations',
  auto_merge: false,
  required_contexts: [],
  environment: 'production',
  description: 'Atlas migrations and api:8 to ECS service api (cluster prod)',
  payload: {
    service: 'api',
    cluster: 'prod',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:8',
    imageDigest: `sha256:${'a'.repeat(64)}`,
  },
};

let github: FakeGitHub;
let logs: string[];
let sleeps: number[];

beforeEach(async () => {
  github = new FakeGitHub();
  await github.start();
  logs = [];
  sleeps = [];
});
afterEach(async () => {
  await github.stop();
});

function client(options: Partial<GitHubClientOptions> = {}) {
  return createGitHubDeployments({
    owner: 'acme',
    repo: 'api',
    token: TOKEN,
    userAgent: 'atlas-ecs-deploy/test',
    baseUrl: github.url,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    log: (message) => logs.push(message),
    ...options,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<GitHubRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitHubRequestError);
    return error as GitHubRequestError;
  }
  throw new Error('expected the request to fail');
}

describe('createGitHubDeployments', () => {
  it('creates a deployment and posts statuses to it, authenticated by the token', async () => {
    const { id } = await client().createDeployment(body);
    await client().createDeploymentStatus(id, {
      state: 'in_progress',
      description: 'Rolling out api:8',
      log_url: 'https://github.com/acme/api/actions/runs/1/attempts/1',
      environment_url: 'https://console',
    });

    expect(github.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/repos/acme/api/deployments', 201],
      ['POST', `/repos/acme/api/deployments/${id}/statuses`, 201],
    ]);
    expect(github.requests[0]!.body).toEqual(body);
    expect(github.requests[1]!.body).toEqual({
      state: 'in_progress',
      description: 'Rolling out api:8',
      log_url: 'https://github.com/acme/api/actions/runs/1/attempts/1',
      environment_url: 'https://console',
    });
    expect(github.requests[0]!.authorization).toBe(`token ${TOKEN}`);
    expect(github.requests[0]!.userAgent).toMatch(/^atlas-ecs-deploy\/test octokit-core\.js\//);
    expect(github.deployments().map((d) => d.statuses.length)).toEqual([1]);
  });

  it('fails at once on GitHub’s 403 for a token without deployments: write', async () => {
    github.setFault('create', forbidden());
    const error = await failureOf(client().createDeployment(body));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^Resource not accessible by integration/);
    expect(error.attempts).toBe(1);
    expect(github.requests).toHaveLength(1);
    expect(error.message).not.toContain(TOKEN);
  });

  it('fails at once on a 404', async () => {
    github.setFault('create', notFound());
    const error = await failureOf(client().createDeployment(body));
    expect(error).toMatchObject({ status: 404, attempts: 1 });
  });

  it('fails on a status for a deployment GitHub does not know', async () => {
    const error = await failureOf(
      client().createDeploymentStatus(42, { state: 'success', description: 'x' }),
    );
    expect(error.status).toBe(404);
  });

  it('retries server errors with backoff, then succeeds', async () => {
    github.setFault('create', { kind: 'fail-times', times: 2, status: 502 });
    const { id } = await client().createDeployment(body);
    expect(github.deployments().map((d) => d.id)).toEqual([id]);
    expect(github.requests.map((r) => r.status)).toEqual([502, 502, 201]);
    // Full jitter at 0.5 of 1 s, then of 2 s.
    expect(sleeps).toEqual([500, 1000]);
    expect(logs.filter((l) => l.includes('retrying'))).toHaveLength(2);
  });

  it('gives up on server errors after the attempts', async () => {
    github.setFault('status', { kind: 'fail-times', times: 10, status: 503 });
    const error = await failureOf(
      client().createDeploymentStatus(1, { state: 'success', description: 'x' }),
    );
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect(github.requests).toHaveLength(3);
  });

  it('retries a rate limit answer after the time GitHub asks for, within the budget', async () => {
    const limited = {
      kind: 'fail-times',
      times: 1,
      status: 403,
      message: 'You have exceeded a secondary rate limit',
    } as const;
    github.setFault('create', { ...limited, headers: { 'retry-after': '2' } });
    await client().createDeployment(body);
    expect(github.requests.map((r) => r.status)).toEqual([403, 201]);
    expect(sleeps).toEqual([2000]);

    // A wait past the budget (30 s) is not waited for.
    github.setFault('create', { ...limited, headers: { 'retry-after': '60' } });
    expect(await failureOf(client().createDeployment(body))).toMatchObject({
      status: 403,
      attempts: 1,
    });
  });

  it('does not retry a 403 that is a refusal (no Retry-After, requests left)', async () => {
    github.setFault('create', {
      kind: 'fail-times',
      times: 1,
      status: 403,
      headers: { 'x-ratelimit-remaining': '4999' },
    });
    expect(await failureOf(client().createDeployment(body))).toMatchObject({ attempts: 1 });
  });

  it('bounds a GitHub that never answers: a status is retried, a deployment is not', async () => {
    github.setFault('create', { kind: 'hang' });
    github.setFault('status', { kind: 'hang' });
    const fast = client({ timeoutMs: 200 });

    const create = await failureOf(fast.createDeployment(body));
    expect(create).toMatchObject({ status: undefined, attempts: 1 });
    expect(create.message).toBe('no answer within 0.2 s');
    expect(github.requestsTo('create')).toHaveLength(1);

    const status = await failureOf(
      fast.createDeploymentStatus(1, { state: 'success', description: 'x' }),
    );
    expect(status).toMatchObject({ status: undefined, attempts: 3 });
    expect(github.requestsTo('status')).toHaveLength(3);
  });

  it('stops retrying once the time budget is spent', async () => {
    github.setFault('status', { kind: 'fail-times', times: 10, status: 500 });
    let clock = 0;
    const error = await failureOf(
      client({
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
        attempts: 10,
        maxElapsedMs: 2_000,
      }).createDeploymentStatus(1, { state: 'success', description: 'x' }),
    );
    // 0.5 s, then 1 s; the next wait (2 s) would pass the 2 s budget.
    expect(error.attempts).toBe(3);
  });

  it('reports a closed port as unreachable after the attempts', async () => {
    const port = await closedPort();
    const error = await failureOf(
      client({ baseUrl: `http://127.0.0.1:${port}` }).createDeployment(body),
    );
    expect(error.status).toBeUndefined();
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/ECONNREFUSED|fetch failed|other side closed/);
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
