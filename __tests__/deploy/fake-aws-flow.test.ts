// The deploy phase end to end through the real SDK clients (configured by the environment only)
// against the loopback AWS endpoint: pre-flight, patch, register, UpdateService, watch, rollback,
// for each scenario ECS can play. The clock is fake: no test waits for a poll interval.
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { preflight, preflightRequest } from '../../src/deploy/preflight';
import {
  DeploymentFailedError,
  runDeployment,
  type DeploymentReport,
  type DeploymentSettings,
} from '../../src/deploy/run-deployment';
import { InputError, ValidationErrors } from '../../src/errors';
import type { TaskDefinitionSource } from '../../src/inputs/settings';
import { buildMigrationCommand, patchTaskDefinition } from '../../src/taskdef';
import {
  ATLAS_ERROR_LINE,
  APP_CRASH_LOG,
  FakeAws,
  scenarios,
  useFakeAwsEnv,
  type Scenario,
} from '../helpers/fake-aws';
import { deploymentSettings as settings, fakeClock, recordingIO, type RecordingIO } from './fakes';

const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/migrations@sha256:${'a'.repeat(64)}`;

let aws: FakeAws;
let clients: AwsClients;
let restoreEnv: () => void;
let previousArn: string;
let secretArn: string;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
  restoreEnv = useFakeAwsEnv(aws);
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/test' });
  previousArn = aws.ecs.addTaskDefinition(
    {
      family: 'web',
      executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx:1.27',
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
    },
    [{ key: 'team', value: 'payments' }],
  );
  secretArn = aws.secrets.add('prod/db');
});

afterEach(async () => {
  clients.destroy();
  restoreEnv();
  jest.restoreAllMocks();
  await aws.close();
});

function addService(
  controller: 'ECS' | 'CODE_DEPLOY' = 'ECS',
  more: Partial<Parameters<FakeAws['ecs']['addService']>[0]> = {},
): void {
  aws.ecs.addService({
    cluster: 'prod',
    name: 'web',
    taskDefinition: previousArn,
    desiredCount: 1,
    deploymentController: controller,
    ...more,
  });
}

interface Run {
  report: DeploymentReport;
  io: RecordingIO;
  sleeps: number[];
}

async function deployWith(
  scenario: Scenario | undefined,
  options: {
    settings?: Partial<DeploymentSettings>;
    databaseUrlSecret?: string;
    taskDefinition?: TaskDefinitionSource;
  } = {},
): Promise<Run> {
  if (scenario) aws.ecs.setScenario('web', scenario, 'prod');
  const apis = createAwsApis(clients);
  const io = recordingIO();
  const pre = await preflight(
    preflightRequest({
      cluster: 'prod',
      service: 'web',
      taskDefinition: options.taskDefinition ?? { kind: 'service' },
      databaseUrlSecret: options.databaseUrlSecret ?? 'prod/db',
    }),
    apis,
  );
  const patched = patchTaskDefinition(pre.taskDefinition, {
    containerName: 'atlas',
    image: IMAGE,
    command: buildMigrationCommand({ atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: [] }),
    images: [],
    ...(pre.databaseUrlSecretValueFrom
      ? { databaseUrlSecret: pre.databaseUrlSecretValueFrom }
      : {}),
  });
  const clock = fakeClock();
  const report = await runDeployment(
    { settings: settings(options.settings), preflight: pre, taskDefinition: patched },
    { ecs: apis.ecs, logs: apis.logs, logsInRegion: apis.logsInRegion, io, ...clock },
  );
  return { report, io, sleeps: clock.sleeps };
}

it('deploys: registers the patched revision (tags kept), updates the service, waits for COMPLETED', async () => {
  addService();
  const { report, io, sleeps } = await deployWith(scenarios.succeed({ completeAtPoll: 2 }));

  expect(report.error).toBeUndefined();
  expect(report.migrationStatus).toBe('succeeded');
  expect(report.deployed).toMatchObject({
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2',
    previousTaskDefinitionArn: previousArn,
  });
  expect(report.deployed.deploymentId).toMatch(/^ecs-svc\/\d+$/);
  expect(report.outcome).toMatchObject({ status: 'succeeded', polls: 2 });
  expect(sleeps).toEqual([15_000]);

  const registered = aws.callsOf('RegisterTaskDefinition')[0]!.body;
  for (const key of [
    'taskDefinitionArn',
    'revision',
    'status',
    'registeredAt',
    'compatibilities',
  ]) {
    expect(registered).not.toHaveProperty(key);
  }
  expect(registered.tags).toEqual([{ key: 'team', value: 'payments' }]);
  const td = aws.ecs.taskDefinition(report.deployed.taskDefinitionArn)!;
  const containers = td.body.containerDefinitions as Array<Record<string, unknown>>;
  expect(containers.map((c) => c.name)).toEqual(['atlas', 'web']);
  expect(containers[0]).toMatchObject({
    image: IMAGE,
    essential: false,
    secrets: [{ name: 'DATABASE_URL', valueFrom: secretArn }],
  });
  expect(td.tags).toEqual([{ key: 'team', value: 'payments' }]);
  expect(aws.callsOf('UpdateService')[0]!.body).toEqual({
    cluster: 'prod',
    service: 'web',
    taskDefinition: report.deployed.taskDefinitionArn,
    forceNewDeployment: false,
  });
  expect(aws.ecs.service('web', 'prod').taskDefinition).toBe(report.deployed.taskDefinitionArn);

  // The AWS calls of a deploy whose rollout completes at the second poll; then Atlas's report is
  // read from the task that migrated (its running and stopped tasks listed, one log read).
  expect(aws.counts()).toEqual({
    DescribeServices: 3,
    // Each poll reads the service deployment too (status, stage, circuit breaker, alarms).
    DescribeServiceDeployments: 2,
    DescribeTaskDefinition: 1,
    DescribeSecret: 1,
    RegisterTaskDefinition: 1,
    UpdateService: 1,
    ListTasks: 4,
    DescribeTasks: 1,
    GetLogEvents: 1,
  });
  expect(io.text('info').some((l) => l.includes('has started 1 tasks'))).toBe(true);
  expect(io.text('info').some((l) => l.includes('deployment completed'))).toBe(true);
});

it("fails a migration at the poll that sees it stop, with Atlas's error, and rolls back", async () => {
  addService();
  const { report, io, sleeps } = await deployWith(
    scenarios.migrationFails({ stopAtPoll: 2, logHiddenReads: 1 }),
  );

  expect(report.migrationStatus).toBe('failed');
  expect(report.outcome).toMatchObject({
    status: 'failed',
    kind: 'migration',
    exitCode: 1,
    errorLines: [ATLAS_ERROR_LINE],
    stoppedReason: 'Essential container in task exited',
    logStream: { group: '/ecs/web', region: 'us-east-1' },
  });
  // ECS stopped the task during poll 2; poll 2 decided.
  const deployment = aws.ecs.deploymentHistory.find((d) => d.id === report.deployed.deploymentId)!;
  // The fake counts every DescribeServices: the watch's 2 polls, then the rollback's check that
  // the deployment is still the service's PRIMARY one.
  expect(deployment.polls).toBe(3);
  expect(report.outcome!.polls).toBe(2);
  // One poll interval, one 2 s log retry (the stream showed up late), then two polls of ECS's
  // rollback (ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL).
  expect(sleeps).toEqual([15_000, 2000, 15_000, 15_000]);
  expect(aws.callsOf('GetLogEvents').map((c) => c.error)).toEqual([
    'ResourceNotFoundException',
    undefined,
  ]);
  const stream = aws.callsOf('GetLogEvents')[0]!.body.logStreamName as string;
  expect(stream).toMatch(/^ecs\/atlas\/[0-9a-f]{32}$/);

  expect(io.text('info').join('\n')).toContain(ATLAS_ERROR_LINE);
  // The rollback is ECS's own: StopServiceDeployment, no second UpdateService.
  const updates = aws.callsOf('UpdateService').map((c) => c.body.taskDefinition);
  expect(updates).toEqual([report.deployed.taskDefinitionArn]);
  expect(aws.callsOf('StopServiceDeployment').map((c) => c.body)).toEqual([
    { serviceDeploymentArn: deployment.sd.arn, stopType: 'ROLLBACK' },
  ]);
  expect(report.rollback).toEqual({
    rolledBack: true,
    method: 'stop-service-deployment',
    taskDefinitionArn: previousArn,
    deploymentId: undefined,
    status: 'ROLLBACK_SUCCESSFUL',
  });
  expect(aws.ecs.service('web', 'prod').taskDefinition).toBe(previousArn);

  expect(report.error).toBeInstanceOf(DeploymentFailedError);
  expect(report.error!.message).toContain(ATLAS_ERROR_LINE);
  expect(report.error!.message).toContain(
    `ECS rolled the service back to ${previousArn} (StopServiceDeployment with stopType ROLLBACK: ROLLBACK_SUCCESSFUL).`,
  );
});

it('rolls back with UpdateService where the service-deployment API is absent, and says why', async () => {
  addService();
  aws.ecs.serviceDeploymentApi = 'absent';
  const { report, io, sleeps } = await deployWith(scenarios.migrationFails({ stopAtPoll: 2 }));

  expect(report.migrationStatus).toBe('failed');
  expect(report.outcome!.polls).toBe(2);
  expect(report.outcome!.serviceDeploymentApiProblem).toBe(
    'ecs:ListServiceDeployments on deployments of service web in cluster prod failed: UnknownOperationException: fake ECS does not implement ListServiceDeployments',
  );
  expect(sleeps).toEqual([15_000]);
  expect(aws.callsOf('UpdateService').map((c) => c.body.taskDefinition)).toEqual([
    report.deployed.taskDefinitionArn,
    previousArn,
  ]);
  expect(aws.callsOf('StopServiceDeployment')).toEqual([]);
  expect(report.rollback).toMatchObject({ rolledBack: true, method: 'update-service' });
  expect(report.error!.message).toContain(
    `The service was rolled back to ${previousArn} (UpdateService, deployment ecs-svc/`,
  );
  expect(io.text('info').join('\n')).toContain('Reading the rollout from DescribeServices only');
});

it('rolls back with UpdateService when StopServiceDeployment is denied, and says why', async () => {
  addService();
  aws.ecs.stopServiceDeploymentDenied = true;
  const { report } = await deployWith(scenarios.migrationFails({ stopAtPoll: 2 }));

  expect(aws.callsOf('StopServiceDeployment').map((c) => c.error)).toEqual([
    'AccessDeniedException',
  ]);
  expect(aws.callsOf('UpdateService').map((c) => c.body.taskDefinition)).toEqual([
    report.deployed.taskDefinitionArn,
    previousArn,
  ]);
  expect(report.rollback).toMatchObject({
    rolledBack: true,
    method: 'update-service',
    fallbackReason: expect.stringMatching(
      /^StopServiceDeployment could not roll back service deployment sd[0-9a-f]+: .*not authorized/,
    ),
  });
  expect(report.error!.message).toMatch(
    /\(UpdateService, deployment ecs-svc\/\d+\)\. StopServiceDeployment could not roll back/,
  );
});

it('falls back to UpdateService when ECS reports its own rollback failed', async () => {
  addService();
  aws.ecs.service('web', 'prod').rollbackFails = true;
  const { report } = await deployWith(scenarios.migrationFails({ stopAtPoll: 2 }));

  expect(aws.callsOf('StopServiceDeployment')).toHaveLength(1);
  expect(report.rollback).toMatchObject({
    rolledBack: true,
    method: 'update-service',
    fallbackReason: expect.stringContaining("ECS's rollback of service deployment"),
  });
  expect(aws.callsOf('UpdateService')).toHaveLength(2);
});

it('reports an app crash after a good migration, then the circuit breaker rollback', async () => {
  addService();
  const { report, io } = await deployWith(
    scenarios.appCrash({ crashAtPoll: 2, rollbackAtPoll: 4 }),
  );

  expect(report.outcome).toMatchObject({
    status: 'failed',
    kind: 'rollout',
    cause: 'rolled-back',
    polls: 4,
  });
  expect(report.outcome!.stoppedTasks.map((t) => [t.kind, t.migrationExitCode])).toEqual([
    ['app-exit', 0],
    ['app-exit', 0],
  ]);
  expect(report.migrationStatus).toBe('succeeded');
  expect(
    io.text('warning').filter((l) => l.includes('exited after the migration succeeded')),
  ).toHaveLength(2);
  // ECS rolled back already: no second UpdateService from us.
  expect(aws.callsOf('UpdateService')).toHaveLength(1);
  expect(report.rollback).toBeUndefined();
  expect(report.error!.message).toContain(`ECS rolled the service back to ${previousArn}.`);
  // The app's log is read once, at the first crash; then Atlas's report is looked for in one
  // migration log, which holds Atlas's text output only.
  expect(aws.callsOf('GetLogEvents').map((c) => c.body.logStreamName)).toEqual([
    expect.stringMatching(/^ecs\/web\//),
    expect.stringMatching(/^ecs\/atlas\//),
  ]);
  expect(report.outcome!.appFailure).toMatchObject({
    container: 'web',
    kind: 'app-exit',
    exitCode: 1,
    stoppedReason: 'Essential container in task exited',
    logTail: [...APP_CRASH_LOG],
    logStream: { group: '/ecs/web', region: 'us-east-1' },
  });
  expect(report.migration).toMatchObject({ reports: [], tasksRead: 1 });
});

it('reports a circuit breaker rollback after failed health checks', async () => {
  addService();
  const { report, io } = await deployWith(scenarios.circuitBreaker({ failAtPoll: 3 }));

  expect(report.outcome).toMatchObject({ kind: 'rollout', cause: 'rolled-back', polls: 3 });
  expect(
    report.outcome!.status === 'failed' &&
      report.outcome!.kind === 'rollout' &&
      report.outcome!.reason,
  ).toContain('ECS deployment circuit breaker: tasks failed to start.');
  expect(report.outcome!.stoppedTasks.map((t) => t.kind)).toEqual(['elb-health-check']);
  expect(io.text('warning')[0]).toContain('Task failed ELB health checks');
  expect(io.text('info').some((l) => l.includes('rolling back to deployment'))).toBe(true);
  expect(aws.callsOf('UpdateService')).toHaveLength(1);
});

it('rolls back itself when the rollout FAILED and ECS did not roll back', async () => {
  addService();
  const { report } = await deployWith(scenarios.circuitBreaker({ failAtPoll: 3, rollback: false }));
  expect(report.outcome).toMatchObject({ kind: 'rollout', cause: 'failed' });
  expect(aws.callsOf('UpdateService').map((c) => c.body.taskDefinition)).toEqual([
    report.deployed.taskDefinitionArn,
    previousArn,
  ]);
});

it('reports an image that cannot be pulled and keeps watching', async () => {
  addService();
  const { report, io } = await deployWith(scenarios.imagePullFails(), {
    settings: { waitTimeoutMinutes: 1 },
  });
  expect(report.outcome).toMatchObject({ status: 'timeout' });
  expect(report.outcome!.stoppedTasks.map((t) => t.kind)).toEqual(['image-pull']);
  expect(io.text('warning')[0]).toContain('CannotPullContainerError');
});

it('times out with the last events, leaving the service as it is', async () => {
  addService();
  const { report, sleeps } = await deployWith(scenarios.neverFinishes(), {
    settings: { waitTimeoutMinutes: 1 },
  });
  expect(report.outcome).toMatchObject({
    status: 'timeout',
    polls: 5,
    rolloutState: 'IN_PROGRESS',
  });
  expect(sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  const lastEvents = report.outcome!.status === 'timeout' ? report.outcome!.lastEvents : [];
  expect(lastEvents.some((e) => e.includes('has started 1 tasks'))).toBe(true);
  expect(lastEvents.some((e) => e.includes('was unable to place a task'))).toBe(true);
  expect(report.error!.message).toMatch(
    /^Deployment did not finish within 1 min \(rollout IN_PROGRESS\)/,
  );
  expect(report.rollback).toBeUndefined();
  expect(aws.callsOf('UpdateService')).toHaveLength(1);
});

it('refuses a CodeDeploy service before any write', async () => {
  addService('CODE_DEPLOY');
  const error = await deployWith(scenarios.succeed()).catch((e) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error.message).toContain('CODE_DEPLOY deployment controller');
  expect(aws.writes()).toEqual([]);
  expect(Object.keys(aws.counts()).sort()).toEqual(['DescribeSecret', 'DescribeServices']);
});

it('refuses a missing secret before any write', async () => {
  addService();
  const error = await deployWith(scenarios.succeed(), { databaseUrlSecret: 'prod/missing' }).catch(
    (e) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect(error.message).toContain(
    'Input \'database-url-secret\': no Secrets Manager secret "prod/missing"',
  );
  expect(aws.callsOf('DescribeSecret')[0]!.error).toBe('ResourceNotFoundException');
  expect(aws.writes()).toEqual([]);
});

it('reports a missing service, a missing secret and a missing revision together, before any write', async () => {
  aws.ecs.addCluster('prod');
  const error = await deployWith(undefined, {
    databaseUrlSecret: 'prod/missing',
    taskDefinition: { kind: 'family-revision', family: 'web', revision: 9 },
  }).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationErrors);
  expect((error as ValidationErrors).errors.map((e) => (e as InputError).input)).toEqual([
    'service',
    'database-url-secret',
    'task-definition',
  ]);
  expect(aws.writes()).toEqual([]);
});

it('survives throttling on every operation it polls with', async () => {
  // The SDK's backoff is a random fraction of 1 s, 2 s…: pin the fraction so the retries take ms.
  jest.spyOn(Math, 'random').mockReturnValue(0.001);
  addService();
  aws.throttle('DescribeServices', 2);
  aws.throttle('DescribeSecret', 1);
  aws.throttle('RegisterTaskDefinition', 1);
  aws.throttle('UpdateService', 1);
  aws.throttle('ListTasks', 2);
  const { report } = await deployWith(scenarios.succeed({ completeAtPoll: 2 }));
  expect(report.error).toBeUndefined();
  expect(report.migrationStatus).toBe('succeeded');
  expect(aws.counts({ includeErrors: true })).toMatchObject({
    DescribeServices: 5,
    DescribeSecret: 2,
    RegisterTaskDefinition: 2,
    UpdateService: 2,
    // Two throttled, two polls, and the running and stopped tasks listed for Atlas's report.
    ListTasks: 6,
  });
  // A throttled write was retried, never doubled: one revision, one deployment.
  expect(aws.ecs.taskDefinitions.filter((t) => t.family === 'web')).toHaveLength(2);
  expect(aws.ecs.service('web', 'prod').deployments).toHaveLength(1);
});

describe('native blue/green, linear and canary deployments', () => {
  const stagesPrinted = (io: RecordingIO): string[] =>
    io
      .text('info')
      .filter((l) => l.startsWith('Service deployment '))
      .map((l) => {
        const status = l.replace(/^Service deployment \S+: /, '').split(';')[0]!;
        const stage = /stage: [^;(]+\((\w+)\)/.exec(l)?.[1];
        return stage ? `${status} ${stage}` : status;
      });

  it('waits through the lifecycle stages and the bake time, printing each stage as it moves', async () => {
    addService('ECS', {
      strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 10, bakePolls: 3 },
    });
    const { report, io } = await deployWith(scenarios.succeed({ completeAtPoll: 2 }));

    expect(report.outcome).toMatchObject({ status: 'succeeded' });
    expect(report.migrationStatus).toBe('succeeded');
    // Poll 1 scales up; poll 2 the tasks are up and traffic moves; 3 polls of bake time; clean up.
    expect(stagesPrinted(io)).toEqual([
      'IN_PROGRESS SCALE_UP',
      'IN_PROGRESS TEST_TRAFFIC_SHIFT',
      'IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT',
      'IN_PROGRESS BAKE_TIME',
      'IN_PROGRESS CLEAN_UP',
      'SUCCESSFUL CLEAN_UP',
    ]);
    expect(report.outcome!.polls).toBe(8);
    expect(aws.counts().DescribeServiceDeployments).toBe(8);
    expect(aws.callsOf('StopServiceDeployment')).toEqual([]);
  });

  it.each([
    [
      'LINEAR',
      { name: 'LINEAR', bakePolls: 1, linear: { stepPercent: 50, stepBakeTimeInMinutes: 1 } },
      ['50% of production traffic', '100% of production traffic'],
    ],
    [
      'CANARY',
      { name: 'CANARY', bakePolls: 1, canary: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 } },
      ['10% of production traffic', '100% of production traffic'],
    ],
  ] as const)('%s: prints each traffic step', async (_name, strategy, weights) => {
    addService('ECS', { strategy });
    const { report, io } = await deployWith(scenarios.succeed({ completeAtPoll: 2 }));
    expect(report.outcome).toMatchObject({ status: 'succeeded' });
    const shifts = io
      .text('info')
      .filter((l) => l.includes('PRODUCTION_TRAFFIC_SHIFT'))
      .map((l) => /\d+% of production traffic/.exec(l)?.[0]);
    expect(shifts).toEqual(weights);
  });

  it('fails a migration in the green tasks at the poll that sees it, and rolls back with StopServiceDeployment', async () => {
    addService('ECS', { strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 10 } });
    const { report, io } = await deployWith(scenarios.migrationFails({ stopAtPoll: 2 }));

    expect(report.outcome).toMatchObject({ status: 'failed', kind: 'migration', polls: 2 });
    expect(aws.callsOf('StopServiceDeployment')).toHaveLength(1);
    expect(aws.callsOf('UpdateService')).toHaveLength(1);
    expect(report.rollback).toMatchObject({
      rolledBack: true,
      method: 'stop-service-deployment',
      status: 'ROLLBACK_SUCCESSFUL',
    });
    expect(io.text('info')).toContain(
      `Service ${'web'} is back on ${previousArn}: service deployment ${report.outcome!.serviceDeployment!.serviceDeploymentArn!.split('/').pop()} ROLLBACK_SUCCESSFUL`,
    );
  });

  it('reports the alarms that made ECS roll back', async () => {
    addService('ECS', {
      strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 10, bakePolls: 3 },
      alarms: { alarmNames: ['api-5xx'], rollback: true },
    });
    const alarmDuringBake: Scenario = (ctx) => {
      succeedScenario(ctx);
      if (ctx.poll === 4) ctx.alarm(['api-5xx']);
    };
    const succeedScenario = scenarios.succeed({ completeAtPoll: 2 });
    const { report, io } = await deployWith(alarmDuringBake);

    expect(report.outcome).toMatchObject({
      status: 'failed',
      kind: 'rollout',
      cause: 'rolled-back',
    });
    expect(report.migrationStatus).toBe('succeeded');
    expect(io.text('info').join('\n')).toContain('alarms TRIGGERED (in ALARM: api-5xx)');
    expect(report.error!.message).toContain('api-5xx');
    // ECS rolled back by itself: the action does not roll back a second time.
    expect(aws.callsOf('StopServiceDeployment')).toEqual([]);
    expect(aws.callsOf('UpdateService')).toHaveLength(1);
  });

  it('refuses, before any write, a wait-timeout-minutes the bake time cannot fit in', async () => {
    addService('ECS', { strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 30 } });
    await expect(
      preflight(
        preflightRequest({
          cluster: 'prod',
          service: 'web',
          taskDefinition: { kind: 'service' },
          databaseUrlSecret: 'prod/db',
          waitForServiceStability: true,
          waitTimeoutMinutes: 20,
        }),
        createAwsApis(clients),
      ),
    ).rejects.toThrow(
      "Input 'wait-timeout-minutes': is 20, but service web deploys with BLUE_GREEN with a 30 min bake time",
    );
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
  });

  it('reads the rollout from DescribeServices when the service-deployment API is denied, and says so', async () => {
    addService('ECS', { strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 10, bakePolls: 2 } });
    aws.ecs.serviceDeploymentApi = 'access-denied';
    const { report, io } = await deployWith(scenarios.succeed({ completeAtPoll: 2 }));

    expect(report.outcome).toMatchObject({ status: 'succeeded' });
    expect(report.outcome!.serviceDeploymentApiProblem).toContain('AccessDeniedException');
    // One denied call, then DescribeServices alone.
    expect(aws.counts({ includeErrors: true }).DescribeServiceDeployments).toBe(1);
    expect(
      io.text('info').filter((l) => l.startsWith('Reading the rollout from DescribeServices only')),
    ).toHaveLength(1);
  });
});

it('rolls back with StopServiceDeployment when the migration fails before the wait read its deployment', async () => {
  addService();
  // The task is stopped at the first poll: the wait decides before DescribeServiceDeployments.
  const { report } = await deployWith(scenarios.migrationFails({ stopAtPoll: 1 }));
  expect(report.outcome).toMatchObject({ status: 'failed', kind: 'migration', polls: 1 });
  expect(report.outcome!.serviceDeployment).toBeUndefined();
  expect(aws.callsOf('StopServiceDeployment')).toHaveLength(1);
  expect(report.rollback).toMatchObject({
    method: 'stop-service-deployment',
    status: 'ROLLBACK_SUCCESSFUL',
  });
  expect(aws.callsOf('UpdateService')).toHaveLength(1);
});
