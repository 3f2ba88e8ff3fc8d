import { checkWaitCoversRollout, deploymentStrategy } from '../../src/deploy/deployment-strategy';

describe('deploymentStrategy', () => {
  it('is ROLLING with nothing to wait for when the service names no strategy', () => {
    expect(deploymentStrategy(undefined)).toEqual({
      name: 'ROLLING',
      bakeTimeMinutes: 0,
      minimumMinutes: 0,
      description: 'ROLLING',
    });
    expect(deploymentStrategy({ strategy: 'ROLLING', bakeTimeInMinutes: 30 }).minimumMinutes).toBe(
      0,
    );
  });

  it('waits the bake time of a blue/green deployment', () => {
    expect(deploymentStrategy({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 })).toEqual({
      name: 'BLUE_GREEN',
      bakeTimeMinutes: 15,
      minimumMinutes: 15,
      description: 'BLUE_GREEN with a 15 min bake time',
    });
  });

  it('adds the step bake times between linear traffic shifts', () => {
    const linear = deploymentStrategy({
      strategy: 'LINEAR',
      bakeTimeInMinutes: 10,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 5 },
    });
    // 4 shifts (25, 50, 75, 100), 3 waits of 5 min between them, then 10 min of bake time.
    expect(linear.minimumMinutes).toBe(25);
    expect(linear.description).toBe(
      'LINEAR (4 traffic shifts of 25%, 5 min apart, then a 10 min bake time)',
    );
    // A step that does not divide 100 still ends at 100 %: ceil(100 / 30) = 4 shifts.
    expect(
      deploymentStrategy({
        strategy: 'LINEAR',
        linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 2 },
      }).minimumMinutes,
    ).toBe(6);
  });

  it('adds the canary bake time to the bake time', () => {
    const canary = deploymentStrategy({
      strategy: 'CANARY',
      bakeTimeInMinutes: 5,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 20 },
    });
    expect(canary.minimumMinutes).toBe(25);
    expect(canary.description).toContain('10% of traffic for 20 min');
  });

  it('ignores negative or missing bake times', () => {
    expect(
      deploymentStrategy({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: -3 }).minimumMinutes,
    ).toBe(0);
    expect(deploymentStrategy({ strategy: 'CANARY' }).minimumMinutes).toBe(0);
  });
});

describe('checkWaitCoversRollout', () => {
  const blueGreen = deploymentStrategy({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });

  it('refuses a wait that cannot outlast the bake time, naming the input, the value and the fix', () => {
    const error = checkWaitCoversRollout(blueGreen, 'web', { timeoutMinutes: 30 });
    expect(error?.input).toBe('wait-timeout-minutes');
    expect(error?.message).toBe(
      "Input 'wait-timeout-minutes': is 30, but service web deploys with BLUE_GREEN with a 30 min bake time: ECS calls a deployment successful after 30 min at the earliest, so the wait would end in a timeout. Fix: set wait-timeout-minutes above 30 (e.g. 45: the bake time plus the time tasks take to start), or set wait-for-service-stability to false to not wait",
    );
  });

  it('accepts a longer wait, no wait, and rolling services', () => {
    expect(checkWaitCoversRollout(blueGreen, 'web', { timeoutMinutes: 31 })).toBeUndefined();
    expect(checkWaitCoversRollout(blueGreen, 'web', undefined)).toBeUndefined();
    expect(
      checkWaitCoversRollout(deploymentStrategy(undefined), 'web', { timeoutMinutes: 1 }),
    ).toBeUndefined();
  });
});
