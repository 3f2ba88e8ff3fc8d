import type { UpdateServiceRequest } from '@aws-sdk/client-ecs';
import type { Preflight } from '../../src/deploy/preflight';
import {
  DeploymentFailedError,
  deploymentOutputs,
  failureMessage,
  migrationStatusOf,
  runDeployment,
  shouldRollBack,
} from '../../src/deploy/run-deployment';
import type { StoppedTaskReport } from '../../src/deploy/stopped-task';
import type { MigrationFailure, RolloutFailure, WatchTimeout } from '../../src/deploy/watch';
import { deploymentStrategy } from '../../src/deploy/deployment-strategy';
import { ATLAS_ERROR_LINE } from '../helpers/fake-aws';
import { deploymentSettings as settings, ecsApi, fakeClock, logsApi, recordingIO } from './fakes';

const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';

const preflight = (fields: Partial<Preflight> = {}): Preflight => ({
  cluster: 'prod',
  clusterArn: undefined,
  serviceName: 'web',
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
  previousTaskDefinitionArn: OLD,
  desiredCount: 1,
  networkConfiguration: undefined,
  launchType: 'FARGATE',
  capacityProviderStrategy: undefined,
  platformVersion: undefined,
  circuitBreaker: undefined,
  strategy: deploymentStrategy(undefined),
  taskDefinition: { taskDefinition: { family: 'web', containerDefinitions: [] }, tags: undefined },
  taskDefinitionLabel: 'web:7',
  databaseUrlSecretValueFrom: undefined,
  warnings: [],
  ...fields,
});

const base = { polls: 2, stoppedTasks: [] as StoppedTaskReport[] };
const migration: MigrationFailure = {
  ...base,
  status: 'failed',
  kind: 'migration',
  exitCode: 1,
  migration: { reports: [], taskArn: 'arn:task/t1', tasksRead: 1, problem: 'no report' },
  errorLines: [ATLAS_ERROR_LINE],
  logTail: [],
  stoppedReason: 'Essential container in task exited',
  taskArn: 'arn:task/t1',
  logStream: undefined,
  logProblem: undefined,
};
const rollout = (cause: RolloutFailure['cause']): RolloutFailure => ({
  ...base,
  status: 'failed',
  kind: 'rollout',
  reason: 'tasks failed to start',
  cause,
});
const timeout: WatchTimeout = {
  ...base,
  status: 'timeout',
  lastEvents: ['e1', 'e2', 'e3', 'e4'],
  rolloutState: 'IN_PROGRESS',
};
const context = {
  cluster: 'prod',
  service: 'web',
  taskDefinitionArn: NEW,
  previousTaskDefinitionArn: OLD,
  waitTimeoutMinutes: 30,
  rollbackOnFailure: true,
};

/** An ECS where UpdateService starts deployment ecs-svc/<n>, and the watch sees `poll`. */
function ecsFor(poll: () => { deployments: unknown[]; stopped?: unknown[] }) {
  const updates: UpdateServiceRequest[] = [];
  const api = ecsApi({
    registerTaskDefinition: async () => ({
      taskDefinition: {
        taskDefinitionArn: NEW,
        containerDefinitions: [
          {
            name: 'atlas',
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': 'g', 'awslogs-stream-prefix': 'ecs' },
            },
          },
        ],
      },
    }),
    updateService: async (input) => {
      updates.push(input);
      const id = `ecs-svc/${updates.length + 1}`;
      return {
        service: {
          deployments: [{ id, status: 'PRIMARY', taskDefinition: input.taskDefinition }],
        },
      };
    },
    describeServices: async () => ({
      services: [{ desiredCount: 1, runningCount: 1, deployments: poll().deployments as never }],
    }),
    listTasks: async () => ({
      taskArns: (poll().stopped ?? []).map((t) => (t as { taskArn: string }).taskArn),
    }),
    describeTasks: async () => ({ tasks: (poll().stopped ?? []) as never }),
  });
  return { api, updates };
}

describe('runDeployment', () => {
  it('deploys and watches to success', async () => {
    const { api, updates } = ecsFor(() => ({
      deployments: [
        {
          id: 'ecs-svc/2',
          status: 'PRIMARY',
          taskDefinition: NEW,
          rolloutState: 'COMPLETED',
          runningCount: 1,
          desiredCount: 1,
        },
      ],
    }));
    const report = await runDeployment(
      {
        settings: settings(),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      { ecs: api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
    );
    expect(report).toMatchObject({
      migrationStatus: 'succeeded',
      error: undefined,
      rollback: undefined,
    });
    expect(report.outcome?.status).toBe('succeeded');
    expect(updates).toEqual([
      { cluster: 'prod', service: 'web', taskDefinition: NEW, forceNewDeployment: false },
    ]);
    expect(deploymentOutputs(report)).toEqual({
      'task-definition-arn': NEW,
      'deployment-id': 'ecs-svc/2',
      'migration-status': 'succeeded',
    });
  });

  it('does not wait when told not to', async () => {
    const { api } = ecsFor(() => {
      throw new Error('no polling expected');
    });
    const io = recordingIO();
    const report = await runDeployment(
      {
        settings: settings({ waitForServiceStability: false }),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      { ecs: api, logs: logsApi(), io, ...fakeClock() },
    );
    expect(report).toMatchObject({
      outcome: undefined,
      migrationStatus: 'skipped',
      error: undefined,
    });
    expect(io.text('info').pop()).toContain('wait-for-service-stability is false');
  });

  it('rolls back a failed migration and fails with its error', async () => {
    const { api, updates } = ecsFor(() => ({
      deployments: [
        { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' },
      ],
      stopped: [
        {
          taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/t1',
          lastStatus: 'STOPPED',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'atlas', exitCode: 1 }],
        },
      ],
    }));
    const report = await runDeployment(
      {
        settings: settings(),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      {
        ecs: api,
        logs: logsApi(async () => ({ events: [{ message: ATLAS_ERROR_LINE }] })),
        io: recordingIO(),
        ...fakeClock(),
      },
    );
    expect(updates.map((u) => u.taskDefinition)).toEqual([NEW, OLD]);
    expect(report.migrationStatus).toBe('failed');
    expect(report.rollback).toEqual({
      rolledBack: true,
      method: 'update-service',
      taskDefinitionArn: OLD,
      deploymentId: 'ecs-svc/3',
    });
    expect(report.error).toBeInstanceOf(DeploymentFailedError);
    expect(report.error!.message).toBe(
      `Migration failed (exit code 1, task arn:aws:ecs:us-east-1:123456789012:task/prod/t1):\n${ATLAS_ERROR_LINE}\nThe service was rolled back to ${OLD} (UpdateService, deployment ecs-svc/3).`,
    );
    expect(deploymentOutputs(report)['migration-status']).toBe('failed');
  });

  it('leaves a rollback done by ECS alone', async () => {
    const { api, updates } = ecsFor(() => ({
      deployments: [
        { id: 'ecs-svc/3', status: 'PRIMARY', taskDefinition: OLD },
        {
          id: 'ecs-svc/2',
          status: 'ACTIVE',
          taskDefinition: NEW,
          rolloutState: 'FAILED',
          rolloutStateReason: 'circuit breaker',
        },
      ],
    }));
    const report = await runDeployment(
      {
        settings: settings(),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      { ecs: api, logs: logsApi(), io: recordingIO(), ...fakeClock() },
    );
    expect(updates).toHaveLength(1);
    expect(report.rollback).toBeUndefined();
    expect(report.error!.message).toContain(`ECS rolled the service back to ${OLD}.`);
  });
});

describe('runDeployment racing another run', () => {
  const stoppedMigration = {
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/t1',
    lastStatus: 'STOPPED',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'atlas', exitCode: 1 }],
  };
  const OTHER = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:9';

  it('does not roll back over a deployment that replaced ours, and says why', async () => {
    // Ours (ecs-svc/2) failed its migration after another run's deployment became PRIMARY.
    const { api, updates } = ecsFor(() => ({
      deployments: [
        { id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: OTHER, rolloutState: 'IN_PROGRESS' },
        { id: 'ecs-svc/2', status: 'ACTIVE', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' },
      ],
      stopped: [stoppedMigration],
    }));
    const io = recordingIO();
    const report = await runDeployment(
      {
        settings: settings(),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      {
        ecs: api,
        logs: logsApi(async () => ({ events: [{ message: ATLAS_ERROR_LINE }] })),
        io,
        ...fakeClock(),
      },
    );
    expect(updates.map((u) => u.taskDefinition)).toEqual([NEW]);
    expect(report.migrationStatus).toBe('failed');
    expect(report.rollback).toBeUndefined();
    expect(report.replacedBy).toEqual({ id: 'ecs-svc/9', taskDefinitionArn: OTHER });
    expect(report.error!.message).toBe(
      `Migration failed (exit code 1, task ${stoppedMigration.taskArn}):\n${ATLAS_ERROR_LINE}\nNot rolled back: deployment ecs-svc/9 (${OTHER}), started by someone else, had replaced this one; rolling back would have undone it, so the service was left to it.`,
    );
    expect(io.text('warning')).toContain(
      `Not rolling back: deployment ecs-svc/9 (${OTHER}) replaced ecs-svc/2 as the PRIMARY deployment of service web; putting ${OLD} back would undo it`,
    );
  });

  it('changes nothing when the service cannot be read to check, and says how to roll back', async () => {
    const { api, updates } = ecsFor(() => ({
      deployments: [
        { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: NEW, rolloutState: 'IN_PROGRESS' },
      ],
      stopped: [stoppedMigration],
    }));
    // The watch's one poll reads the service; the rollback's check (the next read) is refused.
    const watchRead = api.describeServices;
    let reads = 0;
    api.describeServices = async (input) => {
      if (++reads > 1) throw new Error('AccessDeniedException: ecs:DescribeServices');
      return watchRead(input);
    };
    const io = recordingIO();
    const report = await runDeployment(
      {
        settings: settings(),
        preflight: preflight(),
        taskDefinition: { family: 'web', containerDefinitions: [] },
      },
      {
        ecs: api,
        logs: logsApi(async () => ({ events: [{ message: ATLAS_ERROR_LINE }] })),
        io,
        ...fakeClock(),
      },
    );
    expect(updates.map((u) => u.taskDefinition)).toEqual([NEW]);
    expect(report.rollback).toEqual({
      rolledBack: false,
      method: 'update-service',
      error: expect.stringContaining(
        'could not read service web to check that deployment ecs-svc/2 is still its PRIMARY one (AccessDeniedException',
      ) as string,
    });
    expect(io.text('error')[0]).toContain(
      `aws ecs update-service --cluster prod --service web --task-definition ${OLD}`,
    );
  });
});

describe('shouldRollBack', () => {
  it('rolls back a failed migration and a FAILED rollout ECS left in place', () => {
    expect(shouldRollBack(migration, true)).toBe(true);
    expect(shouldRollBack(rollout('failed'), true)).toBe(true);
  });

  it('leaves ECS rollbacks, other deployments, timeouts and successes alone', () => {
    expect(shouldRollBack(rollout('rolled-back'), true)).toBe(false);
    expect(shouldRollBack(rollout('superseded'), true)).toBe(false);
    expect(shouldRollBack(timeout, true)).toBe(false);
    expect(
      shouldRollBack({ ...base, status: 'succeeded', runningCount: 1, desiredCount: 1 }, true),
    ).toBe(false);
  });

  it('never rolls back when rollback-on-failure is false', () => {
    expect(shouldRollBack(migration, false)).toBe(false);
  });
});

describe('migrationStatusOf', () => {
  const good = { migrationExitCode: 0 } as StoppedTaskReport;
  it('maps outcomes to the migration-status output', () => {
    expect(migrationStatusOf(undefined, 1)).toBe('skipped');
    expect(
      migrationStatusOf({ ...base, status: 'succeeded', runningCount: 1, desiredCount: 1 }, 1),
    ).toBe('succeeded');
    expect(
      migrationStatusOf({ ...base, status: 'succeeded', runningCount: 0, desiredCount: 0 }, 0),
    ).toBe('skipped');
    expect(migrationStatusOf(migration, 1)).toBe('failed');
    expect(migrationStatusOf(rollout('rolled-back'), 1)).toBe('failed');
    expect(migrationStatusOf({ ...rollout('rolled-back'), stoppedTasks: [good] }, 1)).toBe(
      'succeeded',
    );
    expect(migrationStatusOf({ ...timeout, stoppedTasks: [good] }, 1)).toBe('succeeded');
    // A deployment another one replaced: its running tasks tell.
    expect(migrationStatusOf({ ...rollout('superseded'), tasksMigrated: 1 }, 1)).toBe('succeeded');
    expect(migrationStatusOf({ ...rollout('superseded'), tasksMigrated: 0 }, 1)).toBe('skipped');
    const bad = { migrationExitCode: 3 } as StoppedTaskReport;
    expect(migrationStatusOf({ ...rollout('superseded'), stoppedTasks: [bad] }, 1)).toBe('failed');
  });
});

describe('failureMessage', () => {
  it('gives the migration error and the rollback', () => {
    expect(
      failureMessage(
        migration,
        { rolledBack: true, method: 'update-service', taskDefinitionArn: OLD, deploymentId: 'd' },
        context,
      ),
    ).toBe(
      `Migration failed (exit code 1, task arn:task/t1):\n${ATLAS_ERROR_LINE}\nThe service was rolled back to ${OLD} (UpdateService, deployment d).`,
    );
  });

  it('keeps the original failure when the rollback fails too', () => {
    const message = failureMessage(
      migration,
      { rolledBack: false, method: 'update-service', error: 'denied' },
      context,
    );
    expect(message).toContain(ATLAS_ERROR_LINE);
    expect(message).toContain(`Rolling back to ${OLD} failed too: denied.`);
  });

  it('says why there is no Atlas error', () => {
    expect(
      failureMessage(
        { ...migration, errorLines: [], logProblem: 'stream missing' },
        undefined,
        context,
      ),
    ).toContain('):\nIts log could not be read: stream missing\n');
  });

  it('explains a service left on the failed revision', () => {
    expect(
      failureMessage(migration, undefined, { ...context, rollbackOnFailure: false }),
    ).toContain(`rollback-on-failure is false: the service stays on ${NEW}`);
    expect(failureMessage(rollout('failed'), undefined, context)).toBe(
      'Deployment failed: tasks failed to start.\nThe service was not rolled back.',
    );
  });

  it('says the outcome is unknown when the watch lost sight of the deployment', () => {
    const lost = {
      status: 'timeout',
      polls: 4,
      stoppedTasks: [],
      lastEvents: [],
      rolloutState: 'IN_PROGRESS',
      stoppedWatching: 'poll 4 failed: ecs:ListTasks failed: ServerException',
    } as const;
    expect(failureMessage(lost, undefined, context)).toBe(
      'Stopped watching the deployment after 4 polls, its outcome unknown: poll 4 failed: ecs:ListTasks failed: ServerException\n' +
        `The service was left as it is: ECS keeps rolling out ${NEW}. Check the deployment in the ECS console; to roll back: aws ecs update-service --cluster prod --service web --task-definition ${OLD}`,
    );
  });

  it('explains rollouts ECS or someone else ended', () => {
    expect(failureMessage(rollout('rolled-back'), undefined, context)).toContain(
      `ECS rolled the service back to ${OLD}.`,
    );
    expect(failureMessage(rollout('superseded'), undefined, context)).toContain(
      'Another deployment replaced this one',
    );
  });

  it('gives the last events of a timeout', () => {
    expect(failureMessage(timeout, undefined, context)).toBe(
      `Deployment did not finish within 30 min (rollout IN_PROGRESS). Last events:\ne2\ne3\ne4\nThe service was left as it is: ECS keeps rolling out ${NEW}.`,
    );
    expect(
      failureMessage({ ...timeout, lastEvents: [], rolloutState: undefined }, undefined, context),
    ).toContain('(rollout state unknown)\n');
  });
});
