// The GitHub deployment record through the bundled action: the real Octokit (@actions/github)
// talks to a loopback GitHub API (FakeGitHub) through GITHUB_API_URL, as on GitHub Enterprise
// Server; AWS is the loopback FakeAws and the image goes to a real registry. Each test asserts
// the requests GitHub received, the outputs, the summary and the annotations.
import { createServer } from 'node:net';
import { scenarios, standalone, type FakeAws } from '../helpers/fake-aws';
import {
  FakeGitHub,
  forbidden,
  notFound,
  type RecordedGitHubRequest,
} from '../helpers/fake-github';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { runAction, type ActionRun } from '../helpers/run-action';
import {
  leakableText,
  maskedValues,
  needlesOf,
  randomSecret,
  scanForSecrets,
} from '../helpers/secret-scan';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  FAMILY,
  repositoryName,
  runDeploy,
  SERVICE,
  SERVICE_CONSOLE_URL,
  startSeededAws,
  stderrOf,
  type SeededAws,
} from './deploy-env';

const SHA = '5ca1ab1e'.padEnd(40, '0');
const REPOSITORY = 'acme/api';
const RUN_URL = `https://github.com/${REPOSITORY}/actions/runs/4242/attempts/2`;
const PAGE_URL = `https://github.com/${REPOSITORY}/deployments/production`;

let registry: RegistryServer;
let github: FakeGitHub;
let ws: TestWorkspace;
let seeded: SeededAws;
let aws: FakeAws;
let token: string;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});
beforeEach(async () => {
  github = new FakeGitHub();
  await github.start();
  ws = await exampleWorkspace();
  seeded = await startSeededAws();
  aws = seeded.aws;
  // Random per test, so a leak can only come from this run.
  token = `ghs_${randomSecret(18)}`;
});
afterEach(async () => {
  await github?.stop();
  await aws?.close();
  ws?.remove();
});

/** What the runner gives a step of a workflow run, with the API at the fake. */
function runnerEnv(apiUrl = github.url): Record<string, string> {
  return {
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SHA: SHA,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '2',
  };
}

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return deployInputs(`${registry.host}/${repositoryName('github')}`, {
    'github-token': token,
    environment: 'production',
    ...overrides,
  });
}

function deploy(overrides: Record<string, string> = {}, env = runnerEnv()): Promise<ActionRun> {
  return runDeploy(ws.dir, aws, inputs(overrides), env);
}

/** Asserts the token was masked and appears nowhere a person or a later step can read. */
function expectTokenKeptSecret(run: ActionRun): void {
  expect(maskedValues(run.stdout)).toContain(token);
  const hits = scanForSecrets(leakableText(run), needlesOf({ name: 'github-token', value: token }));
  expect(hits).toEqual([]);
}

function statesOf(requests: readonly RecordedGitHubRequest[]): unknown[] {
  return requests.filter((r) => r.endpoint === 'status').map((r) => r.body?.state);
}

describe('a deploy with environment set', () => {
  it('creates a deployment of the commit, in_progress when the rollout starts, then success', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
    // The AWS calls made by the time each GitHub request arrives.
    const awsCallsBefore: string[][] = [];
    github.onRequest = () => awsCallsBefore.push(aws.calls.map((c) => c.operation));
    const run = await deploy();
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([]);
    expect(run.code).toBe(0);

    const [created, ...statuses] = github.requests;
    expect(created).toMatchObject({
      method: 'POST',
      path: `/repos/${REPOSITORY}/deployments`,
      authorization: `token ${token}`,
      status: 201,
    });
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect(created!.body).toEqual({
      ref: SHA,
      task: 'deploy:migrations',
      auto_merge: false,
      required_contexts: [],
      environment: 'production',
      description: `Atlas migrations and ${FAMILY}:2 to ECS service ${SERVICE} (cluster ${CLUSTER})`,
      payload: {
        service: SERVICE,
        cluster: CLUSTER,
        taskDefinitionArn: registered.arn,
        imageDigest: run.outputs['image-digest'],
      },
    });
    const [deployment] = github.deployments();
    expect(statuses.map((s) => [s.path, s.status])).toEqual([
      [`/repos/${REPOSITORY}/deployments/${deployment!.id}/statuses`, 201],
      [`/repos/${REPOSITORY}/deployments/${deployment!.id}/statuses`, 201],
    ]);
    const ecsDeployment = run.outputs['deployment-id'];
    expect(statuses.map((s) => s.body)).toEqual([
      {
        state: 'in_progress',
        description: `Rolling out ${FAMILY}:2 to ${SERVICE} (ECS deployment ${ecsDeployment})`,
        log_url: RUN_URL,
        environment_url: SERVICE_CONSOLE_URL,
      },
      {
        state: 'success',
        description: `Migrations applied; ${SERVICE} is stable on ${FAMILY}:2`,
        log_url: RUN_URL,
        environment_url: SERVICE_CONSOLE_URL,
      },
    ]);

    // Created, and set in_progress, once UpdateService answered and before the first poll of
    // the rollout; success once the rollout was seen complete and Atlas's report read.
    expect(awsCallsBefore[0]!.at(-1)).toBe('UpdateService');
    expect(awsCallsBefore[1]!.at(-1)).toBe('UpdateService');
    expect(awsCallsBefore[2]).toEqual(aws.calls.map((c) => c.operation));
    expect(awsCallsBefore[2]!.at(-1)).toBe('GetLogEvents');

    expect(run.outputs['github-deployment-id']).toBe(String(deployment!.id));
    expect(run.summary).toContain(
      `| GitHub deployment | [${deployment!.id}](${PAGE_URL}) in \`production\` |`,
    );
    expect(run.stdout).toContain(
      `Recorded GitHub deployment ${deployment!.id} of ${SHA.slice(0, 12)} to environment "production"`,
    );
    expectTokenKeptSecret(run);
  });

  it('posts failure with Atlas’s error when the migration failed, and the step fails', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll: 2 }), CLUSTER);
    const run = await deploy();
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(1);
    expect(run.outputs['migration-status']).toBe('failed');

    expect(statesOf(github.requests)).toEqual(['in_progress', 'failure']);
    const failure = github.requestsTo('status').at(-1)!;
    expect(failure.status).toBe(201);
    const description = failure.body!.description as string;
    expect(description).toMatch(
      new RegExp(`^Migration failed, rolled back to ${FAMILY}:1: Error: sql/migrate: execute`),
    );
    expect(Array.from(description).length).toBeLessThanOrEqual(140);
    expect(failure.body).toMatchObject({ log_url: RUN_URL, environment_url: SERVICE_CONSOLE_URL });
    const [deployment] = github.deployments();
    expect(run.outputs['github-deployment-id']).toBe(String(deployment!.id));
    expect(run.summary).toContain(`| GitHub deployment | [${deployment!.id}](${PAGE_URL})`);
    expectTokenKeptSecret(run);
  });

  it('records a run-task migration that failed before the service update as failure', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.migrationFails() });
    const run = await deploy({ mode: 'run-task' });
    expect(run.code).toBe(1);
    expect(aws.callsOf('UpdateService')).toEqual([]);

    const [created] = github.requestsTo('create');
    const migration = aws.ecs.taskDefinitions.at(-1)!;
    expect(migration.family).toBe(`${FAMILY}-migrate`);
    expect(created!.body!.payload).toEqual({
      service: SERVICE,
      cluster: CLUSTER,
      migrationTaskDefinitionArn: migration.arn,
      imageDigest: run.outputs['image-digest'],
    });
    expect(statesOf(github.requests)).toEqual(['failure']);
    expect(github.requestsTo('status')[0]!.body!.description).toMatch(
      new RegExp(`^Migration failed, ${SERVICE} not updated: Error: `),
    );
    expect(run.outputs['github-deployment-id']).toBe(String(github.deployments()[0]!.id));
  });

  it('records a run-task deploy from the service update: in_progress, then success', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const run = await deploy({ mode: 'run-task' });
    expect(run.code).toBe(0);
    expect(statesOf(github.requests)).toEqual(['in_progress', 'success']);
    const service = aws.ecs.service(SERVICE, CLUSTER);
    expect(github.requestsTo('create')[0]!.body!.payload).toMatchObject({
      taskDefinitionArn: service.taskDefinition,
    });
  });
});

describe('a GitHub that refuses or cannot be reached', () => {
  it.each([
    [
      '403 (a token without deployments: write)',
      forbidden(),
      /GitHub answered 403 Resource not accessible by integration/,
    ],
    ['404', notFound(), /GitHub answered 404 Not Found/],
  ])('warns on a %s with what to add, and the deploy succeeds', async (_, fault, answered) => {
    github.setFault('create', fault);
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const run = await deploy();
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(run.outputs['github-deployment-id']).toBe('');

    expect(run.warnings).toHaveLength(1);
    const warning = annotationText(run.warnings);
    expect(warning).toMatch(/^No GitHub deployment was recorded for environment "production": /);
    expect(warning).toMatch(answered);
    expect(warning).toContain('add `permissions: deployments: write`');
    expect(warning).toContain('The deploy itself is not affected.');
    // One refused request; no status for a deployment that does not exist.
    expect(github.requests.map((r) => r.endpoint)).toEqual(['create']);
    expect(run.summary).not.toContain('GitHub deployment');
    expectTokenKeptSecret(run);
  });

  it('warns when the API cannot be reached, after bounded retries, and the deploy succeeds', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const run = await deploy({}, runnerEnv(`http://127.0.0.1:${await closedPort()}`));
    expect(run.code).toBe(0);
    expect(run.outputs['github-deployment-id']).toBe('');
    expect(annotationText(run.warnings)).toMatch(
      /^No GitHub deployment was recorded for environment "production": GitHub's API could not be reached after 3 attempts/,
    );
    expectTokenKeptSecret(run);
  });

  it('gives up on a GitHub that never answers after one timeout, and the deploy succeeds', async () => {
    github.setFault('create', { kind: 'hang' });
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const run = await deploy();
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(run.outputs['github-deployment-id']).toBe('');
    // A deployment is not created twice: the one request, then nothing more is asked.
    expect(github.requests.map((r) => [r.endpoint, r.status])).toEqual([['create', undefined]]);
    expect(annotationText(run.warnings)).toMatch(
      /^No GitHub deployment was recorded for environment "production": GitHub's API could not be reached after 1 attempt \(no answer within 10 s\)/,
    );
  }, 60_000);

  it('warns that github-token is empty when only environment is set, and asks nothing', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const run = await deploy({ 'github-token': '' });
    expect(run.code).toBe(0);
    expect(annotationText(run.warnings)).toContain("'github-token' is empty");
    expect(github.requests).toEqual([]);
    expect(run.outputs['github-deployment-id']).toBe('');
  });
});

describe('runs that record nothing', () => {
  it('makes no GitHub request without an environment, the default token given', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const run = await deploy({ environment: '' });
    expect(run.code).toBe(0);
    expect(github.requests).toEqual([]);
    expect(run.outputs['github-deployment-id']).toBe('');
    expect(run.stdout).not.toContain('GitHub deployment');
  });

  it('makes no GitHub request in mode plan', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const run = await deploy({ mode: 'plan' });
    expect(run.code).toBe(0);
    expect(github.requests).toEqual([]);
    expect(run.outputs['github-deployment-id']).toBe('');
    expect(run.stdout).toContain(
      'Mode plan changes nothing: no GitHub deployment is recorded for environment "production".',
    );
    expectTokenKeptSecret(run);
  });

  it('makes no GitHub request in a dry run', async () => {
    const run = await runAction(
      { ...DEMO_INPUTS, 'github-token': token, environment: 'production' },
      { workspace: ws.dir, env: runnerEnv() },
    );
    expect(run.code).toBe(0);
    expect(github.requests).toEqual([]);
    expect(run.outputs['github-deployment-id']).toBe('');
    expect(run.stdout).toContain(
      'A dry run changes nothing: no GitHub deployment is recorded for environment "production".',
    );
    expectTokenKeptSecret(run);
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
