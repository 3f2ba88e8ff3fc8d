// Which task's Atlas report counts in sidecar mode. Every task of the new deployment runs the
// migration container; the one that took Atlas's lock first applied the files, and the others
// found nothing pending once they got the lock. So the containers that exited 0 are read one at
// a time, earliest task first, until a report applied (or failed on) a file, or every one of them
// said nothing was pending: usually one GetLogEvents, at most MAX_TASKS_READ. A log without a
// report ends the search: the other tasks ran the same command.
import type { Task } from '@aws-sdk/client-ecs';
import { migratedTasks } from './migrated-tasks';
import { errorMessage } from '../errors';
import type { EcsApi } from '../aws/api';
import { parseAtlasReports, type AtlasReport } from '../atlas/report';
import type { ContainersWithLogs } from './log-stream';
import {
  readMigrationLog,
  type LogStreamRef,
  type MigrationLogDeps,
  type MigrationLogOptions,
} from './migration-log';

/** Logs read at most, one per task, before settling for what was found. */
export const MAX_TASKS_READ = 5;

/** Atlas's report(s) of one migration container's run, and where they were read. */
export interface MigrationRead {
  /** One per target database (an env with for_each has several); empty when none was found. */
  readonly reports: readonly AtlasReport[];
  /** The task whose log they came from. */
  readonly taskArn?: string;
  readonly logStream?: LogStreamRef;
  /** Logs read to find them. */
  readonly tasksRead: number;
  /** Why no report could be read, when none could. */
  readonly problem?: string;
}

export interface AppliedReportRequest {
  readonly cluster: string;
  readonly deploymentId: string;
  readonly containerName: string;
  readonly taskDefinition: ContainersWithLogs;
}

export interface AppliedReportDeps extends MigrationLogDeps {
  readonly ecs: Pick<EcsApi, 'listTasks' | 'describeTasks'>;
}

/** A report that did something: applied a file, or failed on one. */
export function didWork(reports: readonly AtlasReport[]): boolean {
  return reports.some((r) => r.applied.length > 0 || r.error !== undefined);
}

/** Reports read from a log's lines, with where they came from. */
export function migrationRead(
  lines: readonly string[],
  where: { taskArn: string; logStream: LogStreamRef | undefined; problem: string | undefined },
): MigrationRead {
  const reports = parseAtlasReports(lines);
  return {
    reports,
    taskArn: where.taskArn,
    ...(where.logStream ? { logStream: where.logStream } : {}),
    tasksRead: 1,
    ...(reports.length === 0
      ? { problem: where.problem ?? 'the log holds no Atlas JSON report' }
      : {}),
  };
}

/**
 * The report of the deployment's task that applied the migration. Never rejects: an AWS error
 * ends in `problem`, since the deployment's outcome is already known and must still be reported.
 */
export async function readAppliedReport(
  request: AppliedReportRequest,
  deps: AppliedReportDeps,
  options: MigrationLogOptions,
): Promise<MigrationRead> {
  let tasks: Task[];
  try {
    tasks = await migratedTasks(deps.ecs, request);
  } catch (error) {
    return {
      reports: [],
      tasksRead: 0,
      problem: `could not list the deployment's tasks: ${errorMessage(error)}`,
    };
  }
  if (tasks.length === 0) {
    return {
      reports: [],
      tasksRead: 0,
      problem: `no task of deployment ${request.deploymentId} has a "${request.containerName}" container that exited 0`,
    };
  }
  let first: MigrationRead | undefined;
  let read = 0;
  for (const task of tasks.slice(0, MAX_TASKS_READ)) {
    read++;
    const log = await readMigrationLog(
      {
        taskDefinition: request.taskDefinition,
        containerName: request.containerName,
        taskArn: task.taskArn!,
      },
      deps,
      options,
    );
    const found = migrationRead(log.lines, {
      taskArn: task.taskArn!,
      logStream: log.logStream,
      problem: log.problem,
    });
    if (didWork(found.reports)) return { ...found, tasksRead: read };
    first ??= found;
    // A log without a report (text output, a stream not written yet): the others will not differ.
    if (found.reports.length === 0) break;
  }
  return { ...first!, tasksRead: read };
}
