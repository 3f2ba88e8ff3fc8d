// What actionlint does not check in the workflows (the repository's and the examples users copy)
// and the README's snippets: third-party actions pinned by full commit SHA with the version in a
// comment, `permissions:` declared, and this action given only inputs action.yml declares.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { INPUT_NAMES } from '../../src/inputs/parse';

const ROOT = path.join(__dirname, '..', '..');
const THIS_ACTION = 'acme/atlas-ecs-deploy';

const WORKFLOWS = ['.github/workflows', 'examples/workflows'].flatMap((dir) =>
  readdirSync(path.join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.posix.join(dir, name)),
);

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  permissions?: unknown;
  jobs: Record<string, { permissions?: unknown; steps?: Step[] }>;
}

/** `uses:` lines of workflows and of the README's yaml blocks, with where they are. */
function usesLines(): { where: string; line: string }[] {
  const found: { where: string; line: string }[] = [];
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  let inYaml = false;
  readme.forEach((line, i) => {
    if (/^```yaml\s*$/.test(line)) inYaml = true;
    else if (/^```\s*$/.test(line)) inYaml = false;
    else if (inYaml && /\buses:/.test(line)) found.push({ where: `README.md:${i + 1}`, line });
  });
  for (const file of WORKFLOWS) {
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(?:- )?uses:/.test(line)) found.push({ where: `${file}:${i + 1}`, line });
      });
  }
  return found;
}

describe('workflows and README snippets', () => {
  it('finds the workflows and the snippets to check', () => {
    expect(WORKFLOWS).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/release.yml',
        'examples/workflows/deploy.yml',
      ]),
    );
    expect(usesLines().filter((u) => u.where.startsWith('README.md')).length).toBeGreaterThan(0);
    expect(
      usesLines().filter((u) => u.where.startsWith('examples/') && u.line.includes(THIS_ACTION)),
    ).not.toEqual([]);
  });

  it('pin every third-party action by full commit SHA, with its version in a comment', () => {
    const unpinned = usesLines().filter(({ line }) => {
      const ref = /uses:\s*(\S+)/.exec(line)![1]!;
      if (ref.startsWith('./') || ref.startsWith('docker://') || ref.startsWith(`${THIS_ACTION}@`))
        return false;
      return !/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(line);
    });
    expect(unpinned).toEqual([]);
  });

  it.each(WORKFLOWS)('%s declares its permissions, never write-all', (file) => {
    const workflow = parse(readFileSync(path.join(ROOT, file), 'utf8')) as Workflow;
    const jobs = Object.values(workflow.jobs);
    expect(
      workflow.permissions !== undefined || jobs.every((j) => j.permissions !== undefined),
    ).toBe(true);
    expect(JSON.stringify([workflow.permissions, ...jobs.map((j) => j.permissions)])).not.toMatch(
      /write-all/,
    );
  });

  it.each(WORKFLOWS)('%s gives this action only inputs action.yml declares', (file) => {
    const workflow = parse(readFileSync(path.join(ROOT, file), 'utf8')) as Workflow;
    const given = Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith(`${THIS_ACTION}@`) || step.uses === './')
      .flatMap((step) => Object.keys(step.with ?? {}));
    expect(given.filter((name) => !(INPUT_NAMES as readonly string[]).includes(name))).toEqual([]);
  });
});
