// Why a task of the deployment stopped, in words a user can act on. Pure: DescribeTasks data in.

/** The parts of DescribeTasks' Task this reads. */
export interface TaskFacts {
  readonly taskArn?: string;
  readonly lastStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly stoppedAt?: Date;
  readonly containers?: readonly ContainerFacts[];
}

export interface ContainerFacts {
  readonly name?: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly lastStatus?: string;
}

export type StoppedTaskKind =
  /** The migration container exited non-zero: ECS then stops the whole task. */
  | 'migration-failed'
  /** An image (the migration's or an app's) could not be pulled. */
  | 'image-pull'
  /** ECS could not set the task up: secrets, registry auth, network (ResourceInitializationError). */
  | 'task-initialization'
  /** An app container exited non-zero after the migration succeeded. */
  | 'app-exit'
  | 'elb-health-check'
  | 'container-health-check'
  /** An essential container exited (code 0, or no migration container to blame). */
  | 'essential-exit'
  /** The scheduler scaled the task in (a rollback or a newer deployment). */
  | 'scaled-in'
  | 'other';

export interface StoppedTaskReport {
  readonly taskArn: string;
  readonly kind: StoppedTaskKind;
  /** One sentence: what stopped the task. */
  readonly description: string;
  readonly stoppedReason: string | undefined;
  readonly stopCode: string | undefined;
  /** The migration container's exit code; undefined when it never ran (or is not in the task). */
  readonly migrationExitCode: number | undefined;
  readonly containers: readonly ContainerFacts[];
}

/** Exit code of a container that ECS stopped with SIGTERM (128 + 15). */
export const SIGTERM_EXIT_CODE = 143;

function quote(name: string | undefined): string {
  return `"${name ?? '?'}"`;
}

function describeContainer(container: ContainerFacts): string {
  const parts: string[] = [];
  if (container.exitCode !== undefined) parts.push(`exit code ${container.exitCode}`);
  if (container.reason) parts.push(container.reason);
  return `${quote(container.name)}${parts.length > 0 ? ` (${parts.join(': ')})` : ''}`;
}

/** True once ECS has finished stopping the task, so exit codes and reasons are final. */
export function isFullyStopped(task: TaskFacts): boolean {
  return task.lastStatus === 'STOPPED';
}

/** The migration container has exited with a failure: final even while the task is stopping. */
export function migrationExitedNonZero(task: TaskFacts, migrationContainer: string): boolean {
  const migration = task.containers?.find((c) => c.name === migrationContainer);
  return migration?.exitCode !== undefined && migration.exitCode !== 0;
}

export function classifyStoppedTask(
  task: TaskFacts,
  migrationContainer: string,
): StoppedTaskReport {
  const containers = task.containers ?? [];
  const migration = containers.find((c) => c.name === migrationContainer);
  const apps = containers.filter((c) => c.name !== migrationContainer);
  const stoppedReason = task.stoppedReason;
  const report = (kind: StoppedTaskKind, description: string): StoppedTaskReport => ({
    taskArn: task.taskArn ?? '',
    kind,
    description,
    stoppedReason,
    stopCode: task.stopCode,
    migrationExitCode: migration?.exitCode,
    containers,
  });
  const texts = [stoppedReason ?? '', ...containers.map((c) => c.reason ?? '')];
  const mentioning = (pattern: RegExp): string | undefined => texts.find((t) => pattern.test(t));

  if (migration && migrationExitedNonZero(task, migrationContainer)) {
    return report(
      'migration-failed',
      `the migration container ${quote(migrationContainer)} exited with code ${migration.exitCode}`,
    );
  }
  const pull = mentioning(/CannotPullContainerError|pull image manifest|failed to resolve ref/i);
  if (pull) return report('image-pull', `an image could not be pulled: ${pull}`);
  const init = mentioning(/ResourceInitializationError/);
  if (init) return report('task-initialization', `ECS could not prepare the task: ${init}`);
  if (stoppedReason && /failed ELB health checks/i.test(stoppedReason)) {
    return report('elb-health-check', stoppedReason);
  }
  if (stoppedReason && /failed container health checks/i.test(stoppedReason)) {
    return report('container-health-check', stoppedReason);
  }
  const crashed = apps.filter(
    (c) => c.exitCode !== undefined && c.exitCode !== 0 && c.exitCode !== SIGTERM_EXIT_CODE,
  );
  if (crashed.length > 0 && (migration === undefined || migration.exitCode === 0)) {
    const after = migration ? ' after the migration succeeded' : '';
    return report(
      'app-exit',
      `${crashed.length === 1 ? 'container' : 'containers'} ${crashed.map(describeContainer).join(', ')} exited${after}`,
    );
  }
  if (stoppedReason && /Essential container in task exited/i.test(stoppedReason)) {
    const exited = apps.filter((c) => c.exitCode !== undefined);
    return report(
      'essential-exit',
      exited.length > 0
        ? `an essential container exited: ${exited.map(describeContainer).join(', ')}`
        : stoppedReason,
    );
  }
  if (stoppedReason && /Scaling activity initiated by/i.test(stoppedReason)) {
    return report('scaled-in', stoppedReason);
  }
  return report('other', stoppedReason ?? `stopped (${task.stopCode ?? 'no reason given'})`);
}
