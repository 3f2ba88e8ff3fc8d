// Mode run-task: the migration runs once, in a standalone task (RunTask) placed like the service's
// tasks (same subnets, security groups, public IP setting, launch type or capacity providers,
// platform version). It is polled with DescribeTasks until it has STOPPED, within a time limit, and
// then judged by its one container's exit code; a failure comes with Atlas's `Error:` lines and the
// end of the container's CloudWatch log. This module never touches the service.
import { formatDuration } from '../util/duration';
import { randomUUID } from 'node:crypto';
import type {
  CapacityProviderStrategyItem,
  Failure,
  NetworkConfiguration,
  RunTaskRequest,
  Task,
} from '@aws-sdk/client-ecs';
import { InputError, errorMessage } from '../errors';
import type { ActionIO } from '../report/action-io';
import { POLL_INTERVAL_SECONDS } from '../report/plan';
import type { EcsApi, EcsTaskRunnerApi } from '../aws/api';
import { isTransientAwsError } from '../aws/errors';
import { extractAtlasErrors } from './atlas-log';
import { taskIdOf, type ContainersWithLogs } from './log-stream';
import {
  readMigrationLog,
  type LogStreamRef,
  type MigrationLog,
  type MigrationLogDeps,
} from './migration-log';
import { migrationRead, type MigrationRead } from './applied-report';
import { classifyStoppedTask, type StoppedTaskReport } from './stopped-task';
import { DEFAULT_MAX_CONSECUTIVE_POLL_ERRORS, type WatchOptions } from './watch';

/** The task's startedBy unless the caller gives one: ListTasks can find the action's tasks by it. */
export const DEFAULT_STARTED_BY = 'atlas-ecs-deploy';

/** ECS: up to 128 letters, numbers, hyphens, forward slashes and underscores. */
const STARTED_BY_PATTERN = /^[A-Za-z0-9_/-]{1,128}$/;

/**
 * Where the service's tasks run, as DescribeServices tells it. A Preflight fits; the optional
 * fields are the service's `capacityProviderStrategy` and `platformVersion`.
 */
export interface MigrationTaskPlacement {
  readonly cluster: string;
  readonly networkConfiguration: NetworkConfiguration | undefined;
  readonly launchType: string | undefined;
  /** Wins over launchType (ECS takes one or the other). */
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[] | undefined;
  readonly platformVersion?: string | undefined;
}

/** The registered migration-only task definition. */
export interface MigrationTaskDefinition {
  readonly taskDefinitionArn: string;
  /**
   * Its JSON (registerTaskDefinition's answer, or what was registered): its containers' log
   * configuration, its network mode, and its tags when they are to be propagated.
   */
  readonly taskDefinition: ContainersWithLogs & {
    readonly networkMode?: unknown;
    readonly tags?: unknown;
  };
}

export interface MigrationTaskRequest {
  readonly preflight: MigrationTaskPlacement;
  readonly taskDefinition: MigrationTaskDefinition;
  /** The migration container in that task definition. */
  readonly containerName: string;
  /** Default DEFAULT_STARTED_BY. */
  readonly startedBy?: string;
  /**
   * Copy the task definition's tags onto the task (needs ecs:TagResource). Default: when
   * `taskDefinition.taskDefinition.tags` holds any.
   */
  readonly propagateTags?: boolean;
  /** ECS's own aws:ecs:* tags on the task. Default false. */
  readonly enableEcsManagedTags?: boolean;
  /** RunTask's idempotency token. Default: a random UUID per call. */
  readonly clientToken?: string;
}

/** The watcher's options; timeoutMs counts from RunTask until the task must have stopped. */
export type RunMigrationTaskOptions = WatchOptions;

export interface MigrationTaskDeps extends MigrationLogDeps {
  readonly ecs: Pick<EcsApi, 'describeTasks'> & EcsTaskRunnerApi;
  readonly io: ActionIO;
  /** Milliseconds clock. */
  now(): number;
}

interface OutcomeBase {
  readonly taskDefinitionArn: string;
  /** DescribeTasks polls made. */
  readonly polls: number;
}

export interface MigrationTaskSucceeded extends OutcomeBase {
  readonly status: 'succeeded';
  readonly taskArn: string;
  readonly exitCode: 0;
  /** Atlas's report(s) from the container's log. */
  readonly migration: MigrationRead;
  /** The end of Atlas's output, when the log could be read. */
  readonly logTail: readonly string[];
  readonly logStream: LogStreamRef | undefined;
  readonly logProblem: string | undefined;
}

export interface MigrationTaskFailed extends OutcomeBase {
  readonly status: 'failed';
  /**
   * `migration`: the container exited non-zero (Atlas failed, or was killed). `task`: the task
   * stopped without an exit code for it (it never ran: image pull, secrets, network, …).
   */
  readonly kind: 'migration' | 'task';
  readonly taskArn: string;
  readonly exitCode: number | undefined;
  /** Atlas's report(s) from the container's log (none for an error raised before one). */
  readonly migration: MigrationRead;
  /** Atlas's `Error:` lines from the container's log. */
  readonly errorLines: readonly string[];
  /** The last lines of that log. */
  readonly logTail: readonly string[];
  readonly logStream: LogStreamRef | undefined;
  /** Why the log could not be read, when it could not. */
  readonly logProblem: string | undefined;
  readonly stoppedReason: string | undefined;
  readonly stopCode: string | undefined;
  readonly stoppedTask: StoppedTaskReport;
  /** What the step fails with. */
  readonly message: string;
}

export interface MigrationTaskNotStarted extends OutcomeBase {
  readonly status: 'failed';
  /** RunTask answered `failures` and no task (no capacity, no agent, …). */
  readonly kind: 'not-started';
  readonly failures: readonly Failure[];
  readonly message: string;
}

export interface MigrationTaskTimeout extends OutcomeBase {
  readonly status: 'timeout';
  /** Still running (or still stopping): this module does not stop it. */
  readonly taskArn: string;
  readonly lastStatus: string | undefined;
  readonly message: string;
}

export type MigrationTaskFailure = MigrationTaskFailed | MigrationTaskNotStarted;
export type MigrationTaskOutcome =
  | MigrationTaskSucceeded
  | MigrationTaskFailure
  | MigrationTaskTimeout;

const NOT_UPDATED = 'the service was not updated';

/**
 * RunTask's input, checked: the migration container is in the task definition, an awsvpc task
 * has the service's subnets, startedBy is one ECS accepts. Pure; throws before anything starts.
 */
export function migrationRunTaskInput(request: MigrationTaskRequest): RunTaskRequest {
  const { preflight: placement, taskDefinition, containerName } = request;
  const containers = taskDefinition.taskDefinition.containerDefinitions ?? [];
  if (!containers.some((c) => c.name === containerName)) {
    throw new Error(
      `runMigrationTask: ${taskDefinition.taskDefinitionArn} has no container "${containerName}" (its containers: ${containers.map((c) => JSON.stringify(c.name)).join(', ')})`,
    );
  }
  const startedBy = request.startedBy ?? DEFAULT_STARTED_BY;
  if (!STARTED_BY_PATTERN.test(startedBy)) {
    throw new Error(
      `runMigrationTask: startedBy ${JSON.stringify(startedBy)} is not one ECS accepts (up to 128 letters, numbers, hyphens, forward slashes and underscores)`,
    );
  }
  const awsvpc = placement.networkConfiguration?.awsvpcConfiguration;
  if (
    taskDefinition.taskDefinition.networkMode === 'awsvpc' &&
    (awsvpc?.subnets ?? []).length === 0
  ) {
    throw new InputError(
      'service',
      `has no awsvpc network configuration (subnets) to run the migration task in, and its task definition uses network mode awsvpc`,
      "give the service a network configuration, or use mode 'sidecar'",
    );
  }

  const strategy = placement.capacityProviderStrategy ?? [];
  const propagate = request.propagateTags ?? hasTags(taskDefinition.taskDefinition.tags);
  return {
    cluster: placement.cluster,
    taskDefinition: taskDefinition.taskDefinitionArn,
    count: 1,
    startedBy,
    ...(strategy.length > 0
      ? { capacityProviderStrategy: strategy.map((item) => ({ ...item })) }
      : placement.launchType
        ? { launchType: placement.launchType as RunTaskRequest['launchType'] }
        : {}),
    ...(placement.platformVersion ? { platformVersion: placement.platformVersion } : {}),
    ...(placement.networkConfiguration
      ? { networkConfiguration: copyNetwork(placement.networkConfiguration) }
      : {}),
    ...(propagate ? { propagateTags: 'TASK_DEFINITION' as const } : {}),
    ...(request.enableEcsManagedTags ? { enableECSManagedTags: true } : {}),
    clientToken: request.clientToken ?? randomUUID(),
  };
}

function hasTags(tags: unknown): boolean {
  return Array.isArray(tags) && tags.length > 0;
}

function copyNetwork(network: NetworkConfiguration): NetworkConfiguration {
  const awsvpc = network.awsvpcConfiguration;
  if (!awsvpc) return { ...network };
  return {
    ...network,
    awsvpcConfiguration: {
      ...awsvpc,
      subnets: [...(awsvpc.subnets ?? [])],
      ...(awsvpc.securityGroups ? { securityGroups: [...awsvpc.securityGroups] } : {}),
    },
  };
}

/** One line: where the task runs. */
function describePlacement(input: RunTaskRequest): string {
  const parts: string[] = [];
  if (input.capacityProviderStrategy) {
    parts.push(
      `capacity providers ${input.capacityProviderStrategy.map((s) => s.capacityProvider ?? '?').join(', ')}`,
    );
  } else if (input.launchType) {
    parts.push(input.launchType);
  } else {
    parts.push("the cluster's default capacity provider strategy");
  }
  if (input.platformVersion) parts.push(`platform ${input.platformVersion}`);
  const awsvpc = input.networkConfiguration?.awsvpcConfiguration;
  if (awsvpc) {
    parts.push(`subnets ${(awsvpc.subnets ?? []).join(', ')}`);
    if (awsvpc.securityGroups?.length)
      parts.push(`security groups ${awsvpc.securityGroups.join(', ')}`);
    if (awsvpc.assignPublicIp) parts.push(`public IP ${awsvpc.assignPublicIp}`);
  }
  return parts.join('; ');
}

/**
 * Runs the migration once and waits for it. Never touches the service. Resolves with the outcome
 * for anything ECS or Atlas did; rejects on an AWS call that failed (permissions, a bad parameter)
 * or on a request migrationRunTaskInput rejects.
 */
export async function runMigrationTask(
  request: MigrationTaskRequest,
  deps: MigrationTaskDeps,
  options: RunMigrationTaskOptions,
): Promise<MigrationTaskOutcome> {
  const { io } = deps;
  const input = migrationRunTaskInput(request);
  const interval = options.pollIntervalMs ?? POLL_INTERVAL_SECONDS * 1000;
  const maxErrors = options.maxConsecutivePollErrors ?? DEFAULT_MAX_CONSECUTIVE_POLL_ERRORS;
  const taskDefinitionArn = request.taskDefinition.taskDefinitionArn;
  const deadline = deps.now() + options.timeoutMs;

  io.info(
    `Running the migration in a task of ${taskDefinitionArn} in cluster ${request.preflight.cluster} (${describePlacement(input)}), started by ${input.startedBy}`,
  );
  const answer = await deps.ecs.runTask(input);
  const started = answer.tasks?.[0];
  if (!started?.taskArn) return notStarted(io, taskDefinitionArn, answer.failures ?? []);

  const taskArn = started.taskArn;
  const taskId = taskIdOf(taskArn);
  io.info(
    `Started migration task ${taskId} (${taskArn}); waiting for it to stop: every ${formatDuration(interval)}, for up to ${formatDuration(options.timeoutMs)}`,
  );
  let task: Task = started;
  let lastStatus = task.lastStatus;
  if (lastStatus) io.info(`Migration task ${taskId}: ${lastStatus}`);
  let polls = 0;
  let errors = 0;
  while (task.lastStatus !== 'STOPPED') {
    const left = deadline - deps.now();
    if (left <= 0) return timedOut(io, request, taskDefinitionArn, taskArn, task, polls, options);
    await deps.sleep(Math.min(interval, left));
    polls++;
    try {
      const described = await deps.ecs.describeTasks({
        cluster: request.preflight.cluster,
        tasks: [taskArn],
      });
      errors = 0;
      // Right after RunTask, DescribeTasks may not know the task yet (eventual consistency).
      const found = described.tasks?.find((t) => t.taskArn === taskArn);
      if (found) task = found;
    } catch (error) {
      errors++;
      if (!isTransientAwsError(error) || errors >= maxErrors) {
        io.warning(
          `Stopped waiting for migration task ${taskArn}, which may still be running; ${NOT_UPDATED}`,
        );
        throw error;
      }
      io.warning(
        `Poll ${polls} of migration task ${taskId} failed (${errorMessage(error)}); trying again at the next poll (${errors}/${maxErrors - 1} in a row)`,
      );
    }
    if (task.lastStatus !== lastStatus) {
      lastStatus = task.lastStatus;
      io.info(`Migration task ${taskId}: ${lastStatus ?? 'status unknown'}`);
    }
  }
  return finished(request, deps, options, task, polls);
}

function notStarted(
  io: ActionIO,
  taskDefinitionArn: string,
  failures: readonly Failure[],
): MigrationTaskNotStarted {
  const listed =
    failures.length > 0
      ? failures.map(describeFailure).join('; ')
      : 'RunTask answered with neither a task nor a failure';
  const hints = [...new Set(failures.map((f) => failureHint(f.reason)).filter(isString))];
  const message = `Could not start the migration task (${taskDefinitionArn}): ${listed}; ${NOT_UPDATED}${hints.length > 0 ? `. Fix: ${hints.join('; ')}` : ''}`;
  io.info(message);
  return {
    status: 'failed',
    kind: 'not-started',
    taskDefinitionArn,
    polls: 0,
    failures: failures.map((f) => ({ ...f })),
    message,
  };
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

function describeFailure(failure: Failure): string {
  const reason = failure.reason ?? 'unknown reason';
  const detail = failure.detail ? ` (${failure.detail})` : '';
  const arn = failure.arn ? ` on ${failure.arn}` : '';
  return `${reason}${detail}${arn}`;
}

/** What to do about a RunTask failure reason, for the ones ECS documents. */
export function failureHint(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  const resource = /^RESOURCE:(.+)$/.exec(reason);
  if (resource) {
    return `no container instance of the cluster has the ${resource[1]!.toLowerCase()} the migration task needs free: add capacity to the cluster, or give the migration task less (the task definition's cpu and memory)`;
  }
  if (reason === 'AGENT') {
    return "the ECS agent of the cluster's container instance is disconnected: check the instances (aws ecs list-container-instances)";
  }
  if (reason === 'ATTRIBUTE') {
    return 'no container instance of the cluster has an attribute the task definition requires (a newer ECS agent, the instance type, …): check requiresAttributes and the placement constraints';
  }
  if (reason === 'MISSING') {
    return 'the cluster has no container instance to run the task on: add capacity, or use a capacity provider';
  }
  if (/capacity is unavailable/i.test(reason)) {
    return 'AWS has no capacity of that kind in the subnets right now: run again later, or give the service subnets in more availability zones';
  }
  return undefined;
}

function timedOut(
  io: ActionIO,
  request: MigrationTaskRequest,
  taskDefinitionArn: string,
  taskArn: string,
  task: Task,
  polls: number,
  options: RunMigrationTaskOptions,
): MigrationTaskTimeout {
  const message = `Migration task ${taskIdOf(taskArn)} did not stop within ${formatDuration(options.timeoutMs)} (last status ${task.lastStatus ?? 'unknown'}); ${NOT_UPDATED}. The task keeps running: follow it in the ECS console, or stop it with aws ecs stop-task --cluster ${request.preflight.cluster} --task ${taskArn}`;
  io.info(message);
  return {
    status: 'timeout',
    taskDefinitionArn,
    polls,
    taskArn,
    lastStatus: task.lastStatus,
    message,
  };
}

async function finished(
  request: MigrationTaskRequest,
  deps: MigrationTaskDeps,
  options: RunMigrationTaskOptions,
  task: Task,
  polls: number,
): Promise<MigrationTaskSucceeded | MigrationTaskFailed> {
  const { io } = deps;
  const { containerName } = request;
  const taskDefinitionArn = request.taskDefinition.taskDefinitionArn;
  const taskArn = task.taskArn!;
  const taskId = taskIdOf(taskArn);
  const container = task.containers?.find((c) => c.name === containerName);
  const exitCode = container?.exitCode;

  // A container that never ran has no log worth waiting for; one that ran holds Atlas's report.
  const log: MigrationLog =
    exitCode !== undefined
      ? await readMigrationLog(
          { taskDefinition: request.taskDefinition.taskDefinition, containerName, taskArn },
          deps,
          options,
        )
      : {
          lines: [],
          tail: [],
          logStream: undefined,
          problem: `container "${containerName}" never ran`,
        };
  const { tail } = log;
  const migration = migrationRead(log.lines, {
    taskArn,
    logStream: log.logStream,
    problem: log.problem,
  });

  if (exitCode === 0) {
    io.info(
      `Migration succeeded: container "${containerName}" exited with code 0 in task ${taskId}`,
    );
    if (tail.length > 0) {
      await io.group(
        `Log of ${containerName} in task ${taskId} (last ${tail.length} lines)`,
        async () => io.info(tail.join('\n')),
      );
    } else if (log.problem) {
      io.info(`Its log could not be read: ${log.problem}`);
    }
    return {
      status: 'succeeded',
      taskDefinitionArn,
      polls,
      taskArn,
      exitCode: 0,
      migration,
      logTail: tail,
      logStream: log.logStream,
      logProblem: log.problem,
    };
  }

  const report = classifyStoppedTask(task, containerName);
  const errorLines = extractAtlasErrors(log.lines);
  const stopped = task.stoppedReason ? `\nThe task stopped: ${task.stoppedReason}` : '';
  let message: string;
  if (exitCode !== undefined) {
    const body =
      errorLines.length > 0
        ? errorLines.join('\n')
        : tail.length > 0
          ? `No "Error:" line in its log; its last lines:\n${tail.slice(-10).join('\n')}`
          : `Its log could not be read: ${log.problem ?? 'the stream is empty'}`;
    message = `Migration failed: container "${containerName}" exited with code ${exitCode} in migration task ${taskId}; ${NOT_UPDATED}.\n${body}${stopped}`;
  } else {
    const reason = container?.reason ? ` (container "${containerName}": ${container.reason})` : '';
    message = `Migration task ${taskId} stopped before the migration ran: ${report.description}${reason}; ${NOT_UPDATED}.`;
  }
  // Logged, not annotated: the step's failure message carries the same lines.
  io.info(message);
  if (tail.length > 0) {
    await io.group(
      `Log of ${containerName} in task ${taskId} (last ${tail.length} lines)`,
      async () => io.info(tail.join('\n')),
    );
  }
  return {
    status: 'failed',
    kind: exitCode !== undefined ? 'migration' : 'task',
    taskDefinitionArn,
    polls,
    taskArn,
    exitCode,
    migration,
    errorLines,
    logTail: tail,
    logStream: log.logStream,
    logProblem: log.problem,
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    stoppedTask: report,
    message,
  };
}
