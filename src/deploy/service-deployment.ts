// Reading one ECS service deployment (DescribeServiceDeployments): where it is (its status and, for
// blue/green, linear and canary, its lifecycle stage), what its monitors say (circuit breaker,
// alarms), and whether it is over. Pure: the SDK's ServiceDeployment in, facts and words out.
import type { ServiceDeployment } from '@aws-sdk/client-ecs';

/** The lifecycle stages in the words the log prints (ECS's names in parentheses). */
const STAGE_WORDS: Readonly<Record<string, string>> = {
  RECONCILE_SERVICE: 'reconciling the service',
  PRE_SCALE_UP: 'before scale-up (hooks)',
  SCALE_UP: 'scale up of the new revision',
  POST_SCALE_UP: 'after scale-up (hooks)',
  TEST_TRAFFIC_SHIFT: 'test traffic to the new revision',
  POST_TEST_TRAFFIC_SHIFT: 'after the test traffic shift (hooks)',
  PRODUCTION_TRAFFIC_SHIFT: 'production traffic to the new revision',
  POST_PRODUCTION_TRAFFIC_SHIFT: 'after the production traffic shift (hooks)',
  BAKE_TIME: 'bake time',
  CLEAN_UP: 'clean up of the old revision',
};

export function stageWords(stage: string): string {
  const words = STAGE_WORDS[stage];
  return words ? `${words} (${stage})` : stage;
}

/** Where a service deployment stands, for the wait. */
export type ServiceDeploymentPhase =
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'succeeded' }
  /** ECS is rolling it back (circuit breaker, alarms, or a StopServiceDeployment) or has. */
  | {
      readonly kind: 'rolled-back';
      readonly final: boolean;
      readonly reason: string;
      readonly status: string;
    }
  | { readonly kind: 'rollback-failed'; readonly reason: string }
  /** Stopped without a rollback: another deployment replaced it, or someone stopped it. */
  | { readonly kind: 'stopped'; readonly reason: string; readonly status: string };

export function serviceDeploymentPhase(sd: ServiceDeployment): ServiceDeploymentPhase {
  const status = sd.status ?? 'PENDING';
  const reason = rollbackReason(sd);
  switch (status) {
    case 'SUCCESSFUL':
      return { kind: 'succeeded' };
    case 'ROLLBACK_REQUESTED':
    case 'ROLLBACK_IN_PROGRESS':
      return { kind: 'rolled-back', final: false, reason, status };
    case 'ROLLBACK_SUCCESSFUL':
      return { kind: 'rolled-back', final: true, reason, status };
    case 'ROLLBACK_FAILED':
      return { kind: 'rollback-failed', reason };
    case 'STOPPED':
    case 'STOP_REQUESTED':
      return { kind: 'stopped', reason: sd.statusReason ?? `the deployment was ${status}`, status };
    default:
      // PENDING, IN_PROGRESS, and whatever ECS adds later: still going.
      return { kind: 'in-progress' };
  }
}

/** Why ECS rolls it back: the rollback's reason, else the status reason, else the monitors. */
function rollbackReason(sd: ServiceDeployment): string {
  const triggered = sd.alarms?.triggeredAlarmNames ?? [];
  const monitors =
    triggered.length > 0
      ? `CloudWatch alarm${triggered.length > 1 ? 's' : ''} ${triggered.join(', ')} went into ALARM`
      : sd.deploymentCircuitBreaker?.status === 'TRIGGERED'
        ? `the deployment circuit breaker tripped after ${sd.deploymentCircuitBreaker.failureCount ?? '?'} failed tasks`
        : undefined;
  return sd.rollback?.reason ?? sd.statusReason ?? monitors ?? `the deployment is ${sd.status}`;
}

/** One log line for the deployment's state; printed whenever it changes. */
export function describeServiceDeployment(sd: ServiceDeployment): string {
  const parts: string[] = [sd.status ?? 'PENDING'];
  if (sd.lifecycleStage) parts.push(`stage: ${stageWords(sd.lifecycleStage)}`);
  const target = sd.targetServiceRevision;
  if (target) {
    let revision = `new revision running ${target.runningTaskCount ?? 0}/${target.requestedTaskCount ?? 0}`;
    if (target.requestedProductionTrafficWeight !== undefined) {
      revision += `, ${target.requestedProductionTrafficWeight}% of production traffic`;
    }
    if (target.requestedTestTrafficWeight !== undefined) {
      revision += `, ${target.requestedTestTrafficWeight}% of test traffic`;
    }
    parts.push(revision);
  }
  const breaker = sd.deploymentCircuitBreaker;
  if (breaker?.status && breaker.status !== 'DISABLED') {
    parts.push(
      `circuit breaker ${breaker.status} (${breaker.failureCount ?? 0}/${breaker.threshold ?? '?'} failed tasks)`,
    );
  }
  const alarms = sd.alarms;
  if (alarms?.status && alarms.status !== 'DISABLED') {
    const triggered = alarms.triggeredAlarmNames ?? [];
    parts.push(
      `alarms ${alarms.status}${triggered.length > 0 ? ` (in ALARM: ${triggered.join(', ')})` : ''}`,
    );
  }
  if (sd.rollback) {
    parts.push(`rollback: ${sd.rollback.reason ?? 'started'}`);
  }
  if (sd.statusReason && !sd.rollback) parts.push(sd.statusReason);
  return parts.join('; ');
}

/** The short id at the end of a service deployment ARN, for messages. */
export function serviceDeploymentId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
