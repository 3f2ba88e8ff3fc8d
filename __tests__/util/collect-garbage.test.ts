import { collectGarbage, collectingGarbage } from '../../src/util/collect-garbage';

/** Runs `collectingGarbage` over 350 ms of work on fake timers: one 300 ms tick, then the end. */
async function over350ms(options: Parameters<typeof collectingGarbage>[1]): Promise<string> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  try {
    const running = collectingGarbage(async () => {
      await new Promise((resolve) => setTimeout(resolve, 350));
      return 'built';
    }, options);
    await jest.advanceTimersByTimeAsync(350);
    return await running;
  } finally {
    jest.useRealTimers();
  }
}

describe('collectingGarbage', () => {
  it('gives the work’s result, and collects while it runs and when it ends', async () => {
    let collections = 0;
    const result = await over350ms({ aboveRss: 0, collect: () => collections++ });
    expect(result).toBe('built');
    // One on the 300 ms tick, one at the end.
    expect(collections).toBe(2);
  });

  it('collects nothing while the resident set stays below the threshold', async () => {
    let collections = 0;
    const rssSeen: number[] = [];
    const result = await over350ms({
      aboveRss: 100,
      rss: () => {
        rssSeen.push(100);
        return 100;
      },
      collect: () => collections++,
    });
    expect(result).toBe('built');
    expect(rssSeen).toHaveLength(2);
    expect(collections).toBe(0);
  });

  it('collects for real: gc is exposed once and can be called again', () => {
    expect(() => collectGarbage()).not.toThrow();
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
