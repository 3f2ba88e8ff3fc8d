import { formatDuration } from '../../src/util/duration';

it.each([
  [50, '50 ms'],
  [1500, '1.5 s'],
  [15_000, '15 s'],
  [90_000, '90 s'],
  [1_800_000, '30 min'],
])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
