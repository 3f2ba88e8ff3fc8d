import { outlineHcl as outline, type HclBlock } from '../../src/migrations/hcl-outline';
import { hclSyntaxProblems } from '../../src/migrations/hcl-syntax';

/** The outline's contract starts where HashiCorp's parser has accepted the file. */
async function outlineHcl(text: string): Promise<HclBlock> {
  expect(await hclSyntaxProblems('test.hcl', text)).toEqual([]);
  return outline(text);
}

/** Blocks as `type label…` → their attributes as `name@line:column = expression`. */
function summary(block: HclBlock): unknown {
  return {
    attributes: block.attributes.map((a) => `${a.name}@${a.line}:${a.column} = ${a.expression}`),
    blocks: block.blocks.map((b) => ({
      [`${[b.type, ...b.labels].join(' ')}@${b.line}:${b.column}`]: summary(b),
    })),
  };
}

describe('outlineHcl', () => {
  it('finds blocks, labels and attributes with their positions', async () => {
    const text = [
      '# a comment with env "fake" {',
      'env "deploy" {',
      '  url = "postgres://u@h/db" // trailing comment',
      '  migration {',
      '    dir    = "file://migrations"',
      '    format = golang-migrate',
      '  }',
      '}',
      'env {',
      '  name = atlas.env',
      '}',
      'data "external_schema" orm {',
      '  program = ["go", "run", "./loader"]',
      '}',
      '',
    ].join('\n');
    expect(summary(await outlineHcl(text))).toEqual({
      attributes: [],
      blocks: [
        {
          'env deploy@2:1': {
            attributes: ['url@3:3 = "postgres://u@h/db"'],
            blocks: [
              {
                'migration@4:3': {
                  attributes: ['dir@5:5 = "file://migrations"', 'format@6:5 = golang-migrate'],
                  blocks: [],
                },
              },
            ],
          },
        },
        { 'env@9:1': { attributes: ['name@10:3 = atlas.env'], blocks: [] } },
        {
          'data external_schema orm@12:1': {
            attributes: ['program@13:3 = ["go", "run", "./loader"]'],
            blocks: [],
          },
        },
      ],
    });
  });

  it('reads one-line blocks and multi-line expressions', async () => {
    const text = [
      'env "a" {',
      '  migration { dir = "file://x" }',
      '}',
      'env "b" {',
      '  schemas = [',
      '    "public", # first',
      '    "app",',
      '  ]',
      '  url = (',
      '    "postgres://h/db"',
      '  )',
      '  exclude = { a = "}", b = "{" }',
      '}',
    ].join('\n');
    expect(summary(await outlineHcl(text))).toEqual({
      attributes: [],
      blocks: [
        {
          'env a@1:1': {
            attributes: [],
            blocks: [{ 'migration@2:3': { attributes: ['dir@2:15 = "file://x"'], blocks: [] } }],
          },
        },
        {
          'env b@4:1': {
            attributes: [
              'schemas@5:3 = [\n    "public", # first\n    "app",\n  ]',
              'url@9:3 = (\n    "postgres://h/db"\n  )',
              'exclude@12:3 = { a = "}", b = "{" }',
            ],
            blocks: [],
          },
        },
      ],
    });
  });

  it('skips strings with template sequences, heredocs and comments that look like structure', async () => {
    const text = [
      'locals {',
      '  dir = "file://${lookup({ a = "}" }, "a", "x")}/m"',
      '  sql = <<-SQL',
      '    env "fake" {',
      '      url = "postgres://u:p@h/db"',
      '    }',
      '    SQL',
      '  /* env "also_fake" {',
      '  } */',
      '  note = "a \\" quote { and brace"',
      '}',
      'env "real" {}',
    ].join('\n');
    const root = await outlineHcl(text);
    expect(root.blocks.map((b) => [b.type, ...b.labels].join(' '))).toEqual(['locals', 'env real']);
    expect(root.blocks[0]!.attributes.map((a) => [a.name, a.line])).toEqual([
      ['dir', 2],
      ['sql', 3],
      ['note', 10],
    ]);
    expect(root.blocks[0]!.attributes[0]!.expression).toBe(
      '"file://${lookup({ a = "}" }, "a", "x")}/m"',
    );
    expect(root.blocks[0]!.attributes[1]!.expression).toBe(
      '<<-SQL\n    env "fake" {\n      url = "postgres://u:p@h/db"\n    }\n    SQL',
    );
  });

  it('counts columns in characters, handles CRLF, a BOM and escaped labels', async () => {
    const text = '\uFEFFenv "d\\u00e9ploy" {\r\n  url = "é" # ü\r\n  dev = "x"\r\n}\r\n';
    const [env] = (await outlineHcl(text)).blocks;
    expect(env!.labels).toEqual(['déploy']);
    expect(env!.attributes.map((a) => `${a.name}@${a.line}:${a.column} = ${a.expression}`)).toEqual(
      ['url@2:3 = "é"', 'dev@3:3 = "x"'],
    );
    const wide = (await outlineHcl('locals { ü = "é" }\n')).blocks[0]!;
    expect(wide.attributes[0]).toMatchObject({ name: 'ü', line: 1, column: 10 });
  });

  it('refuses input the HCL parser would have rejected, instead of guessing', () => {
    expect(() => outline('env "a" {\n')).toThrow(/expected a closing brace/);
    expect(() => outline('}')).toThrow(/expected an attribute or block/);
  });
});
