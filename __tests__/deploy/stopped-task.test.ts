import {
  classifyStoppedTask,
  isFullyStopped,
  migrationExitedNonZero,
  type TaskFacts,
} from '../../src/deploy/stopped-task';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc';

function task(facts: Partial<TaskFacts>): TaskFacts {
  return { taskArn: TASK, lastStatus: 'STOPPED', ...facts };
}

describe('classifyStoppedTask', () => {
  it('blames the migration when its container exited non-zero, whatever else happened', () => {
    const report = classifyStoppedTask(
      task({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'atlas', exitCode: 1 },
          {
            name: 'web',
            exitCode: 143,
            reason:
              'CannotStartContainerError: dependency graph: container web as dependency did not exit successfully',
          },
        ],
      }),
      'atlas',
    );
    expect(report).toMatchObject({
      kind: 'migration-failed',
      migrationExitCode: 1,
      taskArn: TASK,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
    expect(report.description).toBe('the migration container "atlas" exited with code 1');
  });

  it('uses the migration container given by name', () => {
    const facts = task({ containers: [{ name: 'migrate', exitCode: 2 }, { name: 'atlas' }] });
    expect(classifyStoppedTask(facts, 'migrate').kind).toBe('migration-failed');
    expect(classifyStoppedTask(facts, 'atlas').kind).not.toBe('migration-failed');
  });

  it('reports an image that cannot be pulled (the migration never ran)', () => {
    const report = classifyStoppedTask(
      task({
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
        containers: [{ name: 'atlas' }, { name: 'web' }],
      }),
      'atlas',
    );
    expect(report.kind).toBe('image-pull');
    expect(report.migrationExitCode).toBeUndefined();
    expect(report.description).toContain('CannotPullContainerError');
  });

  it("finds a pull error in a container's reason too", () => {
    const report = classifyStoppedTask(
      task({
        stoppedReason: 'Task failed to start',
        containers: [{ name: 'atlas', reason: 'CannotPullContainerError: denied' }],
      }),
      'atlas',
    );
    expect(report.kind).toBe('image-pull');
    expect(report.description).toContain('denied');
  });

  it('reports a task ECS could not prepare (secrets, registry auth)', () => {
    expect(
      classifyStoppedTask(
        task({
          stoppedReason:
            'ResourceInitializationError: unable to pull secrets or registry auth: AccessDeniedException',
        }),
        'atlas',
      ).kind,
    ).toBe('task-initialization');
  });

  it('reports health check failures with their reason', () => {
    const elb = classifyStoppedTask(
      task({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group arn:…)',
        containers: [
          { name: 'atlas', exitCode: 0 },
          { name: 'web', exitCode: 143 },
        ],
      }),
      'atlas',
    );
    expect(elb).toMatchObject({ kind: 'elb-health-check', migrationExitCode: 0 });
    expect(elb.description).toBe('Task failed ELB health checks in (target-group arn:…)');
    expect(
      classifyStoppedTask(task({ stoppedReason: 'Task failed container health checks' }), 'atlas')
        .kind,
    ).toBe('container-health-check');
  });

  it('reports an app that exits non-zero after a good migration', () => {
    const report = classifyStoppedTask(
      task({
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'atlas', exitCode: 0 },
          { name: 'web', exitCode: 1, reason: 'OutOfMemoryError' },
          { name: 'sidecar', exitCode: 143 },
        ],
      }),
      'atlas',
    );
    expect(report.kind).toBe('app-exit');
    expect(report.description).toBe(
      'container "web" (exit code 1: OutOfMemoryError) exited after the migration succeeded',
    );
  });

  it('names every crashed container', () => {
    const report = classifyStoppedTask(
      task({
        containers: [
          { name: 'atlas', exitCode: 0 },
          { name: 'web', exitCode: 1 },
          { name: 'worker', exitCode: 2 },
        ],
      }),
      'atlas',
    );
    expect(report.description).toBe(
      'containers "web" (exit code 1), "worker" (exit code 2) exited after the migration succeeded',
    );
  });

  it('reports an app crash without a migration container in the task', () => {
    const report = classifyStoppedTask(
      task({ containers: [{ name: 'web', exitCode: 1 }] }),
      'atlas',
    );
    expect(report.kind).toBe('app-exit');
    expect(report.description).toBe('container "web" (exit code 1) exited');
  });

  it('reports an essential container that exited cleanly', () => {
    const report = classifyStoppedTask(
      task({
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'atlas', exitCode: 0 },
          { name: 'web', exitCode: 0 },
        ],
      }),
      'atlas',
    );
    expect(report.kind).toBe('essential-exit');
    expect(report.description).toBe('an essential container exited: "web" (exit code 0)');
    expect(
      classifyStoppedTask(task({ stoppedReason: 'Essential container in task exited' }), 'atlas')
        .description,
    ).toBe('Essential container in task exited');
  });

  it('recognises a scale-in by the scheduler', () => {
    expect(
      classifyStoppedTask(
        task({
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/123)',
        }),
        'atlas',
      ).kind,
    ).toBe('scaled-in');
  });

  it('passes any other reason on, or the stop code without one', () => {
    expect(
      classifyStoppedTask(
        task({ stopCode: 'UserInitiated', stoppedReason: 'Stopped by ops' }),
        'atlas',
      ),
    ).toMatchObject({ kind: 'other', description: 'Stopped by ops' });
    expect(classifyStoppedTask(task({ stopCode: 'SpotInterruption' }), 'atlas').description).toBe(
      'stopped (SpotInterruption)',
    );
    expect(classifyStoppedTask({}, 'atlas')).toMatchObject({
      kind: 'other',
      taskArn: '',
      description: 'stopped (no reason given)',
    });
  });
});

describe('isFullyStopped', () => {
  it('waits for lastStatus STOPPED', () => {
    expect(isFullyStopped({ lastStatus: 'STOPPED' })).toBe(true);
    expect(isFullyStopped({ lastStatus: 'DEPROVISIONING' })).toBe(false);
    expect(isFullyStopped({})).toBe(false);
  });
});

describe('migrationExitedNonZero', () => {
  it('is true only for a non-zero exit code of the named container', () => {
    expect(migrationExitedNonZero({ containers: [{ name: 'atlas', exitCode: 1 }] }, 'atlas')).toBe(
      true,
    );
    expect(migrationExitedNonZero({ containers: [{ name: 'atlas', exitCode: 0 }] }, 'atlas')).toBe(
      false,
    );
    expect(migrationExitedNonZero({ containers: [{ name: 'atlas' }] }, 'atlas')).toBe(false);
    expect(migrationExitedNonZero({ containers: [{ name: 'web', exitCode: 1 }] }, 'atlas')).toBe(
      false,
    );
    expect(migrationExitedNonZero({}, 'atlas')).toBe(false);
  });
});
