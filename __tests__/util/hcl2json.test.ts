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

  function runScript(lines: string[]) {
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', lines.join('\n')],
      { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.error).toBeUndefined(); // not killed by the timeout: nothing held it open
    return { status: run.status, stdout: run.stdout.trim() };
  }

  it('keeps the process alive while a parse waits, and lets it exit after', () => {
    const run = runScript([
      "const { parse } = require('./src/util/hcl2json');",
      "parse('atlas.hcl', 'a = 1\\n').then((result) => console.log(JSON.stringify(result)));",
    ]);
    expect(run).toEqual({ status: 0, stdout: '{"a":1}' });
  });

  it('started ahead and never used (a run refused on its inputs), lets the process exit', () => {
    const run = runScript([
      "require('./src/util/hcl2json').startHclParser();",
      "console.log('started');",
    ]);
    expect(run).toEqual({ status: 0, stdout: 'started' });
  });
});
