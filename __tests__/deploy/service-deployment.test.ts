import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import {
  describeServiceDeployment,
  serviceDeploymentId,
  serviceDeploymentPhase,
  stageWords,
} from '../../src/deploy/service-deployment';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/r9i43YFjvgF_xlg7m2eJ1r';

describe('serviceDeploymentPhase', () => {
  it.each(['PENDING', 'IN_PROGRESS', 'SOMETHING_NEW'] as const)('%s is still going', (status) => {
    expect(serviceDeploymentPhase({ status } as ServiceDeployment)).toEqual({
      kind: 'in-progress',
    });
  });

  it('SUCCESSFUL succeeded', () => {
    expect(serviceDeploymentPhase({ status: 'SUCCESSFUL' })).toEqual({ kind: 'succeeded' });
  });

  it('a rollback in progress or done, with its reason', () => {
    const rollback = {
      reason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.',
    };
    expect(serviceDeploymentPhase({ status: 'ROLLBACK_IN_PROGRESS', rollback })).toEqual({
      kind: 'rolled-back',
      final: false,
      reason: rollback.reason,
      status: 'ROLLBACK_IN_PROGRESS',
    });
    expect(serviceDeploymentPhase({ status: 'ROLLBACK_SUCCESSFUL', rollback })).toMatchObject({
      kind: 'rolled-back',
      final: true,
    });
    expect(serviceDeploymentPhase({ status: 'ROLLBACK_REQUESTED' })).toMatchObject({
      kind: 'rolled-back',
      final: false,
      reason: 'the deployment is ROLLBACK_REQUESTED',
    });
  });

  it('names the alarms or the circuit breaker when the rollback gives no reason', () => {
    expect(
      serviceDeploymentPhase({
        status: 'ROLLBACK_IN_PROGRESS',
        alarms: { status: 'TRIGGERED', triggeredAlarmNames: ['p99-latency', '5xx'] },
      }),
    ).toMatchObject({ reason: 'CloudWatch alarms p99-latency, 5xx went into ALARM' });
    expect(
      serviceDeploymentPhase({
        status: 'ROLLBACK_IN_PROGRESS',
        deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
      }),
    ).toMatchObject({ reason: 'the deployment circuit breaker tripped after 3 failed tasks' });
  });

  it('a failed rollback, and a stopped deployment', () => {
    expect(serviceDeploymentPhase({ status: 'ROLLBACK_FAILED', statusReason: 'x' })).toEqual({
      kind: 'rollback-failed',
      reason: 'x',
    });
    expect(
      serviceDeploymentPhase({ status: 'STOPPED', statusReason: 'a newer deployment started' }),
    ).toEqual({ kind: 'stopped', reason: 'a newer deployment started', status: 'STOPPED' });
    expect(serviceDeploymentPhase({ status: 'STOP_REQUESTED' })).toEqual({
      kind: 'stopped',
      reason: 'the deployment was STOP_REQUESTED',
      status: 'STOP_REQUESTED',
    });
  });
});

describe('describeServiceDeployment', () => {
  it('prints the stage, the new revision with its traffic, and the monitors', () => {
    expect(
      describeServiceDeployment({
        status: 'IN_PROGRESS',
        lifecycleStage: 'BAKE_TIME',
        targetServiceRevision: {
          runningTaskCount: 2,
          requestedTaskCount: 2,
          requestedProductionTrafficWeight: 100,
        },
        deploymentCircuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
        alarms: { status: 'MONITORING', alarmNames: ['5xx'], triggeredAlarmNames: [] },
      }),
    ).toBe(
      'IN_PROGRESS; stage: bake time (BAKE_TIME); new revision running 2/2, 100% of production traffic; circuit breaker MONITORING (0/3 failed tasks); alarms MONITORING',
    );
  });

  it('names the alarms in ALARM and the rollback', () => {
    expect(
      describeServiceDeployment({
        status: 'ROLLBACK_IN_PROGRESS',
        alarms: { status: 'TRIGGERED', triggeredAlarmNames: ['5xx'] },
        deploymentCircuitBreaker: { status: 'DISABLED' },
        rollback: { reason: 'alarm' },
      }),
    ).toBe('ROLLBACK_IN_PROGRESS; alarms TRIGGERED (in ALARM: 5xx); rollback: alarm');
  });

  it('a bare answer is PENDING', () => {
    expect(describeServiceDeployment({})).toBe('PENDING');
  });
});

it('stageWords keeps ECS’s name next to the words, and unknown stages as they are', () => {
  expect(stageWords('TEST_TRAFFIC_SHIFT')).toBe(
    'test traffic to the new revision (TEST_TRAFFIC_SHIFT)',
  );
  expect(stageWords('NEW_STAGE')).toBe('NEW_STAGE');
});

it('serviceDeploymentId is the ARN’s last segment', () => {
  expect(serviceDeploymentId(ARN)).toBe('r9i43YFjvgF_xlg7m2eJ1r');
});
