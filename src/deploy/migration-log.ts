// The migration container's CloudWatch log, once its task has stopped: found from the task
// definition's awslogs configuration, read from the end, and retried while the stream does not
// exist yet or holds nothing (the awslogs driver flushes late). Shared by the deployment watcher
// (mode sidecar) and the standalone migration task (mode run-task).
import { errorMessage } from '../errors';
import type { LogsApi } from '../aws/api';
import { isAwsError } from '../aws/errors';
import { DEFAULT_TAIL_LINES, logLines, logTail } from './atlas-log';
import { awslogsLocation, awslogsStreamName, type ContainersWithLogs } from './log-stream';

export const DEFAULT_LOG_RETRIES = 3;
export const DEFAULT_LOG_RETRY_DELAY_MS = 2000;

export interface LogStreamRef {
  readonly group: string;
  readonly stream: string;
  readonly region?: string;
}

export interface MigrationLogOptions {
  /** GetLogEvents retries while the stream does not exist yet or is empty. Default 3. */
  readonly logRetries?: number;
  /** Default 2 s. */
  readonly logRetryDelayMs?: number;
  /** Default DEFAULT_TAIL_LINES. */
  readonly logTailLines?: number;
}

export interface MigrationLogDeps {
  readonly logs: LogsApi;
  /** CloudWatch Logs in another region, for an awslogs-region of its own. */
  readonly logsInRegion?: (region: string) => LogsApi;
  sleep(ms: number): Promise<void>;
}

export interface MigrationLogTarget {
  /** The registered task definition: the container's awslogs configuration. */
  readonly taskDefinition: ContainersWithLogs;
  readonly containerName: string;
  /** The stopped task the container ran in. */
  readonly taskArn: string;
  /** Caps options.logRetries, for a log that is only shown. */
  readonly maxRetries?: number;
}

export interface MigrationLog {
  /** Every line read, as logLines cuts them. */
  readonly lines: string[];
  /** The last options.logTailLines of them. */
  readonly tail: string[];
  readonly logStream: LogStreamRef | undefined;
  /** Why the log could not be read, when it could not. */
  readonly problem: string | undefined;
}

/**
 * The container's log stream and its last events. Never rejects for CloudWatch: a stream that
 * does not exist yet or is empty is read again (options.logRetries times, options.logRetryDelayMs
 * apart); any other error (AccessDenied, …) is not retried. Either ends in `problem`.
 */
export async function readMigrationLog(
  target: MigrationLogTarget,
  deps: MigrationLogDeps,
  options: MigrationLogOptions,
): Promise<MigrationLog> {
  const tailLines = options.logTailLines ?? DEFAULT_TAIL_LINES;
  const lookup = awslogsLocation(target.taskDefinition, target.containerName);
  if (!lookup.found) return { lines: [], tail: [], logStream: undefined, problem: lookup.reason };
  const { location } = lookup;
  const logStream: LogStreamRef = {
    group: location.group,
    stream: awslogsStreamName(location, target.containerName, target.taskArn),
    ...(location.region ? { region: location.region } : {}),
  };
  const configured = options.logRetries ?? DEFAULT_LOG_RETRIES;
  const retries =
    target.maxRetries === undefined ? configured : Math.min(configured, target.maxRetries);
  const read = await readLogStream(deps, logStream, {
    retries,
    delayMs: options.logRetryDelayMs ?? DEFAULT_LOG_RETRY_DELAY_MS,
    limit: Math.max(200, tailLines * 2),
  });
  return { ...read, tail: logTail(read.lines, tailLines), logStream };
}

async function readLogStream(
  deps: MigrationLogDeps,
  stream: LogStreamRef,
  how: { retries: number; delayMs: number; limit: number },
): Promise<{ lines: string[]; problem: string | undefined }> {
  const api = stream.region && deps.logsInRegion ? deps.logsInRegion(stream.region) : deps.logs;
  const name = `log stream ${stream.group}/${stream.stream}`;
  let problem = `${name} is empty`;
  for (let attempt = 0; attempt <= how.retries; attempt++) {
    if (attempt > 0) await deps.sleep(how.delayMs);
    try {
      const answer = await api.getLogEvents({
        logGroupName: stream.group,
        logStreamName: stream.stream,
        startFromHead: false,
        limit: how.limit,
      });
      const lines = logLines((answer.events ?? []).map((e) => e.message ?? ''));
      if (lines.length > 0) return { lines, problem: undefined };
      problem = `${name} is empty`;
    } catch (error) {
      if (!isAwsError(error, 'ResourceNotFoundException')) {
        return { lines: [], problem: errorMessage(error) };
      }
      problem = `${name} does not exist`;
    }
  }
  return { lines: [], problem };
}
