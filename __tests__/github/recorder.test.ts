// The recorder keeps one GitHub deployment in step with the deploy, over a scripted client: what
// it asks GitHub in each case, and that a refusal or no answer is one warning and never a throw.
import type { Deployed } from '../../src/deploy/deploy';
import type { DeploymentReport } from '../../src/deploy/run-deployment';
import type { MigrationTaskOutcome } from '../../src/deploy/run-task';
import { GitHubRequestError, type GitHubDeployments } from '../../src/github/client';
import type {
  CreateDeploymentBody,
  DeploymentStatusBody,
} from '../../src/github/deployment-record';
import { createDeploymentRecorder } from '../../src/github/recorder';

const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:8';
const MIGRATE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api-migrate:3';
const deployed = {
  taskDefinitionArn: NEW,
  deploymentId: 'ecs-svc/2',
  previousTaskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:7',
} as Deployed;
const succeeded = {
  kind: 'deployment',
  report: {
    deployed,
    outcome: { status: 'succeeded', polls: 2, stoppedTasks: [], runningCount: 1, desiredCount: 1 },
    rollback: undefined,
    migrationStatus: 'succeeded',
    error: undefined,
  } as DeploymentReport,
} as const;

type Call =
  | { create: CreateDeploymentBody }
  | { status: { id: number; body: DeploymentStatusBody } };

class ScriptedGitHub implements GitHubDeployments {
  readonly calls: Call[] = [];
  createFailure: GitHubRequestError | undefined;
  statusFailures: (GitHubRequestError | undefined)[] = [];
  async createDeployment(body: CreateDeploymentBody) {
    this.calls.push({ create: body });
    if (this.createFailure) throw this.createFailure;
    return { id: 77 };
  }
  async createDeploymentStatus(id: number, body: DeploymentStatusBody) {
    this.calls.push({ status: { id, body } });
    const failure = this.statusFailures.shift();
    if (failure) throw failure;
  }
  states(): string[] {
    return this.calls.map((c) => ('create' in c ? 'create' : c.status.body.state));
  }
}

let github: ScriptedGitHub;
let infos: string[];
let warnings: string[];

beforeEach(() => {
  github = new ScriptedGitHub();
  infos = [];
  warnings = [];
});

function recorder() {
  return createDeploymentRecorder({
    target: {
      owner: 'acme',
      repo: 'api',
      ref: 'c0ffee'.padEnd(40, '0'),
      environment: 'production',
      token: 'ghs_x',
    },
    facts: { service: 'api', cluster: 'prod', imageDigest: `sha256:${'a'.repeat(64)}` },
    links: { logUrl: 'https://github.com/acme/api/actions/runs/1', environmentUrl: 'https://ecs' },
    pageUrl: 'https://github.com/acme/api/deployments/production',
    waitTimeoutMinutes: 30,
    client: github,
    io: { info: (m) => infos.push(m), warning: (m) => warnings.push(m) },
  });
}

describe('createDeploymentRecorder', () => {
  it('creates the deployment when the rollout starts, in_progress, then success', async () => {
    const record = recorder();
    expect(record.recorded()).toBeUndefined();
    await record.rolloutStarted(deployed);
    expect(record.recorded()).toEqual({
      id: 77,
      environment: 'production',
      url: 'https://github.com/acme/api/deployments/production',
    });
    expect(await record.finish(succeeded)).toEqual(record.recorded());

    expect(github.states()).toEqual(['create', 'in_progress', 'success']);
    const create = github.calls[0] as { create: CreateDeploymentBody };
    expect(create.create.payload.taskDefinitionArn).toBe(NEW);
    for (const call of github.calls.slice(1)) {
      expect((call as { status: { id: number; body: DeploymentStatusBody } }).status).toMatchObject(
        { id: 77, body: { log_url: 'https://github.com/acme/api/actions/runs/1' } },
      );
    }
    expect(warnings).toEqual([]);
    expect(infos).toEqual([
      'Recorded GitHub deployment 77 of c0ffee000000 to environment "production"',
      'GitHub deployment 77: in_progress',
      'GitHub deployment 77: success',
    ]);
  });

  it('creates the deployment once, even when told twice', async () => {
    const record = recorder();
    await record.rolloutStarted(deployed);
    await record.rolloutStarted(deployed);
    expect(github.states().filter((s) => s === 'create')).toHaveLength(1);
  });

  it('warns once and asks nothing more when GitHub refuses the deployment', async () => {
    github.createFailure = new GitHubRequestError('Resource not accessible by integration', 403, 1);
    const record = recorder();
    await record.rolloutStarted(deployed);
    expect(await record.finish(succeeded)).toBeUndefined();
    expect(github.states()).toEqual(['create']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('`permissions: deployments: write`');
  });

  it('still posts the final status when in_progress was refused', async () => {
    github.statusFailures = [new GitHubRequestError('Bad Gateway', 502, 3)];
    const record = recorder();
    await record.rolloutStarted(deployed);
    expect(await record.finish(succeeded)).toMatchObject({ id: 77 });
    expect(github.states()).toEqual(['create', 'in_progress', 'success']);
    expect(warnings).toEqual([
      expect.stringMatching(/^GitHub deployment 77 could not be set to in_progress/),
    ]);
  });

  it('asks nothing more once GitHub could not be reached', async () => {
    github.statusFailures = [new GitHubRequestError('no answer within 10 s', undefined, 3)];
    const record = recorder();
    await record.rolloutStarted(deployed);
    expect(await record.finish(succeeded)).toMatchObject({ id: 77 });
    expect(github.states()).toEqual(['create', 'in_progress']);
    expect(warnings).toHaveLength(1);
  });

  it('turns an unexpected error into a warning, never a throw', async () => {
    github.createDeployment = async () => {
      throw new TypeError('boom');
    };
    const record = recorder();
    await expect(record.rolloutStarted(deployed)).resolves.toBeUndefined();
    expect(warnings[0]).toMatch(/No GitHub deployment was recorded .*boom/);
  });

  it('records a run-task migration that failed before the service update, straight to failure', async () => {
    const outcome = {
      status: 'failed',
      kind: 'migration',
      taskDefinitionArn: MIGRATE,
      exitCode: 1,
      errorLines: ['Error: checksum mismatch'],
    } as unknown as MigrationTaskOutcome;
    const record = recorder();
    expect(await record.finish({ kind: 'migration-task', outcome })).toMatchObject({ id: 77 });
    expect(github.states()).toEqual(['create', 'failure']);
    const create = github.calls[0] as { create: CreateDeploymentBody };
    expect(create.create.payload).toMatchObject({ migrationTaskDefinitionArn: MIGRATE });
    expect(create.create.payload).not.toHaveProperty('taskDefinitionArn');
  });

  it('gives an error status when the action stopped after the rollout started', async () => {
    const record = recorder();
    await record.rolloutStarted(deployed);
    await record.finish({ kind: 'stopped', message: 'ecs:DescribeServices: AccessDenied' });
    expect(github.states()).toEqual(['create', 'in_progress', 'error']);
  });

  it('records nothing when the action stopped before any rollout', async () => {
    expect(
      await recorder().finish({ kind: 'stopped', message: 'ecs:UpdateService: AccessDenied' }),
    ).toBeUndefined();
    expect(github.calls).toEqual([]);
  });
});
