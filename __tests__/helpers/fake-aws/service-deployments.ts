// The fake ECS's service deployments (ListServiceDeployments, DescribeServiceDeployments,
// StopServiceDeployment) and deployment strategies, as the ECS API reference and developer guide
// describe them: a deployment starts PENDING, is IN_PROGRESS from its first poll, and ends
// SUCCESSFUL, STOPPED (replaced, or failed without a rollback), or ROLLBACK_SUCCESSFUL/FAILED
// after ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS. A BLUE_GREEN, LINEAR or CANARY deployment
// goes through its lifecycle stages after its tasks are up: test traffic, production traffic (in
// steps for LINEAR and CANARY), the bake time (a number of polls here), clean up. A rollback moves
// one status per DescribeServiceDeployments read.
import { ACCOUNT_ID, hexId } from './protocol';

export type FakeStrategyName = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';

export interface FakeStrategy {
  readonly name: FakeStrategyName;
  /** As the service's deploymentConfiguration gives it (what the action reads). */
  readonly bakeTimeInMinutes?: number;
  /** How many polls the BAKE_TIME stage lasts here. Default 2. */
  readonly bakePolls?: number;
  readonly linear?: { stepPercent: number; stepBakeTimeInMinutes: number };
  readonly canary?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
}

export interface FakeStage {
  readonly stage: string;
  readonly productionWeight?: number;
  readonly testWeight?: number;
}

export interface FakeServiceDeployment {
  readonly arn: string;
  readonly targetRevisionArn: string;
  readonly sourceRevisionArn: string;
  status: string;
  statusReason?: string;
  lifecycleStage?: string;
  productionWeight?: number;
  testWeight?: number;
  readonly createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  updatedAt: number;
  /** The stages still to go once the new tasks are up (non-rolling strategies). */
  stages?: FakeStage[];
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  breaker: { status: string; failureCount: number; threshold: number };
  alarms?: { status: string; alarmNames: string[]; triggeredAlarmNames: string[] };
  /** What the next DescribeServiceDeployments read moves it to (rollbacks). */
  onNextRead?: () => void;
  /** DescribeServiceDeployments reads of it, for tests. */
  reads: number;
}

/** Which of the API answers: all of it, AccessDenied for each call, or none (older region). */
export type ServiceDeploymentApiMode = 'available' | 'access-denied' | 'absent';

/** The stages after scale-up, in order, for a strategy. */
export function trafficStages(strategy: FakeStrategy): FakeStage[] {
  const bake: FakeStage[] = Array.from({ length: strategy.bakePolls ?? 2 }, () => ({
    stage: 'BAKE_TIME',
    productionWeight: 100,
  }));
  const cleanUp = { stage: 'CLEAN_UP', productionWeight: 100 };
  switch (strategy.name) {
    case 'BLUE_GREEN':
      return [
        { stage: 'TEST_TRAFFIC_SHIFT', testWeight: 100, productionWeight: 0 },
        { stage: 'PRODUCTION_TRAFFIC_SHIFT', productionWeight: 100 },
        ...bake,
        cleanUp,
      ];
    case 'LINEAR': {
      const step = strategy.linear?.stepPercent ?? 25;
      const shifts: FakeStage[] = [];
      for (let weight = step; weight < 100 + step; weight += step) {
        shifts.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', productionWeight: Math.min(100, weight) });
      }
      return [...shifts, ...bake, cleanUp];
    }
    case 'CANARY':
      return [
        {
          stage: 'PRODUCTION_TRAFFIC_SHIFT',
          productionWeight: strategy.canary?.canaryPercent ?? 10,
        },
        { stage: 'PRODUCTION_TRAFFIC_SHIFT', productionWeight: 100 },
        ...bake,
        cleanUp,
      ];
    default:
      return [];
  }
}

export function newServiceDeployment(options: {
  region: string;
  cluster: string;
  service: string;
  now: number;
  counter: number;
  alarmNames?: readonly string[];
}): FakeServiceDeployment {
  const base = `arn:aws:ecs:${options.region}:${ACCOUNT_ID}`;
  const path = `${options.cluster}/${options.service}`;
  const id = `sd${hexId(options.counter).slice(-20)}`;
  return {
    arn: `${base}:service-deployment/${path}/${id}`,
    targetRevisionArn: `${base}:service-revision/${path}/r${hexId(options.counter).slice(-19)}`,
    sourceRevisionArn: `${base}:service-revision/${path}/r${hexId(options.counter - 1).slice(-19)}`,
    status: 'PENDING',
    createdAt: options.now,
    updatedAt: options.now,
    breaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
    ...(options.alarmNames && options.alarmNames.length > 0
      ? {
          alarms: {
            status: 'MONITORING',
            alarmNames: [...options.alarmNames],
            triggeredAlarmNames: [],
          },
        }
      : {}),
    reads: 0,
  };
}

/** DescribeServiceDeployments' view of one, with the task counts of its revisions. */
export function serviceDeploymentJson(
  sd: FakeServiceDeployment,
  facts: {
    serviceArn: string;
    clusterArn: string;
    requested: number;
    running: number;
    pending: number;
    sourceRunning: number;
    configuration: Record<string, unknown>;
  },
): Record<string, unknown> {
  return {
    serviceDeploymentArn: sd.arn,
    serviceArn: facts.serviceArn,
    clusterArn: facts.clusterArn,
    createdAt: sd.createdAt,
    ...(sd.startedAt !== undefined ? { startedAt: sd.startedAt } : {}),
    ...(sd.finishedAt !== undefined ? { finishedAt: sd.finishedAt } : {}),
    updatedAt: sd.updatedAt,
    sourceServiceRevisions: [{ arn: sd.sourceRevisionArn, runningTaskCount: facts.sourceRunning }],
    targetServiceRevision: {
      arn: sd.targetRevisionArn,
      requestedTaskCount: facts.requested,
      runningTaskCount: facts.running,
      pendingTaskCount: facts.pending,
      ...(sd.productionWeight !== undefined
        ? { requestedProductionTrafficWeight: sd.productionWeight }
        : {}),
      ...(sd.testWeight !== undefined ? { requestedTestTrafficWeight: sd.testWeight } : {}),
    },
    status: sd.status,
    ...(sd.statusReason ? { statusReason: sd.statusReason } : {}),
    ...(sd.lifecycleStage ? { lifecycleStage: sd.lifecycleStage } : {}),
    deploymentConfiguration: facts.configuration,
    ...(sd.rollback ? { rollback: sd.rollback } : {}),
    deploymentCircuitBreaker: sd.breaker,
    ...(sd.alarms ? { alarms: sd.alarms } : {}),
  };
}

/** The deploymentConfiguration DescribeServices answers for a strategy. */
export function deploymentConfigurationJson(
  strategy: FakeStrategy,
  circuitBreaker: { enable: boolean; rollback: boolean },
  alarms: { alarmNames: string[]; rollback: boolean } | undefined,
): Record<string, unknown> {
  return {
    deploymentCircuitBreaker: circuitBreaker,
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    strategy: strategy.name,
    ...(alarms
      ? { alarms: { alarmNames: alarms.alarmNames, rollback: alarms.rollback, enable: true } }
      : {}),
    ...(strategy.bakeTimeInMinutes !== undefined
      ? { bakeTimeInMinutes: strategy.bakeTimeInMinutes }
      : {}),
    ...(strategy.linear ? { linearConfiguration: strategy.linear } : {}),
    ...(strategy.canary ? { canaryConfiguration: strategy.canary } : {}),
  };
}

/** Statuses StopServiceDeployment accepts (the developer guide's list). */
export const STOPPABLE = new Set([
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
]);
