import { lineColumn, scanJson } from '../../src/taskdef/json-scan';

describe('scanJson', () => {
  const valid = [
    '{}',
    '[]',
    ' {"a": [1, -2.5e+3, 0, true, false, null, "x\\n\\u00e9\\"", {"b/c~d": {}}]} ',
    '"just a string"',
    '0',
  ];
  it.each(valid)('accepts what JSON.parse accepts: %s', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(scanJson(text).errorOffset).toBeUndefined();
  });

  const invalid: [string, number][] = [
    ['{"a": tru}', 9],
    ['{"a": 1,}', 8],
    ['[1 2]', 3],
    ['{"a" 1}', 5],
    ['{"a": "x\ny"}', 8],
    ['{"a": 01}', 7],
    ['{"a": "\\q"}', 8],
    ['{} x', 3],
    ['[1,', 3],
    ['{"a": -}', 7],
  ];
  it.each(invalid)('rejects %j at offset %d, as JSON.parse does', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(scanJson(text).errorOffset).toBe(offset);
  });

  it('records where values start, by JSON pointer', () => {
    const text = '{\n  "a/b": [\n    {"~x": 1}\n  ]\n}';
    const { offsets } = scanJson(text);
    expect(offsets.get('')).toBe(0);
    expect(lineColumn(text, offsets.get('/a~1b')!)).toEqual({ line: 2, column: 10 });
    expect(lineColumn(text, offsets.get('/a~1b/0')!)).toEqual({ line: 3, column: 5 });
    expect(lineColumn(text, offsets.get('/a~1b/0/~0x')!)).toEqual({ line: 3, column: 12 });
  });

  it('gives up on positions instead of overflowing the stack', () => {
    const deep = '['.repeat(200000) + ']'.repeat(200000);
    expect(() => scanJson(deep)).not.toThrow();
  });
});
