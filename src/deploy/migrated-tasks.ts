// The tasks of a deployment whose migration container exited 0, running or stopped: what tells
// that the migration ran (a replaced deployment's watch) and where Atlas's report is (sidecar
// mode). Stopped ones count: a newer deployment drains ours as soon as its own tasks are up.
import type { Task } from '@aws-sdk/client-ecs';
import type { EcsApi } from '../aws/api';

/** DescribeTasks takes at most this many tasks. */
export const DESCRIBE_TASKS_BATCH = 100;

export interface MigratedTasksRequest {
  readonly cluster: string;
  readonly deploymentId: string;
  readonly containerName: string;
}

/** Oldest first: the first to start is the one that took Atlas's lock. */
export async function migratedTasks(
  ecs: Pick<EcsApi, 'listTasks' | 'describeTasks'>,
  request: MigratedTasksRequest,
): Promise<Task[]> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    const page = await ecs.listTasks({
      cluster: request.cluster,
      startedBy: request.deploymentId,
      desiredStatus,
    });
    arns.push(...(page.taskArns ?? []));
  }
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_BATCH) {
    const answer = await ecs.describeTasks({
      cluster: request.cluster,
      tasks: arns.slice(i, i + DESCRIBE_TASKS_BATCH),
    });
    tasks.push(...(answer.tasks ?? []));
  }
  const started = (task: Task): number => (task.startedAt ?? task.createdAt)?.getTime() ?? Infinity;
  return tasks
    .filter(
      (task) =>
        task.taskArn &&
        (task.containers ?? []).some((c) => c.name === request.containerName && c.exitCode === 0),
    )
    .sort((a, b) => started(a) - started(b));
}
