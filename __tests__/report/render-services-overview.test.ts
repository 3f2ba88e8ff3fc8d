import type { DeploymentReport } from '../../src/deploy/run-deployment';
import { renderServicesOverview } from '../../src/report/render-services-overview';

const deployed = (family: string) =>
  ({
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:2`,
    previousTaskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:1`,
    deploymentId: 'ecs-svc/1',
  }) as DeploymentReport['deployed'];

const ok = (family: string): DeploymentReport => ({
  deployed: deployed(family),
  outcome: { status: 'succeeded', polls: 2, stoppedTasks: [], runningCount: 1, desiredCount: 1 },
  rollback: undefined,
  migrationStatus: 'succeeded',
  error: undefined,
});

describe('renderServicesOverview', () => {
  it('one row per service, the outcome first, no empty cell', () => {
    const md = renderServicesOverview([
      { service: 'api', report: ok('api') },
      { service: 'worker', report: ok('worker') },
    ]);
    expect(md).toBe(
      [
        '## Atlas ECS deploy: 2 services',
        '',
        '### ✅ Every service is migrated and stable',
        '',
        '| Service | Result | Task definition | Rollback |',
        '|---|---|---|---|',
        '| `api` | ✅ stable | `api:2` | — |',
        '| `worker` | ✅ stable | `worker:2` | — |',
        '',
      ].join('\n'),
    );
  });

  it('says which failed, which were rolled back with them, which were never updated', () => {
    const failed: DeploymentReport = {
      ...ok('worker'),
      outcome: {
        status: 'failed',
        kind: 'migration',
        polls: 2,
        stoppedTasks: [],
        exitCode: 1,
        migration: { reports: [], tasksRead: 1 } as never,
        errorLines: [],
        logTail: [],
        stoppedReason: undefined,
        taskArn: 't',
        logStream: undefined,
        logProblem: undefined,
      },
      migrationStatus: 'failed',
      rollback: {
        rolledBack: true,
        method: 'stop-service-deployment',
        taskDefinitionArn: 'x',
        deploymentId: undefined,
        status: 'ROLLBACK_SUCCESSFUL',
      },
      error: new Error('boom') as DeploymentReport['error'],
    };
    const withIt: DeploymentReport = {
      ...ok('api'),
      rollback: {
        rolledBack: true,
        method: 'update-service',
        taskDefinitionArn: 'x',
        deploymentId: 'ecs-svc/9',
      },
      error: new Error('with') as DeploymentReport['error'],
      rolledBackWith: 'the migration failed in service worker',
    };
    const md = renderServicesOverview(
      [
        { service: 'api', report: withIt },
        { service: 'worker', report: failed },
        { service: 'cron', report: undefined },
      ],
      'Service cron could not be deployed',
    );
    expect(md).toContain(
      '### ❌ Deployment failed\n\n**Cause:** Service cron could not be deployed',
    );
    expect(md).toContain('| `api` | ⏹️ stopped with the others | `api:2` | ↩️ UpdateService |');
    expect(md).toContain(
      '| `worker` | ❌ migration failed | `worker:2` | ↩️ StopServiceDeployment (ROLLBACK_SUCCESSFUL) |',
    );
    expect(md).toContain('| `cron` | ⏭️ not updated | — | — |');
  });
});
