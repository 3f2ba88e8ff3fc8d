// ECS's own rollback (StopServiceDeployment) followed to its end, against a scripted ECS and a
// fake clock: the paths a real rollback can take besides ROLLBACK_SUCCESSFUL.
import type { ServiceDeploymentStatus } from '@aws-sdk/client-ecs';
import { wrapAwsError } from '../../src/aws/errors';
import { rollbackUnlessReplaced, type RollbackWait } from '../../src/deploy/rollback';
import { describeRollback } from '../../src/deploy/rollback-words';
import { ecsApi, fakeClock, recordingIO } from './fakes';

const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';
const SD = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc123';
const REQUEST = {
  cluster: 'prod',
  service: 'web',
  previousTaskDefinitionArn: OLD,
  failedTaskDefinitionArn: NEW,
  deploymentId: 'ecs-svc/2',
  serviceDeploymentArn: SD,
};

/** An ECS whose service still has ours PRIMARY, that accepts the stop, then answers `statuses`. */
function ecsWith(answers: Array<ServiceDeploymentStatus | Error>) {
  const updates: unknown[] = [];
  const api = {
    ...ecsApi({
      describeServices: async () => ({
        services: [{ deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: NEW }] }],
      }),
      updateService: async (input) => {
        updates.push(input);
        return {
          service: { deployments: [{ id: 'ecs-svc/3', status: 'PRIMARY', taskDefinition: OLD }] },
        };
      },
    }),
    stopServiceDeployment: async () => ({ serviceDeploymentArn: SD }),
    listServiceDeployments: async () => ({}),
    describeServiceDeployments: async () => {
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (next instanceof Error) throw next;
      return { serviceDeployments: [{ serviceDeploymentArn: SD, status: next }] };
    },
  };
  return { api, updates };
}

function waitFor(minutes: number): RollbackWait & { sleeps: number[] } {
  const clock = fakeClock();
  return { pollIntervalMs: 15_000, timeoutMs: minutes * 60_000, ...clock };
}

const awsError = (name: string, status: number) =>
  wrapAwsError(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } }), {
    operation: 'ecs:DescribeServiceDeployments',
    target: SD,
  });

it('says the rollback was still going when the time limit came, and does not roll back twice', async () => {
  const { api, updates } = ecsWith(['ROLLBACK_IN_PROGRESS']);
  const io = recordingIO();
  const wait = waitFor(1);
  const attempt = await rollbackUnlessReplaced(api, io, REQUEST, wait);
  expect(attempt).toEqual({
    kind: 'attempted',
    result: {
      rolledBack: true,
      method: 'stop-service-deployment',
      taskDefinitionArn: OLD,
      deploymentId: undefined,
      status: 'ROLLBACK_IN_PROGRESS',
    },
  });
  // 1 min at 15 s: four waits, five reads.
  expect(wait.sleeps).toEqual([15_000, 15_000, 15_000, 15_000]);
  expect(updates).toEqual([]);
  expect(io.text('warning').at(-1)).toBe(
    "ECS's rollback of service deployment abc123 was still ROLLBACK_IN_PROGRESS after 1 min: it goes on without this step; follow it in the ECS console",
  );
  expect(describeRollback(attempt.kind === 'attempted' ? attempt.result : never(), OLD)).toBe(
    `ECS is rolling the service back to ${OLD} (StopServiceDeployment with stopType ROLLBACK: still ROLLBACK_IN_PROGRESS when the step stopped following it).`,
  );
});

it('rides out a throttled read, and stops following on one it cannot retry', async () => {
  const { api, updates } = ecsWith([
    'ROLLBACK_REQUESTED',
    awsError('ThrottlingException', 400),
    awsError('AccessDeniedException', 400),
  ]);
  const io = recordingIO();
  const attempt = await rollbackUnlessReplaced(api, io, REQUEST, waitFor(10));
  expect(attempt).toMatchObject({
    kind: 'attempted',
    result: { rolledBack: true, method: 'stop-service-deployment', status: 'ROLLBACK_REQUESTED' },
  });
  expect(updates).toEqual([]);
  expect(io.text('warning').at(-1)).toMatch(
    /^ECS's rollback of service deployment abc123 was ROLLBACK_REQUESTED when its progress could no longer be read \(ecs:DescribeServiceDeployments on .* failed: AccessDeniedException\. Fix: allow ecs:DescribeServiceDeployments .*\): it goes on without this step; follow it in the ECS console$/,
  );
});

it('falls back to UpdateService when ECS says its rollback failed', async () => {
  const { api, updates } = ecsWith(['ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED']);
  const attempt = await rollbackUnlessReplaced(api, recordingIO(), REQUEST, waitFor(10));
  expect(updates).toEqual([{ cluster: 'prod', service: 'web', taskDefinition: OLD }]);
  expect(attempt).toMatchObject({
    kind: 'attempted',
    result: {
      rolledBack: true,
      method: 'update-service',
      fallbackReason: "ECS's rollback of service deployment abc123 failed",
    },
  });
});

function never(): never {
  throw new Error('expected an attempted rollback');
}
