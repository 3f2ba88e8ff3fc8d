import type { DeploymentReport } from '../../src/deploy/run-deployment';
import type { MigrationTaskOutcome } from '../../src/deploy/run-task';
import type { WatchOutcome } from '../../src/deploy/watch';
import {
  clip,
  createDeploymentBody,
  deploymentsPageUrl,
  deploymentStatusBody,
  environmentUrl,
  finalVerdict,
  inProgressVerdict,
  MAX_DESCRIPTION_LENGTH,
  recordDecision,
  recordingWarning,
  revisionLabel,
  runUrl,
  type RecordTarget,
} from '../../src/github/deployment-record';

const SHA = 'c0ffee'.padEnd(40, '0');
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:8';
const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:7';
const MIGRATE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api-migrate:3';
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/api';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const target: RecordTarget = {
  owner: 'acme',
  repo: 'api',
  ref: SHA,
  environment: 'production',
  token: 'ghs_token',
};
const facts = { service: 'api', cluster: 'prod', imageDigest: DIGEST };
const context = { service: 'api', waitTimeoutMinutes: 30 };

const base = {
  cluster: 'prod',
  environment: 'production',
  githubToken: 'ghs_token',
  dryRun: false,
  mode: 'sidecar' as const,
};
const runner = { githubRepository: 'acme/api', githubSha: SHA };

describe('recordDecision', () => {
  it('records when environment and token are set, at the workflow commit', () => {
    expect(recordDecision(base, runner)).toEqual({ kind: 'record', target });
  });

  it('records nothing, silently, without an environment', () => {
    expect(recordDecision({ ...base, environment: undefined }, runner)).toEqual({
      kind: 'skip',
      level: 'info',
    });
  });

  it.each([
    ['a dry run', { dryRun: true }, /^A dry run changes nothing: no GitHub deployment/],
    ['mode plan', { mode: 'plan' as const }, /^Mode plan changes nothing: no GitHub deployment/],
  ])('says %s records nothing', (_, change, message) => {
    const decision = recordDecision({ ...base, ...change }, runner);
    expect(decision).toMatchObject({ kind: 'skip', level: 'info' });
    expect(decision.kind === 'skip' && decision.message).toMatch(message);
  });

  it('warns when environment is set without a token, with the fix', () => {
    const decision = recordDecision({ ...base, githubToken: undefined }, runner);
    expect(decision).toMatchObject({ kind: 'skip', level: 'warning' });
    const message = decision.kind === 'skip' ? decision.message : '';
    expect(message).toContain("'github-token' is empty");
    expect(message).toContain('${{ github.token }}');
    expect(message).toContain('`permissions: deployments: write`');
  });

  it.each([
    [{ githubSha: SHA }],
    [{ githubRepository: 'acme/api' }],
    [{ githubRepository: 'not-a-repository', githubSha: SHA }],
  ])('warns when the runner names no repository and commit (%j)', (env) => {
    const decision = recordDecision(base, env);
    expect(decision).toMatchObject({ kind: 'skip', level: 'warning' });
    expect(decision.kind === 'skip' && decision.message).toContain('GITHUB_REPOSITORY');
  });

  it('never puts the token in a message', () => {
    for (const change of [{ dryRun: true }, { mode: 'plan' as const }]) {
      const decision = recordDecision({ ...base, ...change }, {});
      expect(JSON.stringify(decision)).not.toContain('ghs_token');
    }
    expect(JSON.stringify(recordDecision(base, {}))).not.toContain('ghs_token');
  });
});

describe('createDeploymentBody', () => {
  it('is a deployment of the commit, migrations task, no merge, no required contexts', () => {
    expect(createDeploymentBody(target, facts, { taskDefinitionArn: NEW })).toEqual({
      ref: SHA,
      task: 'deploy:migrations',
      auto_merge: false,
      required_contexts: [],
      environment: 'production',
      description: 'Atlas migrations and api:8 to ECS service api (cluster prod)',
      payload: { service: 'api', cluster: 'prod', taskDefinitionArn: NEW, imageDigest: DIGEST },
    });
  });

  it('leaves production_environment and transient_environment to GitHub', () => {
    const body = createDeploymentBody(target, facts, { taskDefinitionArn: NEW });
    expect(body).not.toHaveProperty('production_environment');
    expect(body).not.toHaveProperty('transient_environment');
  });

  it('names the migration task definition when the service was never updated', () => {
    const body = createDeploymentBody(target, facts, { migrationTaskDefinitionArn: MIGRATE });
    expect(body.payload).toEqual({
      service: 'api',
      cluster: 'prod',
      migrationTaskDefinitionArn: MIGRATE,
      imageDigest: DIGEST,
    });
    expect(body.description).toContain('api-migrate:3');
  });

  it('names a cluster given by ARN by its name in the description, as given in the payload', () => {
    const cluster = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod-east';
    const body = createDeploymentBody(target, { ...facts, cluster }, { taskDefinitionArn: NEW });
    expect(body.description).toContain('(cluster prod-east)');
    expect(body.payload.cluster).toBe(cluster);
  });

  it('keeps the description within 140 characters for a long service name', () => {
    const body = createDeploymentBody(
      target,
      { ...facts, service: 's'.repeat(255) },
      { taskDefinitionArn: NEW },
    );
    expect(Array.from(body.description)).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(body.payload.service).toBe('s'.repeat(255));
  });
});

function report(
  outcome: WatchOutcome | undefined,
  extra: Partial<DeploymentReport> = {},
): DeploymentReport {
  return {
    deployed: {
      taskDefinitionArn: NEW,
      registeredTaskDefinition: { family: 'api', containerDefinitions: [] },
      deploymentId: 'ecs-svc/2',
      deploymentCreatedAt: undefined,
      previousTaskDefinitionArn: OLD,
      serviceArn: SERVICE_ARN,
      serviceDeploymentArn: undefined,
    },
    outcome,
    rollback: undefined,
    migrationStatus: 'succeeded',
    error: undefined,
    ...extra,
  } as DeploymentReport;
}

const polls = { polls: 3, stoppedTasks: [] };
const migrationFailure = {
  ...polls,
  status: 'failed',
  kind: 'migration',
  exitCode: 1,
  migration: { reports: [], tasksRead: 1 },
  errorLines: ['Error: pq: column "name" of relation "users" already exists'],
  logTail: [],
  stoppedReason: undefined,
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
  logStream: undefined,
  logProblem: undefined,
} as unknown as WatchOutcome;
const rolledBack = {
  rolledBack: true,
  method: 'update-service',
  taskDefinitionArn: OLD,
  deploymentId: 'ecs-svc/3',
} as unknown as DeploymentReport['rollback'];

describe('finalVerdict', () => {
  it('is success when the service is stable on the new revision', () => {
    const outcome = { ...polls, status: 'succeeded', runningCount: 2, desiredCount: 2 } as const;
    expect(finalVerdict({ kind: 'deployment', report: report(outcome) }, context)).toEqual({
      state: 'success',
      description: 'Migrations applied; api is stable on api:8',
    });
  });

  it('is success, saying no task migrated, for a service with a desired count of 0', () => {
    const outcome = { ...polls, status: 'succeeded', runningCount: 0, desiredCount: 0 } as const;
    const verdict = finalVerdict(
      { kind: 'deployment', report: report(outcome, { migrationStatus: 'skipped' }) },
      context,
    );
    expect(verdict).toEqual({
      state: 'success',
      description: 'api is on api:8; no task ran the migration (desired count 0)',
    });
  });

  it('is success, saying it was not waited for, without wait-for-service-stability', () => {
    const verdict = finalVerdict(
      { kind: 'deployment', report: report(undefined, { migrationStatus: 'skipped' }) },
      context,
    );
    expect(verdict?.state).toBe('success');
    expect(verdict?.description).toContain('not waited for (wait-for-service-stability is false)');
  });

  it('is failure with Atlas’s error and the rollback when the migration failed', () => {
    const verdict = finalVerdict(
      {
        kind: 'deployment',
        report: report(migrationFailure, { rollback: rolledBack, migrationStatus: 'failed' }),
      },
      context,
    );
    expect(verdict).toEqual({
      state: 'failure',
      description:
        'Migration failed, rolled back to api:7: Error: pq: column "name" of relation "users" already exists',
    });
  });

  it('says when the rollback failed too, or another deployment had replaced ours', () => {
    const failedRollback = {
      rolledBack: false,
      method: 'update-service',
      error: 'AccessDenied',
    } as unknown as DeploymentReport['rollback'];
    expect(
      finalVerdict(
        { kind: 'deployment', report: report(migrationFailure, { rollback: failedRollback }) },
        context,
      )?.description,
    ).toMatch(/^Migration failed, and the rollback failed: Error: pq:/);
    expect(
      finalVerdict(
        {
          kind: 'deployment',
          report: report(migrationFailure, {
            replacedBy: { id: 'ecs-svc/9', taskDefinitionArn: undefined },
          }),
        },
        context,
      )?.description,
    ).toMatch(/^Migration failed, not rolled back \(replaced by another deployment\)/);
  });

  it('falls back to the exit code when the log held no Error: line', () => {
    const outcome = { ...migrationFailure, errorLines: [] } as unknown as WatchOutcome;
    expect(
      finalVerdict({ kind: 'deployment', report: report(outcome) }, context)?.description,
    ).toBe('Migration failed: exit code 1');
  });

  it.each([
    [
      'failed',
      'failure',
      /^Rollout failed: ECS deployment circuit breaker: tasks failed to start$/,
    ],
    [
      'rolled-back',
      'failure',
      /^Rollout failed, ECS rolled api back: ECS deployment circuit breaker/,
    ],
    ['superseded', 'error', /^Another ECS deployment replaced api:8 before it finished$/],
  ] as const)('maps a rollout that %s to %s', (cause, state, description) => {
    const outcome = {
      ...polls,
      status: 'failed',
      kind: 'rollout',
      reason: 'ECS deployment circuit breaker: tasks failed to start.\nmore',
      cause,
    } as unknown as WatchOutcome;
    const verdict = finalVerdict({ kind: 'deployment', report: report(outcome) }, context);
    expect(verdict?.state).toBe(state);
    expect(verdict?.description.replace(/\.$/, '')).toMatch(description);
  });

  it('is error when the rollout did not finish in time, or could no longer be read', () => {
    const timeout = {
      ...polls,
      status: 'timeout',
      lastEvents: [],
      rolloutState: 'IN_PROGRESS',
    } as WatchOutcome;
    expect(finalVerdict({ kind: 'deployment', report: report(timeout) }, context)).toEqual({
      state: 'error',
      description: 'Rollout of api:8 not finished within 30 min; ECS keeps rolling it out',
    });
    const stopped = { ...timeout, stoppedWatching: 'ThrottlingException\nRate exceeded' };
    expect(
      finalVerdict({ kind: 'deployment', report: report(stopped as WatchOutcome) }, context),
    ).toEqual({
      state: 'error',
      description:
        'Stopped watching the rollout of api:8, its outcome unknown: ThrottlingException',
    });
  });

  it('is error, with the first line of the message, when the action stopped', () => {
    expect(
      finalVerdict({ kind: 'stopped', message: 'ecs:DescribeServices failed\ndetails' }, context),
    ).toEqual({ state: 'error', description: 'The action stopped: ecs:DescribeServices failed' });
  });

  describe('run-task’s standalone migration', () => {
    const base = { taskDefinitionArn: MIGRATE, polls: 2 };
    it('is failure with Atlas’s error when the migration failed; the service was not updated', () => {
      const outcome = {
        ...base,
        status: 'failed',
        kind: 'migration',
        exitCode: 1,
        errorLines: ['Error: sql/migrate: checksum mismatch'],
      } as unknown as MigrationTaskOutcome;
      expect(finalVerdict({ kind: 'migration-task', outcome }, context)).toEqual({
        state: 'failure',
        description: 'Migration failed, api not updated: Error: sql/migrate: checksum mismatch',
      });
    });

    it.each([
      [
        'a task that stopped before Atlas ran',
        { status: 'failed', kind: 'task', stoppedReason: 'CannotPullContainerError: denied' },
        'Migration task stopped before Atlas ran (CannotPullContainerError: denied); api not updated',
      ],
      [
        'a task that never started',
        { status: 'failed', kind: 'not-started', failures: [{ reason: 'RESOURCE:MEMORY' }] },
        'Migration task did not start (RESOURCE:MEMORY); api not updated',
      ],
      [
        'a task still running at the time limit',
        { status: 'timeout', lastStatus: 'RUNNING', taskArn: 'arn:task' },
        'Migration task still RUNNING at the time limit; api not updated',
      ],
    ])('is error for %s', (_, outcome, description) => {
      expect(
        finalVerdict(
          { kind: 'migration-task', outcome: { ...base, ...outcome } as MigrationTaskOutcome },
          context,
        ),
      ).toEqual({ state: 'error', description });
    });

    it('gives no verdict for a migration that succeeded (the service update records it)', () => {
      const outcome = { ...base, status: 'succeeded' } as unknown as MigrationTaskOutcome;
      expect(finalVerdict({ kind: 'migration-task', outcome }, context)).toBeUndefined();
    });
  });
});

describe('statuses', () => {
  it('is in_progress naming the revision and the ECS deployment', () => {
    expect(inProgressVerdict(facts, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/2' })).toEqual(
      { state: 'in_progress', description: 'Rolling out api:8 to api (ECS deployment ecs-svc/2)' },
    );
  });

  it('carries the log and environment URLs, and a description clipped to 140 characters', () => {
    const body = deploymentStatusBody(
      { state: 'failure', description: `Migration failed: ${'x'.repeat(300)}` },
      { logUrl: 'https://github.com/acme/api/actions/runs/1', environmentUrl: 'https://console' },
    );
    expect(body).toEqual({
      state: 'failure',
      description: `Migration failed: ${'x'.repeat(121)}…`,
      log_url: 'https://github.com/acme/api/actions/runs/1',
      environment_url: 'https://console',
    });
    expect(Array.from(body.description)).toHaveLength(140);
  });

  it('leaves out links it does not have', () => {
    expect(deploymentStatusBody({ state: 'error', description: 'x' }, {})).toEqual({
      state: 'error',
      description: 'x',
    });
  });
});

describe('clip', () => {
  it('keeps text within the limit as it is', () => {
    expect(clip('a'.repeat(140))).toBe('a'.repeat(140));
  });

  it('never cuts a character in half', () => {
    const clipped = clip('🚀'.repeat(200));
    expect(Array.from(clipped)).toHaveLength(140);
    expect(clipped.endsWith('🚀…')).toBe(true);
  });
});

describe('links', () => {
  it('points log_url at the run attempt', () => {
    expect(
      runUrl({
        githubServerUrl: 'https://github.com',
        githubRepository: 'acme/api',
        githubRunId: '123',
        githubRunAttempt: '2',
      }),
    ).toBe('https://github.com/acme/api/actions/runs/123/attempts/2');
    expect(
      runUrl({
        githubServerUrl: 'https://ghe.example.com/',
        githubRepository: 'acme/api',
        githubRunId: '123',
      }),
    ).toBe('https://ghe.example.com/acme/api/actions/runs/123');
    expect(runUrl({ githubServerUrl: 'https://github.com', githubRepository: 'acme/api' })).toBe(
      undefined,
    );
  });

  it('points environment_url at the service in the ECS console', () => {
    expect(environmentUrl(SERVICE_ARN, 'prod')).toBe(
      'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/api/deployments?region=us-east-1',
    );
    expect(
      environmentUrl('arn:aws-cn:ecs:cn-north-1:123456789012:service/prod/api', 'prod'),
    ).toMatch(/^https:\/\/console\.amazonaws\.cn\/ecs\/v2\/clusters\/prod\/services\/api\//);
    expect(environmentUrl('api', 'prod')).toBeUndefined();
  });

  it('links the environment’s page among the Deployments', () => {
    expect(deploymentsPageUrl('https://github.com', { ...target, environment: 'prod / eu' })).toBe(
      'https://github.com/acme/api/deployments/prod%20%2F%20eu',
    );
    expect(deploymentsPageUrl(undefined, target)).toBeUndefined();
  });

  it('labels a task definition ARN as family:revision', () => {
    expect(revisionLabel(NEW)).toBe('api:8');
    expect(revisionLabel('api')).toBe('api');
  });
});

describe('recordingWarning', () => {
  const create = { kind: 'create' } as const;

  it('tells what to add for a token without deployments: write (403)', () => {
    const warning = recordingWarning(create, target, {
      status: 403,
      message:
        'Resource not accessible by integration - https://docs.github.com/rest/deployments/deployments#create-a-deployment',
      attempts: 1,
    });
    expect(warning).toBe(
      'No GitHub deployment was recorded for environment "production": GitHub answered 403 Resource not accessible by integration - https://docs.github.com/rest/deployments/deployments#create-a-deployment: the token may not write deployments of acme/api. Fix: add `permissions: deployments: write` to the job\'s permissions (or pass a github-token that has it). The deploy itself is not affected.',
    );
  });

  it.each([
    [
      404,
      'Not Found',
      /cannot see acme\/api or its deployments\. Fix: add `permissions: deployments: write`/,
    ],
    [401, 'Bad credentials', /the github-token is not valid/],
    [422, 'Invalid request', /deployment branch and tag rules/],
    [502, 'Bad Gateway', /GitHub answered 502 Bad Gateway after 3 attempts/],
    [
      undefined,
      'connect ECONNREFUSED 127.0.0.1:1',
      /could not be reached after 3 attempts \(connect ECONNREFUSED/,
    ],
  ])('explains a %s', (status, message, expected) => {
    const warning = recordingWarning(create, target, {
      ...(status !== undefined ? { status } : {}),
      message,
      attempts: 3,
    });
    expect(warning).toMatch(expected);
    expect(warning).toMatch(/The deploy itself is not affected\.$/);
  });

  it('says which status could not be set', () => {
    expect(
      recordingWarning({ kind: 'status', id: 42, state: 'success' }, target, {
        status: 403,
        message: 'Resource not accessible by integration',
        attempts: 1,
      }),
    ).toMatch(/^GitHub deployment 42 could not be set to success \(it keeps its last status\): /);
  });
});
