// Ready-made scenarios: what a new deployment's tasks do, poll after poll.
import type { FakeTask, Scenario, ScenarioContext } from './ecs';
import {
  runMigrationContainer,
  type FakeDatabase,
  type MigrationContainerOptions,
} from '../fake-atlas';

export const ATLAS_ERROR_LINE =
  'Error: sql/migrate: execute: executing statement "ALTER TABLE users ADD COLUMN name text;" from version "20240310170000": pq: column "name" of relation "users" already exists';

/** What `atlas migrate apply` prints when its statement fails. */
export const ATLAS_FAILURE_LOG: readonly string[] = [
  'Migrating to version 20240310170000 from 20240301120000 (1 migrations in total):',
  '',
  '  -- migrating version 20240310170000',
  '    -> ALTER TABLE users ADD COLUMN name text;',
  '    pq: column "name" of relation "users" already exists',
  '',
  '  -------------------------',
  '  -- 14.236ms',
  '  -- 0 migrations ok (1 with errors)',
  '  -- 0 sql statements ok (1 with errors)',
  ATLAS_ERROR_LINE,
];

export const ATLAS_SUCCESS_LOG: readonly string[] = [
  'Migrating to version 20240310170000 from 20240301120000 (1 migrations in total):',
  '  -- migrating version 20240310170000',
  '    -> ALTER TABLE users ADD COLUMN name text;',
  '  -- ok (3.114ms)',
  '  -------------------------',
  '  -- 1 migration',
  '  -- 1 sql statement',
];

const CIRCUIT_BREAKER_REASON = 'tasks failed to start.';

/** What the app prints when it starts against a schema it does not expect, then exits 1. */
export const APP_CRASH_LOG: readonly string[] = [
  'listening on :8080',
  'panic: pq: column "nickname" does not exist',
  'goroutine 1 [running]:',
  'main.main()',
  '\t/app/main.go:42 +0x1d',
];

/** Writes the app's crash log, when its container logs to CloudWatch. */
function writeAppLog(ctx: ScenarioContext, task: FakeTask, app: string): void {
  try {
    ctx.writeLog(task, app, APP_CRASH_LOG);
  } catch {
    // An app container without awslogs leaves no log to read.
  }
}

function appContainers(ctx: ScenarioContext, migration: string): string[] {
  return ctx.taskDefinition.body.containerDefinitions instanceof Array
    ? (ctx.taskDefinition.body.containerDefinitions as { name: string }[])
        .map((c) => c.name)
        .filter((name) => name !== migration)
    : [];
}

/** Tasks start at poll 1; the rollout is COMPLETED at `completeAtPoll`. */
export function succeed(options: { completeAtPoll?: number; migration?: string } = {}): Scenario {
  const completeAt = options.completeAtPoll ?? 2;
  const migration = options.migration ?? 'atlas';
  return (ctx) => {
    if (ctx.poll === 1) {
      for (const task of ctx.startTasks()) {
        ctx.writeLog(task, migration, ATLAS_SUCCESS_LOG);
        const container = task.containers.find((c) => c.name === migration);
        if (container) {
          container.lastStatus = 'STOPPED';
          container.exitCode = 0;
        }
      }
    }
    if (ctx.poll >= completeAt) ctx.complete();
  };
}

export interface MigrationFailsOptions {
  /** The poll at which ECS stops the task (the migration exited). Default 2. */
  stopAtPoll?: number;
  exitCode?: number;
  migration?: string;
  log?: readonly string[];
  /** GetLogEvents answers "stream does not exist" this many times first. */
  logHiddenReads?: number;
  /** The circuit breaker fails the rollout (and rolls back) at this poll; never by default. */
  circuitBreakerAtPoll?: number;
}

/**
 * The migration container exits non-zero: ECS stops the whole task, the app container never
 * started (exit 143, CannotStartContainerError), and the deployment keeps trying new tasks.
 */
export function migrationFails(options: MigrationFailsOptions = {}): Scenario {
  const stopAt = options.stopAtPoll ?? 2;
  const migration = options.migration ?? 'atlas';
  const exitCode = options.exitCode ?? 1;
  return (ctx) => {
    if (ctx.poll === 1) ctx.startTasks();
    if (ctx.poll >= stopAt) {
      for (const task of ctx.liveTasks()) failMigration(ctx, task, migration, exitCode, options);
      if (ctx.poll > stopAt) ctx.startTasks(1);
    }
    if (options.circuitBreakerAtPoll !== undefined && ctx.poll >= options.circuitBreakerAtPoll) {
      ctx.fail(CIRCUIT_BREAKER_REASON, { rollback: true });
    }
  };
}

function failMigration(
  ctx: ScenarioContext,
  task: FakeTask,
  migration: string,
  exitCode: number,
  options: MigrationFailsOptions,
): void {
  ctx.writeLog(task, migration, options.log ?? ATLAS_FAILURE_LOG);
  if (options.logHiddenReads) ctx.delayLog(task, migration, options.logHiddenReads);
  const containers: Record<string, { exitCode?: number; reason?: string }> = {
    [migration]: { exitCode },
  };
  for (const app of appContainers(ctx, migration)) {
    containers[app] = {
      exitCode: 143,
      reason: `CannotStartContainerError: dependency graph: container ${app} of task ${task.id} as dependency did not exit successfully`,
    };
  }
  ctx.stopTask(task, {
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers,
  });
}

/** The migration succeeds, then the app exits 1; the circuit breaker rolls back at `rollbackAtPoll`. */
export function appCrash(
  options: { crashAtPoll?: number; rollbackAtPoll?: number; migration?: string; app?: string } = {},
): Scenario {
  const crashAt = options.crashAtPoll ?? 2;
  const rollbackAt = options.rollbackAtPoll ?? 4;
  const migration = options.migration ?? 'atlas';
  return (ctx) => {
    const start = (): void => {
      for (const task of ctx.startTasks(1)) {
        ctx.writeLog(task, migration, ATLAS_SUCCESS_LOG);
        const container = task.containers.find((c) => c.name === migration)!;
        container.lastStatus = 'STOPPED';
        container.exitCode = 0;
      }
    };
    if (ctx.poll === 1) start();
    if (ctx.poll >= crashAt && ctx.poll < rollbackAt) {
      const app = options.app ?? appContainers(ctx, migration)[0]!;
      for (const task of ctx.liveTasks()) {
        writeAppLog(ctx, task, app);
        ctx.stopTask(task, {
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          containers: { [migration]: { exitCode: 0 }, [app]: { exitCode: 1 } },
        });
      }
      start();
    }
    if (ctx.poll >= rollbackAt) ctx.fail(CIRCUIT_BREAKER_REASON, { rollback: true });
  };
}

/** Tasks fail ELB health checks; the circuit breaker fails the rollout and rolls back. */
export function circuitBreaker(
  options: { failAtPoll?: number; rollback?: boolean } = {},
): Scenario {
  const failAt = options.failAtPoll ?? 3;
  return (ctx) => {
    if (ctx.poll === 1) {
      for (const task of ctx.startTasks()) {
        const container = task.containers.find((c) => c.name === 'atlas');
        if (container) {
          container.lastStatus = 'STOPPED';
          container.exitCode = 0;
        }
      }
    }
    if (ctx.poll === 2) {
      for (const task of ctx.liveTasks()) {
        ctx.stopTask(task, {
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason:
            'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef)',
          containers: {},
        });
      }
    }
    if (ctx.poll >= failAt)
      ctx.fail(CIRCUIT_BREAKER_REASON, { rollback: options.rollback ?? true });
  };
}

/** An image cannot be pulled; nothing else happens (the circuit breaker is slow to count). */
export function imagePullFails(options: { image?: string } = {}): Scenario {
  return (ctx) => {
    if (ctx.poll === 1) ctx.startTasks();
    if (ctx.poll === 2) {
      for (const task of ctx.liveTasks()) {
        ctx.stopTask(task, {
          stopCode: 'TaskFailedToStart',
          stoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${options.image ?? 'example.com/app:missing'}: not found`,
          containers: {},
        });
      }
    }
  };
}

/** Tasks start and the rollout stays IN_PROGRESS forever, with an event now and then. */
export function neverFinishes(): Scenario {
  return (ctx) => {
    if (ctx.poll === 1) ctx.startTasks();
    if (ctx.poll % 3 === 0) {
      ctx.event(
        `(service ${ctx.service.name}) was unable to place a task because no container instance met all of its requirements.`,
      );
    }
  };
}

/**
 * Tasks start at poll 1 and their migration keeps running; once another deployment replaced this
 * one (a second run's UpdateService), the migration exits `exitCode` and ECS stops those tasks.
 * The failure a run only sees after the service has moved on to someone else's deployment.
 */
export function migrationFailsOnceReplaced(
  options: { exitCode?: number; migration?: string } = {},
): Scenario {
  const migration = options.migration ?? 'atlas';
  const scenario = (ctx: ScenarioContext): void => {
    if (ctx.poll === 1) ctx.startTasks();
    if (ctx.deployment.status === 'PRIMARY') return;
    for (const task of ctx.liveTasks()) {
      failMigration(ctx, task, migration, options.exitCode ?? 1, {});
    }
  };
  return Object.assign(scenario, { afterReplaced: true });
}

export interface AtlasScenarioOptions extends MigrationContainerOptions {
  /** The migration container. Default `atlas`. */
  migration?: string;
  /** The rollout is COMPLETED at this poll once every task's migration succeeded. Default 2. */
  completeAtPoll?: number;
  /** The circuit breaker fails the rollout (and rolls back) at this poll; never by default. */
  circuitBreakerAtPoll?: number;
}

/**
 * Atlas itself in the migration container. At poll 1 the deployment's tasks start; each runs the
 * command its task definition gives the migration container (`runAtlas`), in task order, on the
 * shared `db` (so with two tasks the first applies and the second finds nothing pending), and
 * writes what it printed to the container's log. Exit 0: the container is STOPPED with exit code
 * 0 and the rollout completes at `completeAtPoll`. Otherwise the task stops at the next poll as
 * in `migrationFails` (the app containers 143, CannotStartContainerError) and the deployment keeps
 * starting a task a poll from the poll after, each running Atlas again. The project files come
 * from the image (read when the task definition was registered) or `options.project`.
 */
export function atlas(db: FakeDatabase, options: AtlasScenarioOptions = {}): Scenario {
  const completeAt = options.completeAtPoll ?? 2;
  const migration = options.migration ?? 'atlas';
  const failed = new Map<FakeTask, { exitCode: number; poll: number }>();
  const migrate = (ctx: ScenarioContext, tasks: FakeTask[]): void => {
    for (const task of tasks) {
      const run = runMigrationContainer(ctx.taskDefinition, migration, db, ctx.images, options);
      ctx.writeLog(task, migration, run.lines);
      const container = task.containers.find((c) => c.name === migration);
      if (run.exitCode === 0) {
        if (container) {
          container.lastStatus = 'STOPPED';
          container.exitCode = 0;
        }
      } else {
        // The migration container has exited; ECS stops the task at the next poll.
        if (container) {
          container.lastStatus = 'STOPPED';
          container.exitCode = run.exitCode;
        }
        failed.set(task, { exitCode: run.exitCode, poll: ctx.poll });
      }
    }
  };
  const scenario = (ctx: ScenarioContext): void => {
    if (ctx.poll === 1) migrate(ctx, ctx.startTasks());
    for (const task of ctx.liveTasks()) {
      const failure = failed.get(task);
      if (failure && failure.poll < ctx.poll) {
        failMigration(ctx, task, migration, failure.exitCode, { log: [] });
      }
    }
    const healthy = ctx.liveTasks().filter((t) => !failed.has(t));
    if (ctx.poll > 2 && healthy.length < ctx.deployment.desiredCount) {
      migrate(ctx, ctx.startTasks(1));
    }
    if (options.circuitBreakerAtPoll !== undefined && ctx.poll >= options.circuitBreakerAtPoll) {
      ctx.fail(CIRCUIT_BREAKER_REASON, { rollback: true });
      return;
    }
    if (
      ctx.poll >= completeAt &&
      ctx.liveTasks().filter((t) => !failed.has(t)).length >= ctx.deployment.desiredCount
    ) {
      ctx.complete();
    }
  };
  return Object.assign(scenario, { readsImages: true });
}
