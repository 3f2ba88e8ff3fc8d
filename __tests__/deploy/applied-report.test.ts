// Sidecar mode: which task's Atlas report counts, read with as few GetLogEvents as it takes.
import type { DescribeTasksRequest, ListTasksRequest, Task } from '@aws-sdk/client-ecs';
import { readAppliedReport, MAX_TASKS_READ } from '../../src/deploy/applied-report';

const TD = {
  containerDefinitions: [
    {
      name: 'atlas',
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'ecs' },
      },
    },
  ],
};

function report(applied: string[], pending = applied): string {
  return JSON.stringify({
    Driver: 'postgres',
    Dir: 'file://migrations',
    ...(pending.length
      ? { Pending: pending.map((v) => ({ Name: `${v}_x.sql`, Version: v })) }
      : {}),
    ...(applied.length
      ? {
          Applied: applied.map((v) => ({ Name: `${v}_x.sql`, Version: v, Applied: ['SELECT 1;'] })),
        }
      : {}),
    Current: '1',
    Target: applied.at(-1) ?? '1',
    Start: '2024-01-01T00:00:00Z',
    End: '2024-01-01T00:00:01Z',
    ...(applied.length ? {} : { Message: 'No migration files to execute' }),
  });
}

function harness(
  tasks: {
    id: string;
    startedAt: number;
    exitCode?: number;
    desired: 'RUNNING' | 'STOPPED';
    log: string[];
  }[],
) {
  const logReads: string[] = [];
  const listed: ListTasksRequest[] = [];
  const deps = {
    ecs: {
      listTasks: async (input: ListTasksRequest) => {
        listed.push(input);
        return {
          taskArns: tasks
            .filter((t) => t.desired === input.desiredStatus)
            .map((t) => `arn:task/${t.id}`),
        };
      },
      describeTasks: async (input: DescribeTasksRequest) => ({
        tasks: (input.tasks ?? []).map((arn): Task => {
          const t = tasks.find((x) => `arn:task/${x.id}` === arn)!;
          return {
            taskArn: arn,
            startedAt: new Date(t.startedAt),
            containers: [
              { name: 'atlas', ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}) },
            ],
          };
        }),
      }),
    },
    logs: {
      getLogEvents: async (input: { logStreamName?: string }) => {
        logReads.push(input.logStreamName!);
        const id = input.logStreamName!.split('/').at(-1)!;
        return { events: tasks.find((t) => t.id === id)!.log.map((message) => ({ message })) };
      },
    },
    sleep: async () => undefined,
  };
  return { deps, logReads, listed };
}

const request = {
  cluster: 'prod',
  deploymentId: 'ecs-svc/1',
  containerName: 'atlas',
  taskDefinition: TD,
};

describe('readAppliedReport', () => {
  it('reads the earliest task first and stops at the report that applied files', async () => {
    const h = harness([
      { id: 'b', startedAt: 2, exitCode: 0, desired: 'RUNNING', log: [report([])] },
      { id: 'a', startedAt: 1, exitCode: 0, desired: 'RUNNING', log: [report(['2', '3'])] },
    ]);
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(h.logReads).toEqual(['ecs/atlas/a']);
    expect(read.taskArn).toBe('arn:task/a');
    expect(read.tasksRead).toBe(1);
    expect(read.reports[0]!.applied.map((f) => f.version)).toEqual(['2', '3']);
    expect(h.listed.map((l) => [l.startedBy, l.desiredStatus])).toEqual([
      ['ecs-svc/1', 'RUNNING'],
      ['ecs-svc/1', 'STOPPED'],
    ]);
  });

  it('goes on past tasks that found nothing pending, to the one that applied', async () => {
    const h = harness([
      { id: 'a', startedAt: 1, exitCode: 0, desired: 'RUNNING', log: [report([])] },
      { id: 'b', startedAt: 2, exitCode: 0, desired: 'STOPPED', log: [report(['2'])] },
    ]);
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(h.logReads).toEqual(['ecs/atlas/a', 'ecs/atlas/b']);
    expect(read.taskArn).toBe('arn:task/b');
    expect(read.tasksRead).toBe(2);
  });

  it('settles for the first report when every task found nothing pending, reading at most a few', async () => {
    const tasks = Array.from({ length: MAX_TASKS_READ + 3 }, (_, i) => ({
      id: `t${i}`,
      startedAt: i,
      exitCode: 0,
      desired: 'RUNNING' as const,
      log: [report([])],
    }));
    const h = harness(tasks);
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(h.logReads).toHaveLength(MAX_TASKS_READ);
    expect(read.taskArn).toBe('arn:task/t0');
    expect(read.reports[0]!.message).toBe('No migration files to execute');
    expect(read.tasksRead).toBe(MAX_TASKS_READ);
  });

  it('skips tasks whose migration has not exited 0, and says when none has', async () => {
    const h = harness([
      { id: 'a', startedAt: 1, desired: 'RUNNING', log: [] },
      { id: 'b', startedAt: 2, exitCode: 1, desired: 'STOPPED', log: [] },
    ]);
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(h.logReads).toEqual([]);
    expect(read).toEqual({
      reports: [],
      tasksRead: 0,
      problem: 'no task of deployment ecs-svc/1 has a "atlas" container that exited 0',
    });
  });

  it('stops at a log without a report (text output): the other tasks ran the same command', async () => {
    const h = harness([
      {
        id: 'a',
        startedAt: 1,
        exitCode: 0,
        desired: 'RUNNING',
        log: ['No migration files to execute'],
      },
      { id: 'b', startedAt: 2, exitCode: 0, desired: 'RUNNING', log: [report(['2'])] },
    ]);
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(h.logReads).toEqual(['ecs/atlas/a']);
    expect(read.problem).toBe('the log holds no Atlas JSON report');
  });

  it('never rejects: a failed ListTasks becomes the problem', async () => {
    const h = harness([]);
    h.deps.ecs.listTasks = async () => {
      throw new Error('AccessDeniedException: not allowed to ecs:ListTasks');
    };
    const read = await readAppliedReport(request, h.deps as never, {});
    expect(read.problem).toBe(
      "could not list the deployment's tasks: AccessDeniedException: not allowed to ecs:ListTasks",
    );
  });
});
