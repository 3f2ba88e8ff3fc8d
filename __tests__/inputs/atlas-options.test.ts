import { InputError, ValidationErrors } from '../../src/errors';
import { versionProblem } from '../../src/inputs/atlas-options';
import { migrateArgFlags } from '../../src/inputs/migrate-args';
import { parseInputs, type RawInputs } from '../../src/inputs/parse';

const ctx = { workspace: '/repo', isFile: () => false };
const base: RawInputs = {
  service: 'api',
  'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/api-migrations',
};

function parse(raw: RawInputs) {
  return parseInputs({ ...base, ...raw }, ctx);
}

function messages(raw: RawInputs): string[] {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationErrors);
    const errors = (error as ValidationErrors).errors;
    for (const e of errors) expect(e).toBeInstanceOf(InputError);
    return errors.map((e) => e.message);
  }
  throw new Error('expected parseInputs to fail');
}

describe('typed Atlas options: accepted values', () => {
  it.each<[string, RawInputs, Record<string, unknown>]>([
    ['baseline timestamp', { baseline: '20240101120000' }, { baseline: '20240101120000' }],
    ['baseline small number', { baseline: '1' }, { baseline: '1' }],
    ['baseline with dots and dashes', { baseline: '2.10.x-20' }, { baseline: '2.10.x-20' }],
    ['baseline of a flyway directory', { baseline: '3_1' }, { baseline: '3_1' }],
    ['baseline with a space', { baseline: '2024 01' }, { baseline: '2024 01' }],
    ['to-version', { 'to-version': '20240310170000' }, { toVersion: '20240310170000' }],
    ['allow-dirty', { 'allow-dirty': 'true' }, { allowDirty: true }],
    ['allow-dirty false', { 'allow-dirty': 'False' }, { allowDirty: false }],
    ['exec-order linear', { 'exec-order': 'linear' }, { execOrder: 'linear' }],
    ['exec-order linear-skip', { 'exec-order': 'linear-skip' }, { execOrder: 'linear-skip' }],
    ['exec-order non-linear', { 'exec-order': 'non-linear' }, { execOrder: 'non-linear' }],
    ['tx-mode file', { 'tx-mode': 'file' }, { txMode: 'file' }],
    ['tx-mode all', { 'tx-mode': 'all' }, { txMode: 'all' }],
    ['tx-mode none', { 'tx-mode': 'none' }, { txMode: 'none' }],
    ['revisions-schema', { 'revisions-schema': 'atlas_meta' }, { revisionsSchema: 'atlas_meta' }],
    [
      'baseline with migrate-args that set other flags',
      { baseline: '5', 'migrate-args': '--tx-mode all --exec-order non-linear 2' },
      { baseline: '5', migrateArgs: ['--tx-mode', 'all', '--exec-order', 'non-linear', '2'] },
    ],
    [
      'allow-dirty false with --baseline in migrate-args',
      { 'allow-dirty': 'false', 'migrate-args': '--baseline 7' },
      { allowDirty: false, migrateArgs: ['--baseline', '7'] },
    ],
    [
      'migrate-args --var for names vars does not set',
      { vars: 'region=eu', 'migrate-args': '--var tier=gold --var=zone=a' },
      { vars: [{ name: 'region', value: 'eu', line: 1 }] },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(parse(raw)).toMatchObject(expected);
  });

  it('reads vars lines, ignoring blank lines, comments and surrounding blanks', () => {
    expect(
      parse({
        vars: '\n  region = eu-west-1  \n\n# tier=silver\ntier=gold\r\nempty=\nurl_path=a=b,c\nnaïve-name=x\n_private=1\n',
      }).vars,
    ).toEqual([
      { name: 'region', value: 'eu-west-1', line: 2 },
      { name: 'tier', value: 'gold', line: 5 },
      { name: 'empty', value: '', line: 6 },
      { name: 'url_path', value: 'a=b,c', line: 7 },
      { name: 'naïve-name', value: 'x', line: 8 },
      { name: '_private', value: '1', line: 9 },
    ]);
  });
});

describe('typed Atlas options: refusals, each naming the input, the value and the fix', () => {
  it.each<[string, RawInputs, string]>([
    [
      'an unknown exec-order',
      { 'exec-order': 'random' },
      "Input 'exec-order': \"random\" is not an execution order: Atlas takes 'linear', 'linear-skip', 'non-linear'. Fix: use 'linear' (the default: an unapplied file older than the last applied one is an error), 'linear-skip' (an unapplied file older than the last applied one is skipped) or 'non-linear' (an unapplied file older than the last applied one is applied too)",
    ],
    [
      'an exec-order in the HCL spelling',
      { 'exec-order': 'LINEAR_SKIP' },
      "Input 'exec-order': \"LINEAR_SKIP\" is not an execution order: Atlas takes 'linear', 'linear-skip', 'non-linear'. Fix: use 'linear-skip'",
    ],
    [
      'an unknown tx-mode',
      { 'tx-mode': 'both' },
      "Input 'tx-mode': \"both\" is not a transaction mode: Atlas takes 'file', 'all', 'none'. Fix: use 'file' (the default: one transaction per file), 'all' (one transaction for all files) or 'none' (no transaction)",
    ],
    [
      'a tx-mode in capitals',
      { 'tx-mode': 'ALL' },
      "Input 'tx-mode': \"ALL\" is not a transaction mode: Atlas takes 'file', 'all', 'none'. Fix: use 'all'",
    ],
    [
      'allow-dirty that is not a boolean',
      { 'allow-dirty': 'yes' },
      "Input 'allow-dirty': \"yes\" is not a boolean. Fix: use 'true' or 'false'",
    ],
    [
      'baseline together with allow-dirty',
      { baseline: '20240101120000', 'allow-dirty': 'true' },
      "Input 'baseline': input 'baseline' (\"20240101120000\") is set together with input 'allow-dirty' (true), which Atlas refuses: baseline and allow-dirty are mutually exclusive. Fix: keep 'baseline' when the database already has the schema up to that version (its first deploy starts after it), or 'allow-dirty' when it holds other objects and every file is to be applied; remove the other",
    ],
    [
      'baseline together with --allow-dirty in migrate-args',
      { baseline: '3', 'migrate-args': '--allow-dirty' },
      "Input 'baseline': input 'baseline' (\"3\") is set together with --allow-dirty in migrate-args, which Atlas refuses: baseline and allow-dirty are mutually exclusive. Fix: keep 'baseline' when the database already has the schema up to that version (its first deploy starts after it), or 'allow-dirty' when it holds other objects and every file is to be applied; remove the other",
    ],
    [
      'allow-dirty together with --baseline in migrate-args',
      { 'allow-dirty': 'true', 'migrate-args': '--baseline=3' },
      "Input 'allow-dirty': --baseline in migrate-args is set together with input 'allow-dirty' (true), which Atlas refuses: baseline and allow-dirty are mutually exclusive. Fix: keep 'baseline' when the database already has the schema up to that version (its first deploy starts after it), or 'allow-dirty' when it holds other objects and every file is to be applied; remove the other",
    ],
    [
      'both in migrate-args',
      { 'migrate-args': '--baseline 3 --allow-dirty' },
      "Input 'migrate-args': --baseline in migrate-args is set together with --allow-dirty in migrate-args, which Atlas refuses: baseline and allow-dirty are mutually exclusive. Fix: keep 'baseline' when the database already has the schema up to that version (its first deploy starts after it), or 'allow-dirty' when it holds other objects and every file is to be applied; remove the other",
    ],
    [
      'a baseline that is a file name without .sql',
      { baseline: '20240101120000_create_users' },
      'Input \'baseline\': "20240101120000_create_users" looks like a file name, not a version: Atlas\'s version of a migration file is its name up to the first _ (20240101120000 for 20240101120000_create_users.sql). Fix: use "20240101120000"',
    ],
    [
      'a baseline that is a file name',
      { baseline: '1.sql' },
      'Input \'baseline\': "1.sql" is a file name, not a version: Atlas\'s version of a migration file is its name up to the first _ (20240101120000 for 20240101120000_create_users.sql). Fix: use "1"',
    ],
    [
      'a to-version that is a path',
      { 'to-version': 'migrations/20240310170000_add_users_name.sql' },
      'Input \'to-version\': "migrations/20240310170000_add_users_name.sql" is a path, not a version: Atlas\'s version of a migration file is its name up to the first _ (20240101120000 for 20240101120000_create_users.sql). Fix: use "20240310170000"',
    ],
    [
      'a to-version that is a flyway file name',
      { 'to-version': 'V3_1__fourth_migration.sql' },
      'Input \'to-version\': "V3_1__fourth_migration.sql" is a file name, not a version: Atlas\'s version of a migration file is its name up to the first _ (20240101120000 for 20240101120000_create_users.sql). Fix: use "3_1"',
    ],
    [
      'a baseline of two lines',
      { baseline: '1\n2' },
      "Input 'baseline': \"1\\n2\" holds a line break or another control character: Atlas's version of a migration file is its name up to the first _ (20240101120000 for 20240101120000_create_users.sql). Fix: give the version of one migration file, e.g. 20240101120000",
    ],
    [
      'a revisions-schema of two lines',
      { 'revisions-schema': 'a\nb' },
      'Input \'revisions-schema\': "a\\nb" holds a line break or another control character. Fix: give one schema name, e.g. atlas_schema_revisions',
    ],
    [
      'a vars line without =',
      { vars: 'region=eu\ntier' },
      'Input \'vars\': line 2 "tier" is not name=value. Fix: write one name=value pair per line, e.g. region=us-east-1',
    ],
    [
      'a vars line with no name',
      { vars: ' = gold' },
      'Input \'vars\': line 1 "= gold" is not name=value. Fix: write one name=value pair per line, e.g. region=us-east-1',
    ],
    [
      'a vars name that is not an HCL identifier',
      { vars: '\n1st=x' },
      'Input \'vars\': line 2: "1st" is not a variable name. Fix: use the label of a variable block of atlas-config: letters, digits, _ and -, not starting with a digit or -',
    ],
    [
      'a vars name with a dot',
      { vars: 'var.region=x' },
      'Input \'vars\': line 1: "var.region" is not a variable name. Fix: use the label of a variable block of atlas-config: letters, digits, _ and -, not starting with a digit or -',
    ],
    [
      'a vars name given twice',
      { vars: 'region=eu\n\nregion=us' },
      'Input \'vars\': line 3 sets "region" a second time (first on line 1). Fix: give each variable once: Atlas would pass both values as a list',
    ],
    [
      'migrate-args --format',
      { 'migrate-args': "--format '{{ .Applied }}'" },
      "Input 'migrate-args': sets --format, which the action sets itself: it always passes --format '{{ json . }}' and reads Atlas's JSON report from the log. Fix: remove --format from migrate-args; the outputs and the step summary come from that report",
    ],
    [
      'migrate-args --format=',
      { 'migrate-args': '--format={{.}}' },
      "Input 'migrate-args': sets --format, which the action sets itself: it always passes --format '{{ json . }}' and reads Atlas's JSON report from the log. Fix: remove --format from migrate-args; the outputs and the step summary come from that report",
    ],
    [
      'migrate-args --log',
      { 'migrate-args': '--log {{.}}' },
      "Input 'migrate-args': sets --log, which Atlas refuses together with the --format '{{ json . }}' the action passes. Fix: remove --log from migrate-args",
    ],
    [
      'migrate-args --dry-run',
      { 'migrate-args': '--dry-run' },
      "Input 'migrate-args': sets --dry-run, which the action sets itself in mode 'plan'. Fix: remove --dry-run from migrate-args and set input 'mode' to 'plan': it runs migrate apply --dry-run once and changes nothing",
    ],
    [
      'migrate-args --baseline with baseline',
      { baseline: '1', 'migrate-args': '--baseline 2' },
      "Input 'migrate-args': sets --baseline, and input 'baseline' sets it too. Fix: remove --baseline from migrate-args and keep input 'baseline'",
    ],
    [
      'migrate-args --allow-dirty with allow-dirty',
      { 'allow-dirty': 'true', 'migrate-args': '--allow-dirty' },
      "Input 'migrate-args': sets --allow-dirty, and input 'allow-dirty' sets it too. Fix: remove --allow-dirty from migrate-args and keep input 'allow-dirty'",
    ],
    [
      'migrate-args --exec-order= with exec-order',
      { 'exec-order': 'linear', 'migrate-args': '--exec-order=non-linear' },
      "Input 'migrate-args': sets --exec-order, and input 'exec-order' sets it too. Fix: remove --exec-order from migrate-args and keep input 'exec-order'",
    ],
    [
      'migrate-args --tx-mode with tx-mode',
      { 'tx-mode': 'none', 'migrate-args': '--tx-mode all' },
      "Input 'migrate-args': sets --tx-mode, and input 'tx-mode' sets it too. Fix: remove --tx-mode from migrate-args and keep input 'tx-mode'",
    ],
    [
      'migrate-args --revisions-schema with revisions-schema',
      { 'revisions-schema': 'a', 'migrate-args': '--revisions-schema b' },
      "Input 'migrate-args': sets --revisions-schema, and input 'revisions-schema' sets it too. Fix: remove --revisions-schema from migrate-args and keep input 'revisions-schema'",
    ],
    [
      'migrate-args --to-version with to-version',
      { 'to-version': '2', 'migrate-args': '--to-version=3' },
      "Input 'migrate-args': sets --to-version, and input 'to-version' sets it too. Fix: remove --to-version from migrate-args and keep input 'to-version'",
    ],
    [
      'migrate-args --var for a name vars sets',
      { vars: 'tier=gold', 'migrate-args': '--var=tier=silver' },
      "Input 'migrate-args': sets --var tier, and input 'vars' sets \"tier\" too. Fix: remove --var tier from migrate-args and keep the line in input 'vars'",
    ],
    [
      'migrate-args repeating a flag',
      { 'migrate-args': '--tx-mode all --tx-mode=none' },
      "Input 'migrate-args': sets --tx-mode twice. Fix: give it once: Atlas keeps only the last value",
    ],
    [
      'migrate-args repeating a boolean flag',
      { 'migrate-args': '--allow-dirty --allow-dirty' },
      "Input 'migrate-args': sets --allow-dirty twice. Fix: give it once",
    ],
    [
      'migrate-args repeating a variable',
      { 'migrate-args': '--var a=1 --var b=2,a=3' },
      "Input 'migrate-args': sets --var a twice. Fix: give each variable once: Atlas would pass both values as a list",
    ],
    [
      'mode that is none of the three',
      { mode: 'job' },
      "Input 'mode': \"job\" is not a mode. Fix: use 'sidecar' or 'run-task' to deploy, or 'plan' to report what a deploy would apply",
    ],
  ])('%s', (_name, raw, message) => {
    expect(messages(raw)).toEqual([message]);
  });

  it('hides a password given as a vars value', () => {
    const [message] = messages({ vars: 'url=postgres://app:hunter2@db:5432/app' });
    expect(message).toBe(
      `Input 'vars': line 1: the value of "url" holds a password (value hidden), which would be in the task definition in plain text. Fix: pass the database URL through input 'database-url-secret' (read it with getenv("DATABASE_URL")), or read the secret in atlas.hcl with a data "runtimevar" block`,
    );
  });

  it('hides a password in a vars line it cannot read', () => {
    const [message] = messages({ vars: 'postgres://app:hunter2@db:5432/app' });
    expect(message).not.toContain('hunter2');
    expect(message).toMatch(/^Input 'vars': line 1 ".*\*\*\*.*" is not name=value/);
  });

  it('hides a password given to --var in migrate-args', () => {
    expect(messages({ 'migrate-args': '--var dsn=host=db,password=hunter2' })).toEqual([
      `Input 'migrate-args': sets a --var whose value holds a password (value hidden), which would be in the task definition in plain text. Fix: pass the database URL through input 'database-url-secret' (read it with getenv("DATABASE_URL")), or read the secret in atlas.hcl with a data "runtimevar" block`,
    ]);
  });

  it('reports a clash once however often the flag appears', () => {
    expect(messages({ 'tx-mode': 'all', 'migrate-args': '--tx-mode all --tx-mode none' })).toEqual([
      "Input 'migrate-args': sets --tx-mode, and input 'tx-mode' sets it too. Fix: remove --tx-mode from migrate-args and keep input 'tx-mode'",
    ]);
  });

  it('still reports a clash when the typed value is itself wrong, with both problems', () => {
    expect(messages({ 'tx-mode': 'both', 'migrate-args': '--tx-mode all' })).toEqual([
      "Input 'tx-mode': \"both\" is not a transaction mode: Atlas takes 'file', 'all', 'none'. Fix: use 'file' (the default: one transaction per file), 'all' (one transaction for all files) or 'none' (no transaction)",
      "Input 'migrate-args': sets --tx-mode, and input 'tx-mode' sets it too. Fix: remove --tx-mode from migrate-args and keep input 'tx-mode'",
    ]);
  });

  it('keeps the existing messages for the flags with inputs of their own', () => {
    expect(messages({ 'migrate-args': '--env prod --dry-run' })).toEqual([
      "Input 'migrate-args': sets --env, which the action sets itself. Fix: use input 'atlas-env'",
      "Input 'migrate-args': sets --dry-run, which the action sets itself in mode 'plan'. Fix: remove --dry-run from migrate-args and set input 'mode' to 'plan': it runs migrate apply --dry-run once and changes nothing",
    ]);
  });

  it('collects every problem of the typed options at once', () => {
    const all = messages({
      baseline: 'x_y',
      'to-version': 'a/b',
      'allow-dirty': 'maybe',
      'exec-order': 'up',
      'tx-mode': 'many',
      'revisions-schema': 'a\tb',
      vars: 'x\n9=1',
      'migrate-args': '--format x',
    });
    expect(all.map((m) => /^Input '([^']+)'/.exec(m)![1])).toEqual([
      'baseline',
      'allow-dirty',
      'exec-order',
      'tx-mode',
      'revisions-schema',
      'to-version',
      'vars',
      'vars',
      'migrate-args',
    ]);
  });
});

describe('versionProblem', () => {
  it.each(['1', '20240101120000', '2.10.x-20', '3_1', '1_2_3', 'v1.2.0', '2024 01', '-1'])(
    'accepts %s, which Atlas can read from a file name',
    (version) => expect(versionProblem(version)).toBeUndefined(),
  );

  it.each([
    ['20240101120000_init', 'looks like a file name, not a version'],
    ['V1__init', 'looks like a file name, not a version'],
    ['1.SQL', 'is a file name, not a version'],
    ['db\\1', 'is a path, not a version'],
    ['1\t2', 'holds a line break or another control character'],
  ])('refuses %s', (version, problem) => expect(versionProblem(version)).toBe(problem));
});

describe('migrateArgFlags', () => {
  it('pairs flags with their values in both forms and skips positional arguments', () => {
    expect(
      migrateArgFlags([
        '--tx-mode',
        'all',
        '--allow-dirty',
        '2',
        '--baseline=3',
        '--var',
        '-weird=1',
        '--unknown',
        '--dry-run',
        '--',
        '--format',
      ]),
    ).toEqual([
      { flag: '--tx-mode', value: 'all' },
      { flag: '--allow-dirty' },
      { flag: '--baseline', value: '3' },
      { flag: '--var', value: '-weird=1' },
      { flag: '--unknown' },
      { flag: '--dry-run' },
    ]);
  });
});
