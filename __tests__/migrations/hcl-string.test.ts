import { readQuotedString, stringLiteralValue } from '../../src/migrations/hcl-string';

describe('stringLiteralValue', () => {
  it.each([
    ['"file://migrations"', 'file://migrations'],
    ['""', ''],
    ['"a\\"b\\\\c\\n\\t\\r"', 'a"b\\c\n\t\r'],
    ['"caf\\u00e9 \\U0001F600"', 'café 😀'],
    ['"literal $${x} and %%{y}"', 'literal ${x} and %{y}'],
    ['"$$${x}"', '$${x}'],
    ['"é"', 'é'],
  ])('decodes %s', (raw, value) => {
    expect(stringLiteralValue(raw)).toBe(value);
  });

  it.each([
    '"file://${local.dir}"',
    '"%{ if true }a%{ endif }"',
    'local.dir',
    'getenv("X")',
    '"a" == "b"',
    '<<EOF\nx\nEOF',
    '"bad \\q escape"',
    '"\\u12"',
    '42',
  ])('has no literal value for %s', (raw) => {
    expect(stringLiteralValue(raw)).toBeUndefined();
  });
});

describe('readQuotedString', () => {
  it('keeps the literal text before the first template sequence', () => {
    expect(readQuotedString('"postgres://u:pw@${local.host}/db"')).toEqual({
      prefix: 'postgres://u:pw@',
      literal: false,
    });
    expect(readQuotedString('"${"}"}tail"')).toEqual({ prefix: '', literal: false });
  });

  it('is undefined for anything that is not one quoted string', () => {
    expect(readQuotedString('"${x}" == "y"')).toBeUndefined();
    expect(readQuotedString('"${unclosed"')).toBeUndefined();
  });
});
