import { collectGarbage, collectingGarbage } from '../../src/util/collect-garbage';

describe('collectingGarbage', () => {
  it('gives the work’s result, and collects while it runs and when it ends', async () => {
    const result = await collectingGarbage(async () => {
      await new Promise((resolve) => setTimeout(resolve, 350));
      return 'built';
    });
    expect(result).toBe('built');
    // gc is exposed from then on, so collecting again needs no set-up.
    expect(() => collectGarbage()).not.toThrow();
  });

  it('passes the work’s failure on and stops collecting', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      await expect(
        collectingGarbage(() => Promise.reject(new Error('push failed'))),
      ).rejects.toThrow('push failed');
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
