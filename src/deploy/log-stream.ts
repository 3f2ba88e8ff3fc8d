// Where a container's awslogs output goes: `<awslogs-group>`, stream
// `<awslogs-stream-prefix>/<container-name>/<task-id>`. Pure.

export interface AwsLogsLocation {
  readonly group: string;
  readonly streamPrefix: string;
  /** awslogs-region, when the container sets one. */
  readonly region?: string;
}

/** The parts of a task definition this reads; both the SDK's type and the JSON one fit. */
export interface ContainersWithLogs {
  readonly containerDefinitions?: readonly {
    readonly name?: string;
    readonly essential?: boolean;
    readonly logConfiguration?: {
      readonly logDriver?: string;
      readonly options?: Readonly<Record<string, string | undefined>>;
    };
  }[];
}

export type LogsLookup =
  | { readonly found: true; readonly location: AwsLogsLocation }
  | { readonly found: false; readonly reason: string };

export function awslogsLocation(td: ContainersWithLogs, containerName: string): LogsLookup {
  const container = td.containerDefinitions?.find((c) => c.name === containerName);
  if (!container) {
    return { found: false, reason: `the task definition has no container "${containerName}"` };
  }
  const log = container.logConfiguration;
  if (!log) {
    return {
      found: false,
      reason: `container "${containerName}" has no logConfiguration, so its output went nowhere`,
    };
  }
  if (log.logDriver !== 'awslogs') {
    return {
      found: false,
      reason: `container "${containerName}" logs with ${log.logDriver ?? 'an unnamed driver'}, not awslogs; read its output where that driver sends it`,
    };
  }
  const group = log.options?.['awslogs-group'];
  const prefix = log.options?.['awslogs-stream-prefix'];
  if (!group) {
    return { found: false, reason: `container "${containerName}" sets no awslogs-group` };
  }
  if (!prefix) {
    return {
      found: false,
      reason: `container "${containerName}" sets no awslogs-stream-prefix, so its stream is named after the Docker container ID, which ECS does not report`,
    };
  }
  const region = log.options?.['awslogs-region'];
  return {
    found: true,
    location: { group, streamPrefix: prefix, ...(region ? { region } : {}) },
  };
}

/** The task's ID: the last segment of its ARN. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

export function awslogsStreamName(
  location: AwsLogsLocation,
  containerName: string,
  taskArnOrId: string,
): string {
  return `${location.streamPrefix}/${containerName}/${taskIdOf(taskArnOrId)}`;
}
