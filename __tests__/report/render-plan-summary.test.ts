// mode plan's summary when the dry run never got to Atlas: no task, or a task still running.
import { renderPlanSummary } from '../../src/report/render-plan-summary';

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
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api-migrate:3';
const COMMAND = ['migrate', 'apply', '--env', 'deploy', '--dry-run', '--format', '{{ json . }}'];

describe('renderPlanSummary', () => {
  it('RunTask started nothing: the reason first, no task row, no log tail', () => {
    const md = renderPlanSummary({
      service: 'api',
      image,
      command: COMMAND,
      outcome: {
        status: 'failed',
        kind: 'not-started',
        taskDefinitionArn: TD,
        polls: 0,
        failures: [{ reason: 'RESOURCE:MEMORY' }],
        message: 'Could not start the migration task: RESOURCE:MEMORY; the service was not updated',
      },
    });
    expect(md).toContain('### ❌ The dry run failed');
    expect(md).toContain(
      '> `Could not start the migration task: RESOURCE:MEMORY; the service was not updated`',
    );
    expect(md).not.toContain('Log tail');
    expect(md).not.toContain('| Task |');
    expect(md).toContain(`| Migration task definition | \`${TD}\` |`);
    expect(md).toContain(
      "| Dry run | `atlas migrate apply --env deploy --dry-run --format '{{ json . }}'` |",
    );
  });

  it('the task did not stop in time: the timeout message and the task it left running', () => {
    const md = renderPlanSummary({
      service: 'api',
      image,
      command: COMMAND,
      outcome: {
        status: 'timeout',
        taskDefinitionArn: TD,
        polls: 12,
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
        lastStatus: 'RUNNING',
        message: 'Migration task abc did not stop within 1 min',
      },
    });
    expect(md).toContain('### ❌ The dry run failed');
    expect(md).toContain('> `Migration task abc did not stop within 1 min`');
    expect(md).toContain('| Task | `arn:aws:ecs:us-east-1:123456789012:task/prod/abc` |');
  });

  it("the dry run succeeded but its log held no report: says so instead of 'nothing to apply'", () => {
    const md = renderPlanSummary({
      service: 'api',
      image,
      command: COMMAND,
      outcome: {
        status: 'succeeded',
        taskDefinitionArn: TD,
        polls: 3,
        taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
        exitCode: 0,
        migration: {
          reports: [],
          tasksRead: 1,
          problem: 'log stream /ecs/api/ecs/atlas/abc does not exist',
        },
        logTail: [],
        logStream: undefined,
        logProblem: 'log stream /ecs/api/ecs/atlas/abc does not exist',
      },
      migration: {
        kind: 'plan',
        targets: [],
        problem: 'log stream /ecs/api/ecs/atlas/abc does not exist',
      },
    });
    expect(md).toContain("### ⚠️ The dry run succeeded, but Atlas's report could not be read");
    expect(md).toContain(
      "Atlas's report could not be read: log stream /ecs/api/ecs/atlas/abc does not exist.",
    );
    expect(md).not.toContain('Nothing to apply');
  });
});
