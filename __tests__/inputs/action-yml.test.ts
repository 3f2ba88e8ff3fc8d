import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { INPUT_NAMES } from '../../src/inputs/parse';

/** The inputs section of action.yml: each input's name, description and default. */
function declaredInputs(): Map<string, { description: string; default?: string }> {
  const text = readFileSync(path.join(__dirname, '../../action.yml'), 'utf8');
  const section = text.slice(text.indexOf('\ninputs:\n'), text.indexOf('\noutputs:\n'));
  const inputs = new Map<string, { description: string; default?: string }>();
  let current: { description: string; default?: string } | undefined;
  for (const line of section.split('\n')) {
    const name = /^ {2}([a-z-]+):$/.exec(line);
    if (name) inputs.set(name[1]!, (current = { description: '' }));
    const description = /^ {4}description: (.*)$/.exec(line);
    if (description && current) current.description = description[1]!;
    const fallback = /^ {4}default: '(.*)'$/.exec(line);
    if (fallback && current) current.default = fallback[1]!;
  }
  return inputs;
}

describe('action.yml', () => {
  it('declares exactly the inputs the action reads', () => {
    expect([...declaredInputs().keys()].sort()).toEqual([...INPUT_NAMES].sort());
  });

  it.each(['baseline', 'exec-order', 'tx-mode', 'revisions-schema', 'to-version', 'vars'])(
    'declares %s with a description and no default',
    (name) => {
      const input = declaredInputs().get(name);
      expect(input?.description).not.toBe('');
      expect(input?.default).toBeUndefined();
    },
  );

  it("declares allow-dirty with the default 'false'", () => {
    expect(declaredInputs().get('allow-dirty')?.default).toBe('false');
  });

  it("declares github-token with the workflow's token as its default, environment with none", () => {
    expect(declaredInputs().get('github-token')?.default).toBe('${{ github.token }}');
    expect(declaredInputs().get('environment')?.default).toBeUndefined();
  });
});

describe('action.yml outputs', () => {
  it('declares every output a run sets, each with a description', () => {
    const text = readFileSync(path.join(__dirname, '../../action.yml'), 'utf8');
    const section = text.slice(text.indexOf('\noutputs:\n'), text.indexOf('\nruns:\n'));
    const declared = [...section.matchAll(/^ {2}([a-z-]+):\n {4}description: .+$/gm)].map(
      (m) => m[1],
    );
    expect(declared).toEqual([
      'image',
      'image-digest',
      'task-definition-arn',
      'task-definition-file',
      'deployment-id',
      'migration-status',
      'current-version',
      'target-version',
      'applied-count',
      'pending-count',
      'migration-report',
      'github-deployment-id',
    ]);
  });
});
