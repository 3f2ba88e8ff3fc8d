// The waiter against a scripted ECS (plain objects) and a fake clock: no real time passes.
import type { Deployment, Service, ServiceEvent, Task } from '@aws-sdk/client-ecs';
import type { GetLogEventsRequest } from '@aws-sdk/client-cloudwatch-logs';
import type { LogsApi } from '../../src/aws/api';
import { wrapAwsError } from '../../src/aws/errors';
import {
  watchDeployment,
  watchOptionsFromSettings,
  type WatchOptions,
  type WatchRequest,
} from '../../src/deploy/watch';
import { ATLAS_ERROR_LINE, ATLAS_FAILURE_LOG } from '../helpers/fake-aws';
import { ecsApi, fakeClock, logsApi, recordingIO } from './fakes';

const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';
const DEPLOYMENT = 'ecs-svc/2';
const T0 = Date.UTC(2024, 2, 10, 17, 0, 0);
const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`;

const awslogs = {
  logDriver: 'awslogs',
  options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'ecs' },
};

const request = (fields: Partial<WatchRequest> = {}): WatchRequest => ({
  cluster: 'prod',
  service: 'web',
  deploymentId: DEPLOYMENT,
  taskDefinitionArn: NEW,
  previousTaskDefinitionArn: OLD,
  migrationContainer: 'atlas',
  registeredTaskDefinition: {
    containerDefinitions: [{ name: 'atlas', logConfiguration: awslogs }, { name: 'web' }],
  },
  eventsSince: new Date(T0),
  ...fields,
});

const OPTIONS: WatchOptions = { pollIntervalMs: 15_000, timeoutMs: 10 * 60_000 };

function ours(fields: Partial<Deployment> = {}): Deployment {
  return {
    id: DEPLOYMENT,
    status: 'PRIMARY',
    taskDefinition: NEW,
    desiredCount: 1,
    runningCount: 0,
    pendingCount: 0,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${DEPLOYMENT} in progress.`,
    ...fields,
  };
}

const old: Deployment = {
  id: 'ecs-svc/1',
  status: 'ACTIVE',
  taskDefinition: OLD,
  desiredCount: 1,
  runningCount: 1,
  rolloutState: 'COMPLETED',
};

let eventCounter = 0;
function event(message: string, secondsAfterT0: number): ServiceEvent {
  return { id: `e${++eventCounter}`, createdAt: new Date(T0 + secondsAfterT0 * 1000), message };
}

function stoppedTask(id: string, fields: Partial<Task> = {}): Task {
  return {
    taskArn: taskArn(id),
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    startedBy: DEPLOYMENT,
    ...fields,
  };
}

function migrationStopped(id: string, exitCode = 1): Task {
  return stoppedTask(id, {
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [
      { name: 'atlas', exitCode },
      {
        name: 'web',
        exitCode: 143,
        reason: 'CannotStartContainerError: dependency graph: ... did not exit successfully',
      },
    ],
  });
}

interface PollState {
  service?: Partial<Service>;
  deployments?: Deployment[];
  events?: ServiceEvent[];
  /** Tasks of the deployment that are stopped (or stopping) at this poll. */
  stopped?: Task[];
  /** Throw this from DescribeServices at this poll. */
  error?: Error;
  gone?: boolean;
}

/** An ECS whose DescribeServices answers the script's state for each poll (the last repeats). */
function scriptedEcs(script: (poll: number) => PollState) {
  let poll = 0;
  let state: PollState = {};
  const describedTasks: string[][] = [];
  const listInputs: unknown[] = [];
  const api = ecsApi({
    describeServices: async () => {
      poll++;
      state = script(poll);
      if (state.error) throw state.error;
      if (state.gone) return { services: [], failures: [{ reason: 'MISSING' }] };
      return {
        services: [
          {
            serviceName: 'web',
            desiredCount: 1,
            runningCount: 1,
            deployments: state.deployments ?? [ours(), old],
            events: [...(state.events ?? [])].reverse(),
            ...state.service,
          },
        ],
      };
    },
    listTasks: async (input) => {
      listInputs.push(input);
      return { taskArns: (state.stopped ?? []).map((t) => t.taskArn!) };
    },
    describeTasks: async (input) => {
      describedTasks.push(input.tasks ?? []);
      return { tasks: (state.stopped ?? []).filter((t) => input.tasks!.includes(t.taskArn!)) };
    },
  });
  return { api, describedTasks, listInputs, polls: () => poll };
}

function logsWith(answers: Array<string[] | Error>) {
  const inputs: GetLogEventsRequest[] = [];
  const api: LogsApi = {
    getLogEvents: async (input) => {
      inputs.push(input);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return { events: answer.map((message, i) => ({ timestamp: i, message })) };
    },
  };
  return { api, inputs };
}

const notFound = () =>
  wrapAwsError(
    Object.assign(new Error('The specified log stream does not exist.'), {
      name: 'ResourceNotFoundException',
    }),
    { operation: 'logs:GetLogEvents', target: 'x' },
  );

const transient = () =>
  wrapAwsError(
    Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    }),
    { operation: 'ecs:DescribeServices', target: 'x' },
  );

describe('a rollout that completes', () => {
  it('succeeds once COMPLETED with every task running, printing new events once, oldest first', async () => {
    const before = event('(service web) has reached a steady state.', -60);
    const started = event('(service web) has started 1 tasks: (task a).', 5);
    const done = event(`(service web) (deployment ${DEPLOYMENT}) deployment completed.`, 20);
    const steady = event('(service web) has reached a steady state.', 21);
    const ecs = scriptedEcs((poll) =>
      poll === 1
        ? { events: [before, started], deployments: [ours({ runningCount: 1 }), old] }
        : {
            events: [before, started, done, steady],
            deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })],
          },
    );
    const io = recordingIO();
    const clock = fakeClock();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...clock },
      OPTIONS,
    );
    expect(outcome).toEqual({
      status: 'succeeded',
      polls: 2,
      stoppedTasks: [],
      runningCount: 1,
      desiredCount: 1,
    });
    expect(clock.sleeps).toEqual([15_000]);
    const printed = io.text('info').filter((l) => l.startsWith('2024-'));
    expect(printed).toEqual([
      '2024-03-10T17:00:05.000Z (service web) has started 1 tasks: (task a).',
      `2024-03-10T17:00:20.000Z (service web) (deployment ${DEPLOYMENT}) deployment completed.`,
      '2024-03-10T17:00:21.000Z (service web) has reached a steady state.',
    ]);
    expect(io.text('info')).toContain(
      `Deployment ${DEPLOYMENT}: IN_PROGRESS, running 1/1, pending 0, failed tasks 0`,
    );
    expect(ecs.listInputs[0]).toEqual({
      cluster: 'prod',
      startedBy: DEPLOYMENT,
      desiredStatus: 'STOPPED',
    });
  });

  it('takes the events of the first poll as old without a start time', async () => {
    const first = event('old news', -5);
    const second = event('fresh', 30);
    const ecs = scriptedEcs((poll) =>
      poll === 1
        ? { events: [first] }
        : {
            events: [first, second],
            deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })],
          },
    );
    const io = recordingIO();
    await watchDeployment(
      request({ eventsSince: undefined }),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(io.text('info').filter((l) => l.startsWith('2024-'))).toEqual([
      '2024-03-10T17:00:30.000Z fresh',
    ]);
  });

  it('waits for the service to run every task, not only the rollout state', async () => {
    const ecs = scriptedEcs((poll) => ({
      deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })],
      service: { runningCount: poll < 3 ? 0 : 1 },
    }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ status: 'succeeded', polls: 3 });
  });

  it('accepts a single PRIMARY deployment with every task running when ECS gives no rollout state', async () => {
    const ecs = scriptedEcs(() => ({
      deployments: [ours({ runningCount: 1, rolloutState: undefined })],
    }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome.status).toBe('succeeded');
  });
});

describe('a migration that fails', () => {
  it("is decided at the poll that sees its task STOPPED, with Atlas's error from the log", async () => {
    const ecs = scriptedEcs((poll) => (poll < 2 ? {} : { stopped: [migrationStopped('t1')] }));
    const logs = logsWith([notFound(), [], [...ATLAS_FAILURE_LOG]]);
    const io = recordingIO();
    const clock = fakeClock();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logs.api, io, ...clock },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'migration',
      polls: 2,
      exitCode: 1,
      errorLines: [ATLAS_ERROR_LINE],
      stoppedReason: 'Essential container in task exited',
      taskArn: taskArn('t1'),
      logStream: { group: '/ecs/web', stream: 'ecs/atlas/t1' },
      logProblem: undefined,
    });
    expect(outcome.status === 'failed' && outcome.kind === 'migration' && outcome.logTail).toEqual(
      ATLAS_FAILURE_LOG,
    );
    expect(ecs.polls()).toBe(2);
    // One poll interval, then two log retries of 2 s while the stream was missing, then empty.
    expect(clock.sleeps).toEqual([15_000, 2000, 2000]);
    expect(logs.inputs[0]).toMatchObject({
      logGroupName: '/ecs/web',
      logStreamName: 'ecs/atlas/t1',
      startFromHead: false,
    });
    // Logged; the one annotation is the step's failure message (run-deployment).
    expect(io.text('error')).toEqual([]);
    expect(io.text('info')).toContain(
      `Migration failed: container "atlas" exited with code 1 in task t1\n${ATLAS_ERROR_LINE}`,
    );
    expect(io.text('group')).toEqual([
      `Log of atlas in task t1 (last ${ATLAS_FAILURE_LOG.length} lines)`,
    ]);
    expect(io.text('info')).toContain(ATLAS_FAILURE_LOG.join('\n'));
  });

  it('reports a stream that never appears after the retries', async () => {
    const ecs = scriptedEcs(() => ({ stopped: [migrationStopped('t1', 2)] }));
    const logs = logsWith([notFound()]);
    const io = recordingIO();
    const clock = fakeClock();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logs.api, io, ...clock },
      { ...OPTIONS, logRetries: 3, logRetryDelayMs: 2000 },
    );
    expect(outcome).toMatchObject({
      kind: 'migration',
      polls: 1,
      exitCode: 2,
      errorLines: [],
      logTail: [],
      logProblem: 'log stream /ecs/web/ecs/atlas/t1 does not exist',
    });
    expect(logs.inputs).toHaveLength(4);
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect(io.text('info').join('\n')).toContain('Its log could not be read: log stream');
  });

  it('does not retry a log it may not read', async () => {
    const denied = wrapAwsError(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
      {
        operation: 'logs:GetLogEvents',
        target: 'log stream x',
      },
    );
    const logs = logsWith([denied]);
    const ecs = scriptedEcs(() => ({ stopped: [migrationStopped('t1')] }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logs.api, io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(logs.inputs).toHaveLength(1);
    expect(outcome).toMatchObject({
      kind: 'migration',
      logProblem: expect.stringContaining('allow logs:GetLogEvents'),
    });
  });

  it('shows the last lines when the log holds no Error: line', async () => {
    const logs = logsWith([['starting', 'killed']]);
    const ecs = scriptedEcs(() => ({ stopped: [migrationStopped('t1', 137)] }));
    const io = recordingIO();
    await watchDeployment(request(), { ecs: ecs.api, logs: logs.api, io, ...fakeClock() }, OPTIONS);
    expect(io.text('info')).toContain(
      'Migration failed: container "atlas" exited with code 137 in task t1\nNo "Error:" line in its log; its last lines:\nstarting\nkilled',
    );
  });

  it('says why there is no log to read for a container without awslogs', async () => {
    const ecs = scriptedEcs(() => ({ stopped: [migrationStopped('t1')] }));
    const outcome = await watchDeployment(
      request({
        registeredTaskDefinition: {
          containerDefinitions: [{ name: 'atlas', logConfiguration: { logDriver: 'awsfirelens' } }],
        },
      }),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      kind: 'migration',
      logStream: undefined,
      logProblem: expect.stringContaining('awsfirelens, not awslogs'),
    });
  });

  it("reads the log in the container's own awslogs-region", async () => {
    const regions: string[] = [];
    const logs = logsWith([[ATLAS_ERROR_LINE]]);
    const ecs = scriptedEcs(() => ({ stopped: [migrationStopped('t1')] }));
    const outcome = await watchDeployment(
      request({
        registeredTaskDefinition: {
          containerDefinitions: [
            {
              name: 'atlas',
              logConfiguration: {
                logDriver: 'awslogs',
                options: { ...awslogs.options, 'awslogs-region': 'eu-west-1' },
              },
            },
          ],
        },
      }),
      {
        ecs: ecs.api,
        logs: logsApi(),
        logsInRegion: (region) => {
          regions.push(region);
          return logs.api;
        },
        io: recordingIO(),
        ...fakeClock(),
      },
      OPTIONS,
    );
    expect(regions).toEqual(['eu-west-1']);
    expect(outcome).toMatchObject({
      errorLines: [ATLAS_ERROR_LINE],
      logStream: { region: 'eu-west-1' },
    });
  });

  it('waits for a stopping task to be STOPPED before reading its exit codes', async () => {
    const stopping = { ...migrationStopped('t1'), lastStatus: 'DEPROVISIONING', containers: [] };
    const ecs = scriptedEcs((poll) => ({
      stopped: [poll < 3 ? stopping : migrationStopped('t1')],
    }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsWith([[ATLAS_ERROR_LINE]]).api, io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ kind: 'migration', polls: 3 });
    expect(ecs.describedTasks).toEqual([[taskArn('t1')], [taskArn('t1')], [taskArn('t1')]]);
  });

  it('decides on a failed migration container while its task is still stopping', async () => {
    const stopping = { ...migrationStopped('t1'), lastStatus: 'DEPROVISIONING' };
    const ecs = scriptedEcs(() => ({ stopped: [stopping] }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsWith([[ATLAS_ERROR_LINE]]).api, io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ kind: 'migration', polls: 1, exitCode: 1 });
  });

  it('puts the migration first when several tasks stopped at once', async () => {
    const pull = stoppedTask('t0', { stoppedReason: 'CannotPullContainerError: nope' });
    const ecs = scriptedEcs(() => ({ stopped: [pull, migrationStopped('t1')] }));
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsWith([[ATLAS_ERROR_LINE]]).api, io, ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ kind: 'migration', taskArn: taskArn('t1') });
    expect(outcome.stoppedTasks.map((t) => t.kind)).toEqual(['image-pull', 'migration-failed']);
    expect(io.text('warning')).toEqual([
      `Task t0 of deployment ${DEPLOYMENT} stopped: an image could not be pulled: CannotPullContainerError: nope`,
    ]);
  });
});

describe('other stopped tasks', () => {
  it('reports an app crash after a good migration once, and keeps watching', async () => {
    const crash = stoppedTask('t1', {
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'atlas', exitCode: 0 },
        { name: 'web', exitCode: 1 },
      ],
    });
    const ecs = scriptedEcs((poll) =>
      poll < 3
        ? { stopped: [crash] }
        : { stopped: [crash], deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })] },
    );
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ status: 'succeeded', polls: 3 });
    expect(outcome.stoppedTasks).toMatchObject([{ kind: 'app-exit', migrationExitCode: 0 }]);
    expect(io.text('warning')).toEqual([
      `Task t1 of deployment ${DEPLOYMENT} stopped: container "web" (exit code 1) exited after the migration succeeded`,
    ]);
    expect(ecs.describedTasks).toEqual([[taskArn('t1')]]);
  });

  it('logs a scale-in as information only', async () => {
    const scaled = stoppedTask('t1', {
      stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/3)',
    });
    const ecs = scriptedEcs((poll) =>
      poll < 2
        ? { stopped: [scaled] }
        : {
            stopped: [scaled],
            deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })],
          },
    );
    const io = recordingIO();
    await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(io.text('warning')).toEqual([]);
    expect(io.text('info')).toContain(
      `Task t1 of deployment ${DEPLOYMENT} stopped: Scaling activity initiated by (deployment ecs-svc/3)`,
    );
  });

  it('reads every page of stopped tasks and describes them 100 at a time', async () => {
    const many = Array.from({ length: 150 }, (_, i) =>
      stoppedTask(`h${i}`, { stoppedReason: 'Task failed ELB health checks in (target-group x)' }),
    );
    const pages: unknown[] = [];
    const described: number[] = [];
    const api = ecsApi({
      describeServices: async () => ({
        services: [
          {
            desiredCount: 1,
            runningCount: 1,
            deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })],
          },
        ],
      }),
      listTasks: async (input) => {
        pages.push(input.nextToken);
        return input.nextToken
          ? { taskArns: many.slice(100).map((t) => t.taskArn!) }
          : { taskArns: many.slice(0, 100).map((t) => t.taskArn!), nextToken: 'p2' };
      },
      describeTasks: async (input) => {
        described.push(input.tasks!.length);
        return { tasks: many.filter((t) => input.tasks!.includes(t.taskArn!)) };
      },
    });
    const outcome = await watchDeployment(
      request(),
      { ecs: api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(pages).toEqual([undefined, 'p2']);
    expect(described).toEqual([100, 50]);
    expect(outcome.stoppedTasks).toHaveLength(150);
  });
});

describe('a rollout that fails', () => {
  it('fails on rolloutState FAILED, with its reason', async () => {
    const ecs = scriptedEcs((poll) =>
      poll < 2
        ? {}
        : {
            deployments: [
              ours({
                rolloutState: 'FAILED',
                rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
              }),
              old,
            ],
          },
    );
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'rollout',
      cause: 'failed',
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      polls: 2,
    });
    expect(io.text('error')).toEqual([]);
    expect(io.text('info')).toContain(
      `Deployment ${DEPLOYMENT} failed: ECS deployment circuit breaker: tasks failed to start.`,
    );
  });

  it('recognises the circuit breaker rollback: a newer PRIMARY with the old task definition', async () => {
    const back: Deployment = {
      id: 'ecs-svc/3',
      status: 'PRIMARY',
      taskDefinition: OLD,
      rolloutState: 'IN_PROGRESS',
    };
    const failed = event(
      `(service web) (deployment ${DEPLOYMENT}) deployment failed: tasks failed to start.`,
      40,
    );
    const ecs = scriptedEcs((poll) =>
      poll < 3
        ? {}
        : {
            events: [failed],
            deployments: [back, ours({ status: 'ACTIVE', rolloutState: 'IN_PROGRESS' }), old],
          },
    );
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      kind: 'rollout',
      cause: 'rolled-back',
      reason: failed.message,
    });
  });

  it('recognises a rollback from its event before the deployments show it', async () => {
    const rolling = event('(service web) rolling back to deployment ecs-svc/1.', 40);
    const ecs = scriptedEcs((poll) => (poll < 2 ? {} : { events: [rolling] }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      kind: 'rollout',
      cause: 'rolled-back',
      reason: 'the deployment failed',
    });
  });

  it('recognises a FAILED rollout that ECS rolled back', async () => {
    const back: Deployment = { id: 'ecs-svc/3', status: 'PRIMARY', taskDefinition: OLD };
    const ecs = scriptedEcs(() => ({
      deployments: [
        back,
        ours({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'r' }),
      ],
    }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      cause: 'rolled-back',
      reason: 'r',
    });
  });

  it('notices another deployment that replaced this one', async () => {
    const other: Deployment = { id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: 'arn:other:1' };
    const ecs = scriptedEcs(() => ({ deployments: [other, ours({ status: 'ACTIVE' })] }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      cause: 'superseded',
      reason: `deployment ${DEPLOYMENT} was replaced by deployment ecs-svc/9 (arn:other:1), started by someone else`,
    });
  });

  it('tells, for a replaced deployment, whether its running tasks had migrated', async () => {
    const other: Deployment = { id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: 'arn:other:1' };
    const ecs = scriptedEcs(() => ({ deployments: [other, ours({ status: 'ACTIVE' })] }));
    const running: Task = {
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/run1',
      lastStatus: 'RUNNING',
      containers: [
        { name: 'atlas', lastStatus: 'STOPPED', exitCode: 0 },
        { name: 'app', lastStatus: 'RUNNING' },
      ],
    };
    ecs.api.listTasks = async (input) => ({
      taskArns: input.desiredStatus === 'RUNNING' ? [running.taskArn!] : [],
    });
    ecs.api.describeTasks = async () => ({ tasks: [running] });
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ cause: 'superseded', tasksMigrated: 1 });
    expect(io.text('info')).toContain(
      `Before it was replaced, the migration container "atlas" had exited 0 in 1 task(s) of deployment ${DEPLOYMENT}`,
    );
  });

  it("counts a replaced deployment's task drained between the poll's stopped-task look and this one", async () => {
    const other: Deployment = { id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: 'arn:other:1' };
    const ecs = scriptedEcs(() => ({ deployments: [other, ours({ status: 'ACTIVE' })] }));
    const drained: Task = {
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/run1',
      lastStatus: 'STOPPED',
      containers: [
        { name: 'atlas', lastStatus: 'STOPPED', exitCode: 0 },
        { name: 'app', lastStatus: 'STOPPED', exitCode: 0 },
      ],
    };
    // The poll's own look at the stopped tasks comes first and sees none; the task is drained
    // right after it, so it is no longer RUNNING when the replaced deployment is looked at.
    let stoppedLooks = 0;
    ecs.api.listTasks = async (input) => {
      if (input.desiredStatus === 'RUNNING') return { taskArns: [] };
      return { taskArns: stoppedLooks++ === 0 ? [] : [drained.taskArn!] };
    };
    ecs.api.describeTasks = async () => ({ tasks: [drained] });
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    // The late look (a replaced deployment's tasks are drained) reports it among the stopped ones.
    expect(outcome).toMatchObject({ cause: 'superseded', tasksMigrated: 1 });
    expect(outcome.stoppedTasks.map((t) => [t.taskArn, t.migrationExitCode])).toEqual([
      [drained.taskArn, 0],
    ]);
    expect(io.text('info')).toContain(
      `Before it was replaced, the migration container "atlas" had exited 0 in 1 task(s) of deployment ${DEPLOYMENT}`,
    );
  });

  it('notices a deployment that vanished, and a service that is gone', async () => {
    const vanished = scriptedEcs(() => ({ deployments: [] }));
    expect(
      await watchDeployment(
        request(),
        { ecs: vanished.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
        OPTIONS,
      ),
    ).toMatchObject({
      cause: 'superseded',
      reason: `deployment ${DEPLOYMENT} is no longer listed by the service`,
    });
    const gone = scriptedEcs(() => ({ gone: true }));
    expect(
      await watchDeployment(
        request(),
        { ecs: gone.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
        OPTIONS,
      ),
    ).toMatchObject({ kind: 'rollout', reason: 'the service is gone (DescribeServices: MISSING)' });
  });
});

describe('the timeout', () => {
  it('ends the wait with the last events, after a final poll at the deadline', async () => {
    const events = Array.from({ length: 12 }, (_, i) => event(`event ${i + 1}`, 10 + i));
    const ecs = scriptedEcs((poll) => ({ events: events.slice(0, poll * 3) }));
    const clock = fakeClock();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...clock },
      { pollIntervalMs: 15_000, timeoutMs: 50_000 },
    );
    expect(clock.sleeps).toEqual([15_000, 15_000, 15_000, 5_000]);
    expect(outcome).toMatchObject({ status: 'timeout', polls: 5, rolloutState: 'IN_PROGRESS' });
    expect(outcome.status === 'timeout' && outcome.lastEvents).toEqual(
      events.slice(2).map((e) => `${e.createdAt!.toISOString()} ${e.message}`),
    );
  });

  it("falls back to the service's latest events when none were new", async () => {
    const stale = event('stale', -100);
    const ecs = scriptedEcs(() => ({ events: [stale] }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      { pollIntervalMs: 10, timeoutMs: 10 },
    );
    expect(outcome).toMatchObject({
      status: 'timeout',
      lastEvents: [`${stale.createdAt!.toISOString()} stale`],
    });
  });
});

describe('poll failures', () => {
  it('rides out transient failures of a poll', async () => {
    const ecs = scriptedEcs((poll) =>
      poll === 1 || poll === 2
        ? { error: transient() }
        : { deployments: [ours({ runningCount: 1, rolloutState: 'COMPLETED' })] },
    );
    const io = recordingIO();
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io, ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ status: 'succeeded', polls: 3 });
    expect(io.text('warning')).toHaveLength(2);
    expect(io.text('warning')[0]).toContain('Poll 1 failed');
  });

  it('stops watching after too many transient failures in a row, the outcome unknown', async () => {
    const ecs = scriptedEcs(() => ({ error: transient() }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome).toMatchObject({ status: 'timeout', polls: 3 });
    expect(outcome.status === 'timeout' && outcome.stoppedWatching).toMatch(
      /^poll 3 failed: .*Rate exceeded/,
    );
    expect(ecs.polls()).toBe(3);
  });

  it('stops watching at once on anything else', async () => {
    const denied = wrapAwsError(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
      {
        operation: 'ecs:DescribeServices',
        target: 'x',
      },
    );
    const ecs = scriptedEcs(() => ({ error: denied }));
    const outcome = await watchDeployment(
      request(),
      { ecs: ecs.api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
      OPTIONS,
    );
    expect(outcome.status === 'timeout' && outcome.stoppedWatching).toContain('denied');
    expect(ecs.polls()).toBe(1);
  });
});

it('takes its defaults from the settings', () => {
  expect(watchOptionsFromSettings({ waitTimeoutMinutes: 30, pollIntervalSeconds: 15 })).toEqual({
    pollIntervalMs: 15_000,
    timeoutMs: 1_800_000,
  });
  expect(
    watchOptionsFromSettings(
      { waitTimeoutMinutes: 5, pollIntervalSeconds: 15 },
      { pollIntervalMs: 5 },
    ),
  ).toEqual({
    pollIntervalMs: 5,
    timeoutMs: 300_000,
  });
});

describe('through the service-deployment API', () => {
  const SD = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/ours';
  const OTHER_SD = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/theirs';
  const theirs: Deployment = { ...ours(), id: 'ecs-svc/3', taskDefinition: `${NEW}9` };

  it('re-reads the service when its deployment says STOPPED: a replacement between the two reads is a replacement, not a failure', async () => {
    // Poll 1: in progress. Poll 2: DescribeServices still shows ours current, then another run's
    // UpdateService lands, so DescribeServiceDeployments says STOPPED; the fresh read shows theirs.
    const script = (poll: number): PollState =>
      poll <= 2
        ? { service: { currentServiceDeployment: SD } }
        : {
            deployments: [theirs, { ...ours(), status: 'ACTIVE' }],
            service: { currentServiceDeployment: OTHER_SD },
          };
    const { api, polls } = scriptedEcs(script);
    const described: number[] = [];
    const withDeployments = {
      ...api,
      describeServiceDeployments: async () => {
        described.push(polls());
        return {
          serviceDeployments: [
            {
              serviceDeploymentArn: SD,
              status: polls() >= 2 ? ('STOPPED' as const) : ('IN_PROGRESS' as const),
              statusReason:
                'Service deployment stopped because a newer service deployment started.',
            },
          ],
        };
      },
    };
    const clock = fakeClock(T0);
    const outcome = await watchDeployment(
      request({ serviceDeploymentArn: SD }),
      {
        ecs: withDeployments,
        logs: logsApi(),
        io: recordingIO(),
        sleep: clock.sleep,
        now: clock.now,
      },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'rollout',
      cause: 'superseded',
      reason: `deployment ${DEPLOYMENT} was replaced by deployment ecs-svc/3 (${NEW}9), started by someone else`,
    });
    // Two polls, and the one extra DescribeServices that settled the second.
    expect(polls()).toBe(3);
    expect(described).toEqual([1, 2]);
  });

  it('a STOPPED deployment the service still names current is a failure (circuit breaker without rollback)', async () => {
    const { api } = scriptedEcs(() => ({
      deployments: [
        ours({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
        old,
      ],
      service: { currentServiceDeployment: SD },
    }));
    const clock = fakeClock(T0);
    const outcome = await watchDeployment(
      request({ serviceDeploymentArn: SD }),
      {
        ecs: {
          ...api,
          describeServiceDeployments: async () => ({
            serviceDeployments: [{ serviceDeploymentArn: SD, status: 'STOPPED' as const }],
          }),
        },
        logs: logsApi(),
        io: recordingIO(),
        sleep: clock.sleep,
        now: clock.now,
      },
      OPTIONS,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      kind: 'rollout',
      cause: 'failed',
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
  });
});
