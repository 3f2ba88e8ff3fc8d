import type { RolloutFailure } from '../../src/deploy/watch';
import type { DeploymentReport } from '../../src/deploy/run-deployment';
import {
  renderDeploySummary,
  renderMigrationTaskFailure,
  type DeployFacts,
} from '../../src/report/render-deploy-summary';

const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:8';
const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:7';
const image = {
  reference: 'registry.example.com/m@sha256:' + 'a'.repeat(64),
  digest: 'sha256:' + 'a'.repeat(64),
  platform: 'linux/amd64',
  base: 'arigaio/atlas:latest',
  baseDigest: 'sha256:' + 'b'.repeat(64),
  layerDigest: 'sha256:' + 'c'.repeat(64),
  layerSize: 4096,
  layerUncompressedSize: 8192,
  fileCount: 5,
  layoutDir: '/tmp/image',
};
const push = {
  alreadyPresent: false,
  uploaded: 2,
  mounted: 1,
  existing: 0,
  bytesUploaded: 5000,
  tags: ['atlas-aaaaaaaaaaaa'],
};
const deployed = {
  taskDefinitionArn: NEW,
  registeredTaskDefinition: { family: 'api', containerDefinitions: [] },
  deploymentId: 'ecs-svc/2',
  deploymentCreatedAt: undefined,
  previousTaskDefinitionArn: OLD,
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api',
};

function facts(report: Partial<DeploymentReport>): DeployFacts {
  return {
    image,
    push,
    service: 'api',
    cluster: 'prod',
    family: 'api',
    taskDefinitionFile: '/tmp/td.json',
    taskDefinitionDiff: '+ x\n',
    report: {
      deployed,
      outcome: undefined,
      rollback: undefined,
      migrationStatus: 'succeeded',
      error: undefined,
      ...report,
    } as DeploymentReport,
    links: { service: 'https://console/service' },
  };
}

describe('renderDeploySummary', () => {
  it('leads with success and lists what shipped', () => {
    const md = renderDeploySummary(facts({}));
    expect(md).toContain('### ✅ Migration applied and the service is stable');
    expect(md).toContain(
      '| Push | 2 blobs uploaded (4.9 KiB), 1 mounted, 0 already there; tags `atlas-aaaaaaaaaaaa` |',
    );
    expect(md).toContain(`| Task definition | \`${NEW}\` |`);
    expect(md).toContain('| Console | [service](https://console/service) |');
  });

  it('shows Atlas’s error, the folded log tail and the rollback on a failed migration', () => {
    const outcome = {
      status: 'failed',
      kind: 'migration',
      exitCode: 1,
      errorLines: ['Error: pq: column "name" already exists'],
      logTail: ['migrating', 'Error: pq: column "name" already exists'],
      stoppedReason: 'Essential container in task exited',
      taskArn: 'arn:task',
      logStream: undefined,
      logProblem: undefined,
      polls: 2,
      stoppedTasks: [],
    } as unknown as DeploymentReport['outcome'];
    const md = renderDeploySummary(
      facts({
        outcome,
        migrationStatus: 'failed',
        error: new Error('x') as DeploymentReport['error'],
        rollback: {
          rolledBack: true,
          method: 'update-service',
          taskDefinitionArn: OLD,
          deploymentId: 'ecs-svc/3',
        },
      }),
    );
    expect(md).toContain('### ❌ Deployment failed');
    expect(md).toContain('The migration container exited with code 1.');
    expect(md).toContain('> `Error: pq: column "name" already exists`');
    expect(md).toContain('<details><summary>Log tail</summary>');
    expect(md).toContain(
      `↩️ The service was rolled back to \`${OLD}\` (UpdateService, deployment ecs-svc/3).`,
    );
  });

  it('shows the app container’s exit and log tail when the app failed after a good migration', () => {
    const outcome: RolloutFailure = {
      status: 'failed',
      kind: 'rollout',
      polls: 4,
      stoppedTasks: [],
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      cause: 'rolled-back',
      appFailure: {
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd',
        container: 'web',
        kind: 'app-exit',
        exitCode: 1,
        reason: undefined,
        stoppedReason: 'Essential container in task exited',
        logTail: ['listening on :8080', 'panic: pq: column "nickname" does not exist'],
        logStream: { group: '/ecs/web', stream: 'ecs/web/0123abcd' },
        logProblem: undefined,
      },
    };
    const md = renderDeploySummary(
      facts({
        outcome,
        migrationStatus: 'succeeded',
        error: new Error(
          'Deployment failed: ECS deployment circuit breaker: tasks failed to start.',
        ) as DeploymentReport['error'],
      }),
    );
    expect(md).toContain(
      'The migration succeeded; then the app container `web` exited with code 1 in task `0123abcd`.\nECS: Essential container in task exited',
    );
    expect(md).toContain('<details><summary>Log tail of web</summary>');
    expect(md).toContain('panic: pq: column "nickname" does not exist');
    // The cause comes first, the app's log after it.
    expect(md.indexOf('circuit breaker')).toBeLessThan(md.indexOf('Log tail of web'));
  });

  it('says when the app failed its health checks and its log could not be read', () => {
    const outcome: RolloutFailure = {
      status: 'failed',
      kind: 'rollout',
      polls: 4,
      stoppedTasks: [],
      reason: 'x',
      cause: 'failed',
      appFailure: {
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd',
        container: 'web',
        kind: 'elb-health-check',
        exitCode: undefined,
        reason: undefined,
        stoppedReason: 'Task failed ELB health checks in (target-group arn:tg)',
        logTail: [],
        logStream: undefined,
        logProblem: 'container "web" has no awslogs log configuration',
      },
    };
    const md = renderDeploySummary(
      facts({ outcome, error: new Error('x') as DeploymentReport['error'] }),
    );
    expect(md).toContain('the app container `web` failed its health checks in task `0123abcd`.');
    expect(md).toContain(
      'Its log could not be read: container "web" has no awslogs log configuration',
    );
  });

  it('says why there was no rollback when another deployment had replaced this one', () => {
    const md = renderDeploySummary(
      facts({
        migrationStatus: 'failed',
        error: new Error('x') as DeploymentReport['error'],
        replacedBy: { id: 'ecs-svc/9', taskDefinitionArn: 'arn:td:7' },
      }),
    );
    expect(md).toContain(
      '⚠️ Not rolled back: deployment `ecs-svc/9` (`arn:td:7`), started by someone else, had replaced this one',
    );
    expect(md).not.toContain('rolled back to');
  });

  it('says when the result is unknown because the step did not wait', () => {
    const md = renderDeploySummary(facts({ migrationStatus: 'skipped' }));
    expect(md).toContain('Deployed without waiting');
  });
});

describe('renderMigrationTaskFailure', () => {
  it('says the service was not updated, with the message and the tail', () => {
    const md = renderMigrationTaskFailure({
      service: 'api',
      image,
      push,
      outcome: {
        status: 'failed',
        kind: 'migration',
        message: 'Migration failed: Error: boom; the service was not updated',
        logTail: ['Error: boom'],
        taskDefinitionArn: 'arn:td/api-migrate:1',
      } as never,
    });
    expect(md).toContain('Migration failed: Error: boom; the service was not updated');
    expect(md).toContain('<details><summary>Log tail</summary>');
    expect(md).toContain('| Migration task definition | `arn:td/api-migrate:1` |');
  });
});

describe('renderDeploySummary: the GitHub deployment', () => {
  it('gets a row, linked to the environment’s deployments, when one was recorded', () => {
    const md = renderDeploySummary({
      ...facts({}),
      githubDeployment: {
        id: 1234567890,
        environment: 'production',
        url: 'https://github.com/acme/api/deployments/production',
      },
    });
    expect(md).toContain(
      '| GitHub deployment | [1234567890](https://github.com/acme/api/deployments/production) in `production` |',
    );
  });

  it('has no row when none was recorded', () => {
    expect(renderDeploySummary(facts({}))).not.toContain('GitHub deployment');
  });
});
