// The migration container's log, as both the watcher and the run-task wait read it: the stream's
// name from awslogs, retries while it is missing or empty, no retry on other errors, the tail.
import type { GetLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { LogsApi } from '../../src/aws/api';
import { wrapAwsError } from '../../src/aws/errors';
import {
  DEFAULT_LOG_RETRIES,
  DEFAULT_LOG_RETRY_DELAY_MS,
  readMigrationLog,
  type MigrationLogTarget,
} from '../../src/deploy/migration-log';
import { fakeClock } from './fakes';

const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
const STREAM = 'ecs/atlas/0123456789abcdef0123456789abcdef';

const target = (fields: Partial<MigrationLogTarget> = {}): MigrationLogTarget => ({
  taskDefinition: {
    containerDefinitions: [
      {
        name: 'atlas',
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'ecs' },
        },
      },
    ],
  },
  containerName: 'atlas',
  taskArn: TASK_ARN,
  ...fields,
});

const awsError = (name: string, message: string) =>
  wrapAwsError(Object.assign(new Error(message), { name }), {
    operation: 'logs:GetLogEvents',
    target: 'x',
  });

/** Answers in turn: lines, or an error to throw. */
function logs(...answers: (string[] | Error)[]): {
  api: LogsApi;
  inputs: GetLogEventsCommandInput[];
} {
  const inputs: GetLogEventsCommandInput[] = [];
  const api: LogsApi = {
    getLogEvents: async (input) => {
      inputs.push(input);
      const answer = answers[Math.min(inputs.length, answers.length) - 1]!;
      if (answer instanceof Error) throw answer;
      return { events: answer.map((message, i) => ({ timestamp: i, message })) };
    },
  };
  return { api, inputs };
}

it('reads the end of the stream awslogs names after the task, and keeps its tail', async () => {
  const clock = fakeClock();
  const { api, inputs } = logs(['one', 'two', 'three']);
  const log = await readMigrationLog(
    target(),
    { logs: api, sleep: clock.sleep },
    {
      logTailLines: 2,
    },
  );
  expect(log).toEqual({
    lines: ['one', 'two', 'three'],
    tail: ['two', 'three'],
    logStream: { group: '/ecs/web', stream: STREAM },
    problem: undefined,
  });
  expect(inputs).toEqual([
    { logGroupName: '/ecs/web', logStreamName: STREAM, startFromHead: false, limit: 200 },
  ]);
  expect(clock.sleeps).toEqual([]);
});

it('retries while the stream does not exist yet or is empty, then says which', async () => {
  const clock = fakeClock();
  const missing = logs(awsError('ResourceNotFoundException', 'no stream'), [], ['late']);
  const found = await readMigrationLog(target(), { logs: missing.api, sleep: clock.sleep }, {});
  expect(found.lines).toEqual(['late']);
  expect(clock.sleeps).toEqual([DEFAULT_LOG_RETRY_DELAY_MS, DEFAULT_LOG_RETRY_DELAY_MS]);

  const never = logs(awsError('ResourceNotFoundException', 'no stream'));
  const gone = await readMigrationLog(
    target(),
    { logs: never.api, sleep: clock.sleep },
    {
      logRetryDelayMs: 5,
    },
  );
  expect(never.inputs).toHaveLength(DEFAULT_LOG_RETRIES + 1);
  expect(gone).toMatchObject({
    lines: [],
    tail: [],
    problem: `log stream /ecs/web/${STREAM} does not exist`,
  });

  const empty = logs([]);
  const nothing = await readMigrationLog(
    target(),
    { logs: empty.api, sleep: clock.sleep },
    {
      logRetries: 1,
    },
  );
  expect(empty.inputs).toHaveLength(2);
  expect(nothing.problem).toBe(`log stream /ecs/web/${STREAM} is empty`);
});

it('does not retry AccessDenied, and caps the retries at maxRetries', async () => {
  const clock = fakeClock();
  const denied = logs(awsError('AccessDeniedException', 'denied'));
  const log = await readMigrationLog(target(), { logs: denied.api, sleep: clock.sleep }, {});
  expect(denied.inputs).toHaveLength(1);
  expect(log.problem).toMatch(/denied/);
  expect(log.logStream).toEqual({ group: '/ecs/web', stream: STREAM });

  const empty = logs([]);
  await readMigrationLog(
    target({ maxRetries: 1 }),
    { logs: empty.api, sleep: clock.sleep },
    {
      logRetries: 5,
    },
  );
  expect(empty.inputs).toHaveLength(2);
});

it("reads another region's CloudWatch Logs for an awslogs-region of its own", async () => {
  const home = logs(['home']);
  const away = logs(['away']);
  const regions: string[] = [];
  const td = target().taskDefinition;
  const log = await readMigrationLog(
    {
      ...target(),
      taskDefinition: {
        containerDefinitions: td.containerDefinitions!.map((c) => ({
          ...c,
          logConfiguration: {
            logDriver: 'awslogs',
            options: { ...c.logConfiguration!.options, 'awslogs-region': 'eu-west-1' },
          },
        })),
      },
    },
    {
      logs: home.api,
      logsInRegion: (region) => (regions.push(region), away.api),
      sleep: fakeClock().sleep,
    },
    {},
  );
  expect(log.lines).toEqual(['away']);
  expect(log.logStream).toEqual({ group: '/ecs/web', stream: STREAM, region: 'eu-west-1' });
  expect(regions).toEqual(['eu-west-1']);
  expect(home.inputs).toEqual([]);
});

it('reads nothing for a container without awslogs', async () => {
  const log = await readMigrationLog(
    target({ taskDefinition: { containerDefinitions: [{ name: 'atlas' }] } }),
    { logs: logs().api, sleep: fakeClock().sleep },
    {},
  );
  expect(log).toMatchObject({ lines: [], tail: [], logStream: undefined });
  expect(log.problem).toEqual(expect.any(String));
});
