// Full garbage collections while the phases that stream a whole migration directory run (read and
// verify, layer build, push). V8 collects when its heuristics say so: while 200 MB stream through
// 64 KiB buffers, dead buffers, the released HCL parser and the young generation pile up, and the
// peak RSS of a 200 MB migration directory went past 200 MB (measured: npm run bench, memory and
// scale). The runner starts node without flags, so `gc` is exposed at run time; a full collection
// of this ~50 MB heap takes a few tens of milliseconds, every COLLECT_EVERY_MS.
// Only while the process is above COLLECT_ABOVE_RSS, though: a run that stays below it is far from
// the bound, and there the collections were pure cost (~150-300 ms of CPU in a small publish,
// measured: npm run bench, buildah comparison).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export const COLLECT_EVERY_MS = 300;
/** A small run (a few hundred migrations, a 40 MB base layer relayed) peaks near 135 MB. */
export const COLLECT_ABOVE_RSS = 144 * 1024 * 1024;

export interface CollectingOptions {
  /** Collect only while the resident set is above this many bytes. Default COLLECT_ABOVE_RSS. */
  aboveRss?: number;
  /** Default collectGarbage. */
  collect?: () => void;
  /** Default process.memoryUsage.rss. */
  rss?: () => number;
}

/**
 * Runs `work` with a full collection every COLLECT_EVERY_MS, and one when it ends, each only
 * while the resident set is above `aboveRss`.
 */
export async function collectingGarbage<T>(
  work: () => Promise<T>,
  options: CollectingOptions = {},
): Promise<T> {
  const aboveRss = options.aboveRss ?? COLLECT_ABOVE_RSS;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const collectNow = options.collect ?? collectGarbage;
  const collectIfLarge = () => {
    if (rss() > aboveRss) collectNow();
  };
  const timer = setInterval(collectIfLarge, COLLECT_EVERY_MS);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    collectIfLarge();
  }
}
