import { readExpression } from '../../src/migrations/hcl-expression';
import { outlineHcl } from '../../src/migrations/hcl-outline';

async function facts(text: string, withText = true) {
  const attr = outlineHcl(text).blocks[0]!.attributes[0]!;
  return readExpression(attr, withText ? text : undefined);
}

describe('readExpression', () => {
  it('places calls and references by characters, on later lines too, with CRLF', async () => {
    const text =
      'env "x" {\r\n  url = "é${getenv("A")}" == "" ? [\r\n    local.b,\r\n  ] : var.c\r\n}\r\n';
    const read = await facts(text);
    expect(read.calls.map((c) => [c.name, c.literalArg, c.at])).toEqual([
      ['getenv', 'A', { line: 2, column: 13 }],
    ]);
    expect(read.references.map((r) => [r.segments, r.inTemplate, r.at])).toEqual([
      [['local', 'b'], false, { line: 3, column: 5 }],
      [['var', 'c'], false, { line: 4, column: 7 }],
    ]);
  });

  it('leaves out the columns of the first line without the file text', async () => {
    const read = await facts('env "x" {\n  url   =   getenv("A")\n}\n', false);
    expect(read.calls.map((c) => c.at)).toEqual([{ line: 2 }]);
    expect((await facts('env "x" {\n  url   =   getenv("A")\n}\n')).calls[0]!.at).toEqual({
      line: 2,
      column: 13,
    });
  });

  it('reads indexes by literal strings as names, and stops at other indexes', async () => {
    const read = await facts('locals {\n  a = local.m["k"].x[0].y\n}\n');
    expect(read.references.map((r) => r.segments)).toEqual([['local', 'm', 'k', 'x']]);
  });

  it('gives up quietly on an expression the parser will not take alone', async () => {
    const attr = { name: 'a', line: 1, column: 1, expression: '"unterminated' };
    expect(await readExpression(attr)).toEqual({ calls: [], references: [] });
  });
});
