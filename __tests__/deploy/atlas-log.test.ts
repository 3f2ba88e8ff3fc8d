import {
  DEFAULT_TAIL_LINES,
  MAX_LINE_LENGTH,
  extractAtlasErrors,
  logLines,
  logTail,
} from '../../src/deploy/atlas-log';
import { ATLAS_ERROR_LINE, ATLAS_FAILURE_LOG } from '../helpers/fake-aws';

describe('logLines', () => {
  it('keeps one line per event', () => {
    expect(logLines(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('splits events that hold several lines, whatever the line ending', () => {
    expect(logLines(['a\nb', 'c\r\nd', 'e\rf'])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('drops one trailing newline of an event rather than adding an empty line', () => {
    expect(logLines(['a\n', 'b\r\n'])).toEqual(['a', 'b']);
  });

  it('keeps blank lines inside the log but not at its end', () => {
    expect(logLines(['a', '', 'b', '', ''])).toEqual(['a', '', 'b']);
  });

  it('drops ANSI colour codes and trailing spaces', () => {
    expect(logLines(['\u001b[31mError:\u001b[0m boom   '])).toEqual(['Error: boom']);
  });

  it('hides the password of a database URL that Atlas quotes', () => {
    expect(logLines(['Error: connecting to postgres://app:s3cr3t@db:5432/app: refused'])).toEqual([
      'Error: connecting to postgres://app:***@db:5432/app: refused',
    ]);
  });

  it('gives nothing for no events', () => {
    expect(logLines([])).toEqual([]);
    expect(logLines(['', '\n'])).toEqual([]);
  });
});

describe('extractAtlasErrors', () => {
  it("finds Atlas's error in its migrate apply output", () => {
    expect(extractAtlasErrors(ATLAS_FAILURE_LOG)).toEqual([ATLAS_ERROR_LINE]);
  });

  it('keeps several errors in order, without repeats', () => {
    expect(extractAtlasErrors(['Error: first', 'noise', 'Error: second', 'Error: first'])).toEqual([
      'Error: first',
      'Error: second',
    ]);
  });

  it('accepts leading whitespace, a log router timestamp and colour codes', () => {
    expect(
      extractAtlasErrors([
        '   Error: indented',
        '2024-03-10T17:00:00.123Z Error: stamped',
        '2024-03-10T17:00:00+01:00 Error: offset',
        '\u001b[31mError: coloured\u001b[0m',
      ]),
    ).toEqual(['Error: indented', 'Error: stamped', 'Error: offset', 'Error: coloured']);
  });

  it('ignores lines that only mention an error', () => {
    expect(
      extractAtlasErrors([
        'pq: column "name" of relation "users" already exists',
        '-- 0 migrations ok (1 with errors)',
        'error: lowercase is not Atlas',
        'Errors: plural is not Atlas',
        'SomeError: not at the start',
        'Error:no-space-is-not-it',
      ]),
    ).toEqual([]);
  });

  it('accepts a bare "Error:"', () => {
    expect(extractAtlasErrors(['Error:'])).toEqual(['Error:']);
  });

  it("reads the Error field of a JSON report (--format '{{ json . }}')", () => {
    const report = JSON.stringify({
      Driver: 'postgres',
      Pending: [{ Name: '20240310170000.sql' }],
      Error: 'sql/migrate: execute: boom',
    });
    expect(extractAtlasErrors([report])).toEqual(['Error: sql/migrate: execute: boom']);
  });

  it('does not repeat the JSON report error that stderr also printed', () => {
    const report = JSON.stringify({ Error: 'sql/migrate: boom' });
    expect(extractAtlasErrors([report, 'Error: sql/migrate: boom'])).toEqual([
      'Error: sql/migrate: boom',
    ]);
  });

  it('ignores JSON without a usable Error field, and text that only looks like JSON', () => {
    expect(
      extractAtlasErrors([
        JSON.stringify({ Error: '' }),
        JSON.stringify({ Error: { Text: 'nested' } }),
        JSON.stringify({ Applied: [] }),
        '["Error"]',
        '{"Error": broken}',
      ]),
    ).toEqual([]);
  });

  it('cuts very long error lines', () => {
    const [line] = extractAtlasErrors([`Error: ${'x'.repeat(MAX_LINE_LENGTH * 2)}`]);
    expect(line).toHaveLength(MAX_LINE_LENGTH);
    expect(line!.endsWith('…')).toBe(true);
  });
});

describe('logTail', () => {
  const lines = Array.from({ length: 80 }, (_, i) => `line ${i + 1}`);

  it(`keeps the last ${DEFAULT_TAIL_LINES} lines by default`, () => {
    const tail = logTail(lines);
    expect(tail).toHaveLength(DEFAULT_TAIL_LINES);
    expect(tail[0]).toBe('line 31');
    expect(tail[tail.length - 1]).toBe('line 80');
  });

  it('keeps everything when the log is shorter', () => {
    expect(logTail(['a', 'b'], 10)).toEqual(['a', 'b']);
  });

  it('keeps nothing for a zero or negative size', () => {
    expect(logTail(lines, 0)).toEqual([]);
    expect(logTail(lines, -3)).toEqual([]);
  });

  it('cuts long lines', () => {
    const [line] = logTail(['y'.repeat(MAX_LINE_LENGTH + 5)], 1);
    expect(line).toHaveLength(MAX_LINE_LENGTH);
  });
});
