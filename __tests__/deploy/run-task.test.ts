// Mode run-task's migration task: the RunTask request (placement copied from the service), the wait
// for STOPPED, the exit-code gate with Atlas's error from CloudWatch. First with plain fakes, then
// through the real SDK against the loopback AWS endpoint. The clock is fake: nothing sleeps.
import type { Task } from '@aws-sdk/client-ecs';
import type { LogsApi } from '../../src/aws/api';
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { wrapAwsError } from '../../src/aws/errors';
import { deploy, registerTaskDefinition } from '../../src/deploy/deploy';
import { preflight, preflightRequest } from '../../src/deploy/preflight';
import {
  DEFAULT_STARTED_BY,
  failureHint,
  migrationRunTaskInput,
  runMigrationTask,
  type MigrationTaskDeps,
  type MigrationTaskPlacement,
  type MigrationTaskRequest,
} from '../../src/deploy/run-task';
import { watchDeployment } from '../../src/deploy/watch';
import { InputError } from '../../src/errors';
import {
  buildMigrationCommand,
  buildMigrationTaskDefinition,
  removeMigrationContainer,
  type TaskDefinitionJson,
} from '../../src/taskdef';
import { ATLAS_ERROR_LINE, ATLAS_FAILURE_LOG, FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { fakeClock, recordingIO, type RecordingIO } from './fakes';

const CLUSTER = 'prod';
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web-migrate:1';
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-1'],
    assignPublicIp: 'DISABLED' as const,
  },
};

const MIGRATION_TD: TaskDefinitionJson = {
  family: 'web-migrate',
  networkMode: 'awsvpc',
  containerDefinitions: [
    {
      name: 'atlas',
      image: 'example.com/migrations@sha256:abc',
      essential: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/web',
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'ecs',
        },
      },
    },
  ],
};

function placement(fields: Partial<MigrationTaskPlacement> = {}): MigrationTaskPlacement {
  return { cluster: CLUSTER, networkConfiguration: NETWORK, launchType: 'FARGATE', ...fields };
}

function request(fields: Partial<MigrationTaskRequest> = {}): MigrationTaskRequest {
  return {
    preflight: placement(),
    taskDefinition: { taskDefinitionArn: TD_ARN, taskDefinition: MIGRATION_TD },
    containerName: 'atlas',
    clientToken: 'token-1',
    ...fields,
  };
}

// ---------------------------------------------------------------------------------------------
// The RunTask request

describe('migrationRunTaskInput', () => {
  it("runs one task like the service's: launch type, network, startedBy, an idempotency token", () => {
    expect(migrationRunTaskInput(request())).toEqual({
      cluster: CLUSTER,
      taskDefinition: TD_ARN,
      count: 1,
      startedBy: DEFAULT_STARTED_BY,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      clientToken: 'token-1',
    });
    expect(DEFAULT_STARTED_BY).toBe('atlas-ecs-deploy');
  });

  it('copies the network configuration rather than sharing it', () => {
    const input = migrationRunTaskInput(request());
    expect(input.networkConfiguration).not.toBe(NETWORK);
    expect(input.networkConfiguration!.awsvpcConfiguration!.subnets).not.toBe(
      NETWORK.awsvpcConfiguration.subnets,
    );
  });

  it('takes the capacity provider strategy over the launch type, and the platform version', () => {
    const input = migrationRunTaskInput(
      request({
        preflight: placement({
          launchType: 'FARGATE',
          capacityProviderStrategy: [
            { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
            { capacityProvider: 'FARGATE', weight: 1, base: 1 },
          ],
          platformVersion: '1.4.0',
        }),
      }),
    );
    expect(input).not.toHaveProperty('launchType');
    expect(input.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ]);
    expect(input.platformVersion).toBe('1.4.0');
  });

  it("leaves both out when the service names neither (the cluster's default strategy)", () => {
    const input = migrationRunTaskInput(
      request({ preflight: placement({ launchType: undefined, capacityProviderStrategy: [] }) }),
    );
    expect(input).not.toHaveProperty('launchType');
    expect(input).not.toHaveProperty('capacityProviderStrategy');
  });

  it('has no network configuration for a bridge-mode task on EC2', () => {
    const input = migrationRunTaskInput(
      request({
        preflight: placement({ networkConfiguration: undefined, launchType: 'EC2' }),
        taskDefinition: {
          taskDefinitionArn: TD_ARN,
          taskDefinition: { ...MIGRATION_TD, networkMode: 'bridge' },
        },
      }),
    );
    expect(input).not.toHaveProperty('networkConfiguration');
    expect(input.launchType).toBe('EC2');
  });

  it('propagates the task definition’s tags when it has some, and managed tags on request', () => {
    const tagged = { ...MIGRATION_TD, tags: [{ key: 'team', value: 'payments' }] };
    expect(
      migrationRunTaskInput(
        request({ taskDefinition: { taskDefinitionArn: TD_ARN, taskDefinition: tagged } }),
      ).propagateTags,
    ).toBe('TASK_DEFINITION');
    expect(migrationRunTaskInput(request())).not.toHaveProperty('propagateTags');
    const explicit = migrationRunTaskInput(
      request({
        taskDefinition: { taskDefinitionArn: TD_ARN, taskDefinition: tagged },
        propagateTags: false,
        enableEcsManagedTags: true,
        startedBy: 'deploy/42',
      }),
    );
    expect(explicit).not.toHaveProperty('propagateTags');
    expect(explicit).toMatchObject({ enableECSManagedTags: true, startedBy: 'deploy/42' });
  });

  it('makes a fresh idempotency token for each run', () => {
    const rest: MigrationTaskRequest = { ...request(), clientToken: undefined };
    const a = migrationRunTaskInput(rest).clientToken!;
    const b = migrationRunTaskInput(rest).clientToken!;
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  it('rejects an awsvpc task without subnets, a container not in the task definition, a bad startedBy', () => {
    const noNetwork = (() => {
      try {
        migrationRunTaskInput(
          request({ preflight: placement({ networkConfiguration: undefined }) }),
        );
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(noNetwork).toBeInstanceOf(InputError);
    expect(noNetwork!.message).toContain("Input 'service': has no awsvpc network configuration");
    expect(() => migrationRunTaskInput(request({ containerName: 'migrate' }))).toThrow(
      /has no container "migrate" \(its containers: "atlas"\)/,
    );
    expect(() => migrationRunTaskInput(request({ startedBy: 'atlas ecs' }))).toThrow(
      /startedBy "atlas ecs" is not one ECS accepts/,
    );
  });
});

describe('failureHint', () => {
  it.each([
    ['RESOURCE:MEMORY', /has the memory the migration task needs free/],
    ['RESOURCE:CPU', /has the cpu the migration task needs free/],
    ['AGENT', /ECS agent .* is disconnected/],
    ['ATTRIBUTE', /requiresAttributes/],
    ['MISSING', /no container instance/],
    ['Capacity is unavailable at this time. Please try again later', /run again later/],
  ])('explains %s', (reason, hint) => {
    expect(failureHint(reason)).toMatch(hint);
  });

  it('says nothing it does not know', () => {
    expect(failureHint('SOMETHING_NEW')).toBeUndefined();
    expect(failureHint(undefined)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The wait, with plain fakes

const stopped = (exitCode: number | undefined, fields: Partial<Task> = {}): Task => ({
  taskArn: TASK_ARN,
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [
    {
      name: 'atlas',
      lastStatus: 'STOPPED',
      ...(exitCode !== undefined ? { exitCode } : {}),
    },
  ],
  ...fields,
});

const status = (lastStatus: string): Task => ({ taskArn: TASK_ARN, lastStatus });

const transient = () =>
  wrapAwsError(
    Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    }),
    { operation: 'ecs:DescribeTasks', target: 'x' },
  );

const notFound = () =>
  wrapAwsError(
    Object.assign(new Error('The specified log stream does not exist.'), {
      name: 'ResourceNotFoundException',
    }),
    { operation: 'logs:GetLogEvents', target: 'x' },
  );

interface Harness {
  deps: MigrationTaskDeps;
  io: RecordingIO;
  sleeps: number[];
  runInputs: unknown[];
  describeInputs: unknown[];
  logInputs: { api: string; input: unknown }[];
}

/**
 * RunTask answers `started` (or `failures`); each DescribeTasks answers the next of `polls` (the
 * last repeats; an Error is thrown; undefined is "not known yet"); GetLogEvents the next of `logs`.
 */
function harness(script: {
  started?: Task;
  failures?: { arn?: string; reason?: string; detail?: string }[];
  polls?: (Task | Error | undefined)[];
  logs?: (string[] | Error)[];
}): Harness {
  const io = recordingIO();
  const clock = fakeClock();
  const runInputs: unknown[] = [];
  const describeInputs: unknown[] = [];
  const logInputs: Harness['logInputs'] = [];
  const polls = script.polls ?? [];
  const logs = script.logs ?? [];
  let poll = 0;
  let read = 0;
  const logsApi = (name: string): LogsApi => ({
    getLogEvents: async (input) => {
      logInputs.push({ api: name, input });
      const answer = logs[Math.min(read++, logs.length - 1)] ?? [];
      if (answer instanceof Error) throw answer;
      return { events: answer.map((message, i) => ({ timestamp: i, message })) };
    },
  });
  const deps: MigrationTaskDeps = {
    ecs: {
      runTask: async (input) => {
        runInputs.push(input);
        return script.failures
          ? { tasks: [], failures: script.failures }
          : { tasks: [script.started ?? status('PROVISIONING')], failures: [] };
      },
      describeTasks: async (input) => {
        describeInputs.push(input);
        const answer = polls[Math.min(poll++, polls.length - 1)];
        if (answer instanceof Error) throw answer;
        return answer
          ? { tasks: [answer], failures: [] }
          : { tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] };
      },
    },
    logs: logsApi('default'),
    logsInRegion: (region) => logsApi(region),
    io,
    sleep: clock.sleep,
    now: clock.now,
  };
  return { deps, io, sleeps: clock.sleeps, runInputs, describeInputs, logInputs };
}

const OPTIONS = { pollIntervalMs: 5_000, timeoutMs: 60_000, logRetryDelayMs: 1_000 };
/** Atlas's JSON report (`--format '{{ json . }}'`) of one applied file. */
const REPORT_LINE = JSON.stringify({
  Driver: 'postgres',
  Dir: 'file://migrations',
  Pending: [{ Name: '2_add.sql', Version: '2', Description: 'add' }],
  Applied: [
    {
      Name: '2_add.sql',
      Version: '2',
      Description: 'add',
      Start: '2024-03-10T17:00:00.1Z',
      End: '2024-03-10T17:00:00.2Z',
      Applied: ['ALTER TABLE t ADD c int;'],
    },
  ],
  Current: '1',
  Target: '2',
  Start: '2024-03-10T17:00:00Z',
  End: '2024-03-10T17:00:00.3Z',
  Message: 'Migrated to version 2 from 1 (1 migrations in total)',
});

describe('runMigrationTask', () => {
  it('succeeds when the container exits 0, after polling until the task has STOPPED', async () => {
    const h = harness({
      polls: [status('PENDING'), status('RUNNING'), status('DEPROVISIONING'), stopped(0)],
      logs: [[REPORT_LINE]],
    });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);

    expect(outcome).toEqual({
      status: 'succeeded',
      taskDefinitionArn: TD_ARN,
      polls: 4,
      taskArn: TASK_ARN,
      exitCode: 0,
      migration: {
        reports: [
          expect.objectContaining({
            current: '1',
            target: '2',
            pending: [{ name: '2_add.sql', version: '2', description: 'add' }],
          }),
        ],
        taskArn: TASK_ARN,
        logStream: { group: '/ecs/web', stream: `ecs/atlas/${TASK_ID}`, region: 'us-east-1' },
        tasksRead: 1,
      },
      logTail: [REPORT_LINE],
      logStream: { group: '/ecs/web', stream: `ecs/atlas/${TASK_ID}`, region: 'us-east-1' },
      logProblem: undefined,
    });
    expect(h.runInputs).toHaveLength(1);
    expect(h.describeInputs).toEqual(Array(4).fill({ cluster: CLUSTER, tasks: [TASK_ARN] }));
    expect(h.sleeps).toEqual([5_000, 5_000, 5_000, 5_000]);
    // awslogs-region names the region the log is read in.
    expect(h.logInputs.map((l) => l.api)).toEqual(['us-east-1']);
    expect(h.logInputs[0]!.input).toMatchObject({
      logGroupName: '/ecs/web',
      logStreamName: `ecs/atlas/${TASK_ID}`,
      startFromHead: false,
    });
    const info = h.io.text('info');
    expect(info[0]).toContain(
      `Running the migration in a task of ${TD_ARN} in cluster prod (FARGATE; subnets subnet-a, subnet-b; security groups sg-1; public IP DISABLED), started by atlas-ecs-deploy`,
    );
    expect(info).toEqual(
      expect.arrayContaining([
        `Migration task ${TASK_ID}: PROVISIONING`,
        `Migration task ${TASK_ID}: PENDING`,
        `Migration task ${TASK_ID}: RUNNING`,
        `Migration task ${TASK_ID}: STOPPED`,
        `Migration succeeded: container "atlas" exited with code 0 in task ${TASK_ID}`,
      ]),
    );
    expect(h.io.text('group')).toEqual([`Log of atlas in task ${TASK_ID} (last 1 lines)`]);
  });

  it("fails on a non-zero exit code with Atlas's error, the log's tail and the stop reason", async () => {
    const h = harness({
      polls: [status('RUNNING'), stopped(1)],
      logs: [notFound(), [...ATLAS_FAILURE_LOG]],
    });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);

    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'migration',
      taskArn: TASK_ARN,
      exitCode: 1,
      errorLines: [ATLAS_ERROR_LINE],
      logTail: [...ATLAS_FAILURE_LOG],
      stoppedReason: 'Essential container in task exited',
      stopCode: 'EssentialContainerExited',
      logProblem: undefined,
      stoppedTask: { kind: 'migration-failed', migrationExitCode: 1 },
    });
    if (outcome.status !== 'failed' || outcome.kind === 'not-started') throw new Error('kind');
    expect(outcome.message).toBe(
      `Migration failed: container "atlas" exited with code 1 in migration task ${TASK_ID}; the service was not updated.\n${ATLAS_ERROR_LINE}\nThe task stopped: Essential container in task exited`,
    );
    // The stream did not exist at the first read: read again after the retry delay.
    expect(h.logInputs).toHaveLength(2);
    expect(h.sleeps).toEqual([5_000, 5_000, 1_000]);
    expect(h.io.text('group')).toEqual([
      `Log of atlas in task ${TASK_ID} (last ${ATLAS_FAILURE_LOG.length} lines)`,
    ]);
  });

  it('shows the last lines when Atlas printed no Error: line, or why the log is missing', async () => {
    const noError = harness({ polls: [stopped(137)], logs: [['Killed']] });
    const killed = await runMigrationTask(request(), noError.deps, OPTIONS);
    expect(killed).toMatchObject({ status: 'failed', kind: 'migration', exitCode: 137 });
    expect((killed as { message: string }).message).toContain(
      'No "Error:" line in its log; its last lines:\nKilled',
    );

    const noLog = harness({ polls: [stopped(1)], logs: [notFound()] });
    const missing = await runMigrationTask(request(), noLog.deps, { ...OPTIONS, logRetries: 2 });
    expect(missing).toMatchObject({
      status: 'failed',
      logProblem: `log stream /ecs/web/ecs/atlas/${TASK_ID} does not exist`,
    });
    expect(noLog.logInputs).toHaveLength(3);
    expect((missing as { message: string }).message).toContain('Its log could not be read');
  });

  it('reads no log when the task definition has no awslogs, and says so', async () => {
    const h = harness({ polls: [stopped(1)] });
    const bare: TaskDefinitionJson = {
      family: 'web-migrate',
      containerDefinitions: [{ name: 'atlas', image: 'x', essential: true }],
    };
    const outcome = await runMigrationTask(
      request({
        taskDefinition: { taskDefinitionArn: TD_ARN, taskDefinition: bare },
        preflight: placement({ networkConfiguration: undefined, launchType: 'EC2' }),
      }),
      h.deps,
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      logStream: undefined,
      logProblem: 'container "atlas" has no logConfiguration, so its output went nowhere',
    });
    expect(h.logInputs).toEqual([]);
  });

  it('fails without reading a log when the task stopped before the container ran', async () => {
    const h = harness({
      polls: [
        stopped(undefined, {
          stopCode: 'TaskFailedToStart',
          stoppedReason:
            'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
          containers: [
            { name: 'atlas', lastStatus: 'STOPPED', reason: 'CannotPullContainerError' },
          ],
        }),
      ],
    });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'task',
      exitCode: undefined,
      errorLines: [],
      logProblem: 'container "atlas" never ran',
      stoppedTask: { kind: 'image-pull' },
    });
    expect((outcome as { message: string }).message).toBe(
      `Migration task ${TASK_ID} stopped before the migration ran: an image could not be pulled: CannotPullContainerError: pull image manifest has been retried 5 time(s): not found (container "atlas": CannotPullContainerError); the service was not updated.`,
    );
    expect(h.logInputs).toEqual([]);
  });

  it('reports RunTask failures with what to do, without polling', async () => {
    const h = harness({
      failures: [
        {
          arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/abc',
          reason: 'RESOURCE:MEMORY',
        },
      ],
    });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'not-started',
      polls: 0,
      failures: [{ reason: 'RESOURCE:MEMORY' }],
    });
    expect((outcome as { message: string }).message).toBe(
      `Could not start the migration task (${TD_ARN}): RESOURCE:MEMORY on arn:aws:ecs:us-east-1:123456789012:container-instance/prod/abc; the service was not updated. Fix: ${failureHint('RESOURCE:MEMORY')}`,
    );
    expect(h.describeInputs).toEqual([]);

    const empty = harness({ failures: [] });
    const nothing = await runMigrationTask(request(), empty.deps, OPTIONS);
    expect((nothing as { message: string }).message).toContain(
      'RunTask answered with neither a task nor a failure',
    );
  });

  it('times out when the task has not stopped, polling once more at the deadline', async () => {
    const h = harness({ polls: [status('PENDING'), status('RUNNING')] });
    const outcome = await runMigrationTask(request(), h.deps, {
      pollIntervalMs: 15_000,
      timeoutMs: 40_000,
    });
    expect(outcome).toEqual({
      status: 'timeout',
      taskDefinitionArn: TD_ARN,
      polls: 3,
      taskArn: TASK_ARN,
      lastStatus: 'RUNNING',
      message: `Migration task ${TASK_ID} did not stop within 40 s (last status RUNNING); the service was not updated. The task keeps running: follow it in the ECS console, or stop it with aws ecs stop-task --cluster prod --task ${TASK_ARN}`,
    });
    expect(h.sleeps).toEqual([15_000, 15_000, 10_000]);
  });

  it('keeps polling while DescribeTasks does not know the task yet', async () => {
    const h = harness({ polls: [undefined, undefined, stopped(0)], logs: [['ok']] });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);
    expect(outcome).toMatchObject({ status: 'succeeded', polls: 3 });
  });

  it('rides out transient poll errors, but not too many in a row, nor others', async () => {
    const h = harness({ polls: [transient(), transient(), stopped(0)], logs: [['ok']] });
    const outcome = await runMigrationTask(request(), h.deps, OPTIONS);
    expect(outcome).toMatchObject({ status: 'succeeded', polls: 3 });
    expect(h.io.text('warning')).toHaveLength(2);
    expect(h.io.text('warning')[0]).toContain('Poll 1 of migration task');

    const many = harness({ polls: [transient(), transient(), transient(), stopped(0)] });
    await expect(runMigrationTask(request(), many.deps, OPTIONS)).rejects.toThrow(/Rate exceeded/);

    const denied = wrapAwsError(
      Object.assign(new Error('User is not authorized to perform: ecs:DescribeTasks'), {
        name: 'AccessDeniedException',
      }),
      { operation: 'ecs:DescribeTasks', target: 'x' },
    );
    const fatal = harness({ polls: [denied] });
    await expect(runMigrationTask(request(), fatal.deps, OPTIONS)).rejects.toBe(denied);
    expect(fatal.io.text('warning')).toEqual([
      `Stopped waiting for migration task ${TASK_ARN}, which may still be running; the service was not updated`,
    ]);
  });

  it('checks the request before starting anything', async () => {
    const h = harness({});
    await expect(
      runMigrationTask(request({ containerName: 'other' }), h.deps, OPTIONS),
    ).rejects.toThrow(/has no container "other"/);
    expect(h.runInputs).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real SDK against the loopback endpoint

const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/migrations@sha256:${'a'.repeat(64)}`;
const APP_IMAGE = 'nginx:1.28';

describe('runMigrationTask against the fake AWS endpoint', () => {
  let aws: FakeAws;
  let clients: AwsClients;
  let restoreEnv: () => void;
  let serviceArn: string;
  let secretArn: string;

  beforeEach(async () => {
    aws = new FakeAws();
    await aws.start();
    restoreEnv = useFakeAwsEnv(aws);
    clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/test' });
    serviceArn = aws.ecs.addTaskDefinition(
      {
        family: 'web',
        taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        volumes: [{ name: 'scratch' }],
        containerDefinitions: [
          {
            name: 'web',
            image: 'nginx:1.27',
            essential: true,
            mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch' }],
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': '/ecs/web',
                'awslogs-region': 'us-east-1',
                'awslogs-stream-prefix': 'ecs',
              },
            },
          },
        ],
      },
      [{ key: 'team', value: 'payments' }],
    );
    aws.ecs.addService({
      cluster: CLUSTER,
      name: 'web',
      taskDefinition: serviceArn,
      desiredCount: 2,
      networkConfiguration: NETWORK,
    });
    secretArn = aws.secrets.add('prod/db');
  });

  afterEach(async () => {
    clients.destroy();
    restoreEnv();
    await aws.close();
  });

  interface Migrated {
    outcome: Awaited<ReturnType<typeof runMigrationTask>>;
    io: RecordingIO;
    sleeps: number[];
    migrationArn: string;
    pre: Awaited<ReturnType<typeof preflight>>;
  }

  /** Pre-flight, register the migration-only revision, run it: the first half of mode run-task. */
  async function migrate(
    options: { timeoutMs?: number; placement?: Partial<MigrationTaskPlacement> } = {},
  ): Promise<Migrated> {
    const apis = createAwsApis(clients);
    const io = recordingIO();
    const clock = fakeClock();
    const pre = await preflight(
      preflightRequest({
        cluster: CLUSTER,
        service: 'web',
        taskDefinition: { kind: 'service' },
        databaseUrlSecret: 'prod/db',
      }),
      apis,
    );
    const migrationTd = buildMigrationTaskDefinition(pre.taskDefinition, {
      containerName: 'atlas',
      image: IMAGE,
      command: buildMigrationCommand({ atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: [] }),
      databaseUrlSecret: pre.databaseUrlSecretValueFrom!,
    });
    const registered = await registerTaskDefinition(apis.ecs, migrationTd);
    const outcome = await runMigrationTask(
      {
        preflight: { ...pre, ...options.placement },
        taskDefinition: {
          taskDefinitionArn: registered.taskDefinitionArn,
          taskDefinition: migrationTd,
        },
        containerName: 'atlas',
      },
      { ecs: apis.ecs, logs: apis.logs, logsInRegion: apis.logsInRegion, io, ...clock },
      { pollIntervalMs: 10_000, timeoutMs: options.timeoutMs ?? 300_000, logRetryDelayMs: 500 },
    );
    return { outcome, io, sleeps: clock.sleeps, migrationArn: registered.taskDefinitionArn, pre };
  }

  function serviceUntouched(): void {
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(aws.ecs.service('web', CLUSTER).taskDefinition).toBe(serviceArn);
    expect(aws.ecs.service('web', CLUSTER).deployments).toHaveLength(1);
  }

  it('registers a migration-only revision and runs it once, placed like the service', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const { outcome, io, sleeps, migrationArn } = await migrate();

    expect(migrationArn).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/web-migrate:1');
    expect(outcome).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      polls: 3,
      taskDefinitionArn: migrationArn,
      logStream: { group: '/ecs/web', region: 'us-east-1' },
    });
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);

    const registered = aws.ecs.taskDefinition(migrationArn)!;
    expect(registered.tags).toEqual([{ key: 'team', value: 'payments' }]);
    expect(registered.body).toEqual({
      family: 'web-migrate',
      containerDefinitions: [
        {
          name: 'atlas',
          image: IMAGE,
          essential: true,
          command: [
            'migrate',
            'apply',
            '--env',
            'deploy',
            '--lock-timeout',
            '10m',
            '--format',
            '{{ json . }}',
          ],
          secrets: [{ name: 'DATABASE_URL', valueFrom: secretArn }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/ecs/web',
              'awslogs-region': 'us-east-1',
              'awslogs-stream-prefix': 'ecs',
            },
          },
        },
      ],
      taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
    });

    const [run] = aws.callsOf('RunTask');
    expect(run!.body).toEqual({
      cluster: CLUSTER,
      taskDefinition: migrationArn,
      count: 1,
      startedBy: 'atlas-ecs-deploy',
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      propagateTags: 'TASK_DEFINITION',
      clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(aws.writes().map((c) => c.operation)).toEqual(['RegisterTaskDefinition', 'RunTask']);
    expect(aws.counts()).toEqual({
      DescribeServices: 1,
      DescribeTaskDefinition: 1,
      DescribeSecret: 1,
      RegisterTaskDefinition: 1,
      RunTask: 1,
      DescribeTasks: 3,
      GetLogEvents: 1,
    });
    const [task] = aws.ecs.standalone.tasks;
    expect(task).toMatchObject({
      startedBy: 'atlas-ecs-deploy',
      group: 'family:web-migrate',
      lastStatus: 'STOPPED',
    });
    expect(io.text('info')).toEqual(
      expect.arrayContaining([
        `Migration task ${task!.id}: PROVISIONING`,
        `Migration task ${task!.id}: PENDING`,
        `Migration task ${task!.id}: RUNNING`,
        `Migration task ${task!.id}: STOPPED`,
      ]),
    );
    serviceUntouched();
  });

  it('then the service gets a revision without the migration container (the order run.ts wires)', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    aws.ecs.setScenario(
      'web',
      (ctx) => {
        if (ctx.poll === 1) ctx.startTasks();
        if (ctx.poll >= 2) ctx.complete();
      },
      CLUSTER,
    );
    const { outcome, pre } = await migrate();
    expect(outcome.status).toBe('succeeded');

    const apis = createAwsApis(clients);
    const io = recordingIO();
    const clock = fakeClock();
    const serviceTd = removeMigrationContainer(pre.taskDefinition, 'atlas', [
      { container: 'web', image: APP_IMAGE },
    ]);
    const deployed = await deploy(apis.ecs, io, {
      cluster: CLUSTER,
      service: 'web',
      taskDefinition: serviceTd,
      forceNewDeployment: false,
      previousTaskDefinitionArn: pre.previousTaskDefinitionArn,
    });
    const watched = await watchDeployment(
      {
        cluster: CLUSTER,
        service: 'web',
        deploymentId: deployed.deploymentId,
        taskDefinitionArn: deployed.taskDefinitionArn,
        previousTaskDefinitionArn: deployed.previousTaskDefinitionArn,
        migrationContainer: 'atlas',
        registeredTaskDefinition: deployed.registeredTaskDefinition,
      },
      { ecs: apis.ecs, logs: apis.logs, io, ...clock },
      { pollIntervalMs: 10_000, timeoutMs: 300_000 },
    );
    expect(watched.status).toBe('succeeded');

    expect(deployed.taskDefinitionArn).toBe(
      'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2',
    );
    const revision = aws.ecs.taskDefinition(deployed.taskDefinitionArn)!;
    const containers = revision.body.containerDefinitions as { name: string; image: string }[];
    expect(containers.map((c) => [c.name, c.image])).toEqual([['web', APP_IMAGE]]);
    expect(revision.body.volumes).toEqual([{ name: 'scratch' }]);
    expect(revision.tags).toEqual([{ key: 'team', value: 'payments' }]);
    expect(aws.writes().map((c) => c.operation)).toEqual([
      'RegisterTaskDefinition',
      'RunTask',
      'RegisterTaskDefinition',
      'UpdateService',
    ]);
  });

  it("fails with Atlas's error from CloudWatch and leaves the service alone", async () => {
    aws.ecs.standalone.setBehaviour({
      scenario: standalone.migrationFails({ exitCode: 1, logHiddenReads: 1 }),
    });
    const { outcome, io } = await migrate();
    const [task] = aws.ecs.standalone.tasks;

    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'migration',
      exitCode: 1,
      errorLines: [ATLAS_ERROR_LINE],
      stoppedReason: 'Essential container in task exited',
      taskArn: task!.arn,
      logStream: { group: '/ecs/web', stream: `ecs/atlas/${task!.id}`, region: 'us-east-1' },
    });
    const message = (outcome as { message: string }).message;
    expect(message).toContain('the service was not updated');
    expect(message).toContain(ATLAS_ERROR_LINE);
    expect(aws.counts()).toMatchObject({ GetLogEvents: 1 });
    expect(aws.counts({ includeErrors: true })).toMatchObject({ GetLogEvents: 2 });
    expect(io.text('info')).toContain(message);
    serviceUntouched();
  });

  it('reports a task that stopped before the migration ran (a secret it could not read)', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.failsToStart() });
    const { outcome } = await migrate();
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'task',
      exitCode: undefined,
      stoppedTask: { kind: 'task-initialization' },
    });
    expect(aws.counts().GetLogEvents).toBeUndefined();
    serviceUntouched();
  });

  it('reports a RunTask failure (no memory free on the instances) and starts nothing', async () => {
    aws.ecs.standalone.setBehaviour({ failure: { reason: 'RESOURCE:MEMORY' } });
    const { outcome } = await migrate();
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'not-started',
      failures: [{ reason: 'RESOURCE:MEMORY' }],
    });
    expect((outcome as { message: string }).message).toMatch(
      /^Could not start the migration task \(arn:aws:ecs:us-east-1:123456789012:task-definition\/web-migrate:1\): RESOURCE:MEMORY on arn:aws:ecs:us-east-1:123456789012:container-instance\/prod\/[0-9a-f]+; the service was not updated\. Fix: no container instance/,
    );
    expect(aws.ecs.standalone.tasks).toEqual([]);
    expect(aws.counts().DescribeTasks).toBeUndefined();
    serviceUntouched();
  });

  it('times out on a migration that does not finish, and leaves the task running', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.neverStops() });
    const { outcome, sleeps } = await migrate({ timeoutMs: 35_000 });
    expect(outcome).toMatchObject({ status: 'timeout', lastStatus: 'RUNNING', polls: 4 });
    expect(sleeps).toEqual([10_000, 10_000, 10_000, 5_000]);
    expect(aws.ecs.standalone.tasks[0]!.lastStatus).toBe('RUNNING');
    expect(aws.callsOf('StopTask')).toEqual([]);
    serviceUntouched();
  });

  it('starts one task even when RunTask is throttled and retried by the SDK', async () => {
    aws.throttle('RunTask', 1);
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const { outcome } = await migrate();
    expect(outcome.status).toBe('succeeded');
    const runs = aws.callsOf('RunTask');
    expect(runs.map((c) => c.error)).toEqual(['ThrottlingException', undefined]);
    expect(new Set(runs.map((c) => c.body.clientToken)).size).toBe(1);
    expect(aws.ecs.standalone.tasks).toHaveLength(1);
  });

  it('runs on the service’s capacity providers and platform version when it has them', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const { outcome } = await migrate({
      placement: {
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        platformVersion: 'LATEST',
      },
    });
    expect(outcome.status).toBe('succeeded');
    const body = aws.callsOf('RunTask')[0]!.body;
    expect(body).not.toHaveProperty('launchType');
    expect(body).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      platformVersion: 'LATEST',
    });
    expect(aws.ecs.standalone.tasks[0]!.capacityProviderName).toBe('FARGATE_SPOT');
  });

  it('gets what ECS refuses as an AWS error naming RunTask, and one task per clientToken', async () => {
    const apis = createAwsApis(clients);
    const registered = await registerTaskDefinition(apis.ecs, {
      ...MIGRATION_TD,
      executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
    });
    const base = {
      cluster: CLUSTER,
      taskDefinition: registered.taskDefinitionArn,
      networkConfiguration: NETWORK,
    };
    const both = apis.ecs.runTask({
      ...base,
      launchType: 'FARGATE',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
    });
    await expect(both).rejects.toMatchObject({
      name: 'AwsCallError',
      code: 'InvalidParameterException',
      operation: 'ecs:RunTask',
    });
    await expect(apis.ecs.runTask({ ...base, networkConfiguration: undefined })).rejects.toThrow(
      /Network Configuration must be provided/,
    );

    const first = await apis.ecs.runTask({ ...base, clientToken: 'same' });
    const again = await apis.ecs.runTask({ ...base, clientToken: 'same' });
    expect(again.tasks![0]!.taskArn).toBe(first.tasks![0]!.taskArn);
    expect(first.tasks![0]).toMatchObject({ lastStatus: 'PROVISIONING', launchType: 'EC2' });
    expect(aws.ecs.standalone.tasks).toHaveLength(1);
  });
});
