// How the service rolls a new revision out (deploymentConfiguration.strategy, ECS 2025) and the
// shortest time such a rollout can take: blue/green, linear and canary deployments hold the new
// revision for their bake times before ECS calls them SUCCESSFUL, so a wait shorter than that can
// only end in a timeout. Pure.
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import { InputError } from '../errors';

export type StrategyName = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';

export interface DeploymentStrategy {
  /** ROLLING when the service names none (ECS's default). */
  readonly name: StrategyName | string;
  /** The bake time after production traffic moved (BLUE_GREEN, LINEAR, CANARY), minutes. */
  readonly bakeTimeMinutes: number;
  /** The least a rollout can take: every traffic step's wait plus the bake time, minutes. */
  readonly minimumMinutes: number;
  /** One phrase: `BLUE_GREEN with a 15 min bake time`. */
  readonly description: string;
}

export function deploymentStrategy(
  config: DeploymentConfiguration | undefined,
): DeploymentStrategy {
  const name = config?.strategy ?? 'ROLLING';
  const bake = nonNegative(config?.bakeTimeInMinutes);
  if (name === 'LINEAR') {
    const step = config?.linearConfiguration?.stepPercent;
    const stepBake = nonNegative(config?.linearConfiguration?.stepBakeTimeInMinutes);
    // Production traffic moves in ceil(100 / step) shifts with a step bake time between them.
    const shifts = step && step > 0 ? Math.ceil(100 / step) : 1;
    const minimum = (shifts - 1) * stepBake + bake;
    return {
      name,
      bakeTimeMinutes: bake,
      minimumMinutes: minimum,
      description: `LINEAR (${shifts} traffic shifts of ${step ?? '?'}%, ${stepBake} min apart, then a ${bake} min bake time)`,
    };
  }
  if (name === 'CANARY') {
    const percent = config?.canaryConfiguration?.canaryPercent;
    const canaryBake = nonNegative(config?.canaryConfiguration?.canaryBakeTimeInMinutes);
    return {
      name,
      bakeTimeMinutes: bake,
      minimumMinutes: canaryBake + bake,
      description: `CANARY (${percent ?? '?'}% of traffic for ${canaryBake} min, then all of it, then a ${bake} min bake time)`,
    };
  }
  if (name === 'BLUE_GREEN') {
    return {
      name,
      bakeTimeMinutes: bake,
      minimumMinutes: bake,
      description: `BLUE_GREEN with a ${bake} min bake time`,
    };
  }
  return { name, bakeTimeMinutes: 0, minimumMinutes: 0, description: name };
}

function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The wait must outlast the strategy's bake times, or the step would time out on a deployment
 * that is going well. Nothing to check when the step does not wait.
 */
export function checkWaitCoversRollout(
  strategy: DeploymentStrategy,
  service: string,
  wait: { readonly timeoutMinutes: number } | undefined,
): InputError | undefined {
  if (!wait || strategy.minimumMinutes === 0) return undefined;
  if (wait.timeoutMinutes > strategy.minimumMinutes) return undefined;
  const suggested = Math.ceil(strategy.minimumMinutes) + 15;
  return new InputError(
    'wait-timeout-minutes',
    `is ${wait.timeoutMinutes}, but service ${service} deploys with ${strategy.description}: ECS calls a deployment successful after ${strategy.minimumMinutes} min at the earliest, so the wait would end in a timeout`,
    `set wait-timeout-minutes above ${strategy.minimumMinutes} (e.g. ${suggested}: the bake time plus the time tasks take to start), or set wait-for-service-stability to false to not wait`,
  );
}
