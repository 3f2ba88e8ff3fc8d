import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, ValidationErrors } from '../../src/errors';
import { readMigrationProject } from '../../src/files/read-project';
import { inspectAtlasConfig, type AtlasConfigOptions } from '../../src/migrations/atlas-config';
import { declaredVariables, undeclaredVarProblems } from '../../src/migrations/atlas-vars';
import { outlineHcl } from '../../src/migrations/hcl-outline';
import { computeAtlasSum } from '../../src/migrations/atlas-sum';

const hcl = (...lines: string[]): string => `${lines.join('\n')}\n`;
const OPTS: AtlasConfigOptions = { file: 'atlas.hcl', env: 'deploy', migrationsDir: 'migrations' };

const WITH_VARIABLES = hcl(
  '# Input variables, filled with --var name=value.', // 1
  'variable "region" {', // 2
  '  type    = string',
  '  default = "us-east-1"',
  '}',
  '', // 6
  'variable "tier" {', // 7
  '  type = string',
  '}',
  '',
  'env "deploy" {', // 11
  '  url = getenv("DATABASE_URL")',
  '  migration {',
  '    dir = "file://migrations"',
  '  }',
  '  variable "nested" {', // 16: not a top-level variable block
  '    type = string',
  '  }',
  '}',
);

describe('declaredVariables', () => {
  it('lists the top-level variable blocks with their lines, in file order', () => {
    expect(declaredVariables(outlineHcl(WITH_VARIABLES))).toEqual([
      { name: 'region', line: 2 },
      { name: 'tier', line: 7 },
    ]);
  });

  it('ignores blocks that are not one-label variable blocks', () => {
    const text = hcl('variable {', '}', 'variable "a" "b" {', '}', 'locals {', '  x = 1', '}');
    expect(declaredVariables(outlineHcl(text))).toEqual([]);
  });
});

describe('undeclaredVarProblems', () => {
  const root = outlineHcl(WITH_VARIABLES);

  it('accepts names the file declares', () => {
    expect(
      undeclaredVarProblems(root, 'atlas.hcl', [
        { name: 'tier', line: 1 },
        { name: 'region', line: 3 },
      ]),
    ).toEqual([]);
  });

  it('names the input, its line, the name, the file and the declared variables with their lines', () => {
    const [problem, ...rest] = undeclaredVarProblems(root, 'db/atlas.hcl', [
      { name: 'zone', line: 4 },
    ]);
    expect(rest).toEqual([]);
    expect(problem).toBeInstanceOf(InputError);
    expect(problem!.input).toBe('vars');
    expect(problem!.message).toBe(
      `Input 'vars': line 4 sets "zone", but db/atlas.hcl declares no variable "zone" (its variables: "region" on line 2, "tier" on line 7), and Atlas ignores a value no variable block takes. Fix: use one of the declared names, declare it in db/atlas.hcl (variable "zone" { type = string }), or remove the line`,
    );
  });

  it('suggests the declared name a typo meant', () => {
    const problems = undeclaredVarProblems(root, 'atlas.hcl', [
      { name: 'regoin', line: 1 },
      { name: 'Tier', line: 2 },
      { name: 'nested', line: 3 },
    ]);
    expect(problems.map((p) => p.fix)).toEqual([
      'use "region" (declared on line 2), or declare it in atlas.hcl (variable "regoin" { type = string })',
      'use "tier" (declared on line 7), or declare it in atlas.hcl (variable "Tier" { type = string })',
      'use one of the declared names, declare it in atlas.hcl (variable "nested" { type = string }), or remove the line',
    ]);
  });

  it('says so when the file declares no variable', () => {
    const [problem] = undeclaredVarProblems(outlineHcl(hcl('env "deploy" {', '}')), 'atlas.hcl', [
      { name: 'region', line: 1 },
    ]);
    expect(problem!.message).toBe(
      `Input 'vars': line 1 sets "region", but atlas.hcl declares no variable "region" (it declares no variable), and Atlas ignores a value no variable block takes. Fix: declare it in atlas.hcl (variable "region" { type = string }), or remove the line`,
    );
  });
});

describe('inspectAtlasConfig with vars', () => {
  it('reports undeclared vars as input problems, next to the file problems', async () => {
    const report = await inspectAtlasConfig(WITH_VARIABLES, {
      ...OPTS,
      env: 'staging',
      vars: [
        { name: 'tier', line: 1 },
        { name: 'zone', line: 2 },
      ],
    });
    expect(report.problems.map((p) => p.problem)).toEqual([
      `env "staging" is not defined in atlas.hcl (the envs defined are "deploy"), so 'atlas migrate apply --env staging' would fail`,
    ]);
    expect(report.inputProblems?.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /^Input 'vars': line 2 sets "zone", but atlas\.hcl declares no variable "zone"/,
      ),
    ]);
  });

  it('adds no input problem when every name is declared', async () => {
    const declared = await inspectAtlasConfig(WITH_VARIABLES, {
      ...OPTS,
      vars: [
        { name: 'region', line: 1 },
        { name: 'tier', line: 2 },
      ],
    });
    expect(declared).toMatchObject({ problems: [], warnings: [], migrationDir: 'migrations' });
    expect(declared.inputProblems).toBeUndefined();
  });

  it('without vars, reports only the variable Atlas has no value for (tier has no default)', async () => {
    const report = await inspectAtlasConfig(WITH_VARIABLES, OPTS);
    expect(report.inputProblems).toBeUndefined();
    expect(report.problems.map((p) => [p.location.line, p.problem])).toEqual([
      [
        7,
        expect.stringMatching(/^variable "tier" has no default and input 'vars' does not set it/),
      ],
    ]);
  });
});

describe('readMigrationProject with vars', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'atlas-vars-'));
    await fs.mkdir(path.join(root, 'migrations'));
    await fs.writeFile(path.join(root, 'atlas.hcl'), WITH_VARIABLES);
    const init = Buffer.from('CREATE TABLE t (id int);\n');
    await fs.writeFile(path.join(root, 'migrations', '1_init.sql'), init);
    await fs.writeFile(
      path.join(root, 'migrations', 'atlas.sum'),
      computeAtlasSum([{ name: '1_init.sql', content: init }]),
    );
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  const read = (vars?: { name: string; line: number }[]) =>
    readMigrationProject({
      workspace: root,
      migrationsDir: 'migrations',
      atlasConfig: 'atlas.hcl',
      atlasEnv: 'deploy',
      ...(vars ? { vars } : {}),
    });

  it('passes the names through to the atlas.hcl check', async () => {
    await expect(
      read([
        { name: 'region', line: 1 },
        { name: 'tier', line: 2 },
      ]),
    ).resolves.toMatchObject({ migrations: ['1_init.sql'] });
    const error = await read([
      { name: 'tier', line: 2 },
      { name: 'zone', line: 3 },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationErrors);
    expect((error as ValidationErrors).errors.map((e) => e.message)).toEqual([
      `Input 'vars': line 3 sets "zone", but atlas.hcl declares no variable "zone" (its variables: "region" on line 2, "tier" on line 7), and Atlas ignores a value no variable block takes. Fix: use one of the declared names, declare it in atlas.hcl (variable "zone" { type = string }), or remove the line`,
    ]);
  });

  it('without vars, refuses only the variable with no default, which Atlas would stop on', async () => {
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationErrors);
    expect((error as ValidationErrors).errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^atlas\.hcl:7:1: variable "tier" has no default/),
    ]);
  });
});
