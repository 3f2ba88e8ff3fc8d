// The HCL parser's thread: answers, errors as HCL gives them, release and restart, and a process
// that stays open only while a parse is waiting.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { getExpressionAst, parse, releaseHclParser } from '../../src/util/hcl2json';

afterEach(() => releaseHclParser());

describe('the HCL parser thread', () => {
  it('parses, gives HCL diagnostics for bad input, and starts again after a release', async () => {
    expect(await parse('atlas.hcl', 'env "deploy" {\n  url = "x"\n}\n')).toEqual({
      env: { deploy: [{ url: 'x' }] },
    });
    await expect(parse('atlas.hcl', 'env "deploy" {\n  url = \n}\n')).rejects.toThrow(
      /^parse config: /,
    );
    releaseHclParser();
    expect(await getExpressionAst('atlas.hcl', 'var.url')).toMatchObject({
      type: 'scopeTraversal',
    });
  });

  it('fails a parse still waiting when the parser is released, instead of leaving it pending', async () => {
    const waiting = parse('atlas.hcl', 'a = 1\n');
    releaseHclParser();
    await expect(waiting).rejects.toThrow('the HCL parser was released');
    expect(await parse('atlas.hcl', 'a = 1\n')).toEqual({ a: 1 });
  });

  it('keeps the process alive while a parse waits, and lets it exit after', () => {
    const script = [
      "const { parse } = require('./src/util/hcl2json');",
      "parse('atlas.hcl', 'a = 1\\n').then((result) => console.log(JSON.stringify(result)));",
    ].join('\n');
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', script],
      { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.error).toBeUndefined(); // not killed by the timeout: nothing held it open
    expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({
      status: 0,
      stdout: '{"a":1}',
    });
  });
});
