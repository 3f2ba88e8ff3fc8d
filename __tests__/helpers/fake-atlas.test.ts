// The fake Atlas the loopback ECS plays in the migration container: its report must look like
// Atlas's (cmdlog MigrateApply as Go marshals it, or the text template), its pending-file rules
// like sql/migrate's, and the scenarios must run it from the registered task definition's command.
import { createGzip } from 'node:zlib';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { pushImage } from '../../src/registry/push';
import { FakeAws } from './fake-aws';
import * as scenarios from './fake-aws/scenarios';
import * as standalone from './fake-aws/standalone';
import {
  atlasSum,
  DEFAULT_DATABASE_URL,
  FakeDatabase,
  fileDescription,
  fileVersion,
  goDuration,
  goQuote,
  loopbackImage,
  projectFromDirectory,
  rfc3339Nano,
  runAtlas,
  splitStatements,
  type AtlasProject,
} from './fake-atlas';
import { blob, pushable, type TestImage } from './images';
import { startRegistry, type RegistryServer } from './registry-server';
import { testClient } from './test-client';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const V1 = '20240101120000';
const V2 = '20240215093000';
const V3 = '20240310170000';
const JSON_FORMAT = ['--format', '{{ json . }}'];
const APPLY = ['migrate', 'apply', '--env', 'deploy', '--lock-timeout', '10m'];
const APPLY_JSON = [...APPLY, ...JSON_FORMAT];

const examples = projectFromDirectory(EXAMPLES);

/** A project of the given files, with the atlas.sum Atlas would write for them. */
function project(files: Record<string, string>, extra: Partial<AtlasProject> = {}): AtlasProject {
  const list = Object.entries(files).map(([name, content]) => ({ name, content }));
  return { files: [...list, { name: 'atlas.sum', content: atlasSum(list) }], ...extra };
}

function report(lines: readonly string[]): Record<string, unknown> {
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const orders = (text = 'pq: relation "orders" already exists') => ({
  version: V2,
  statementIndex: 0,
  text,
});

describe('the project', () => {
  it('reads a working directory: the migration directory, its URL and the project file', () => {
    expect(examples.dirUrl).toBe('file://migrations');
    expect(Object.keys(examples.configs!)).toEqual(['atlas.hcl']);
    expect(examples.files.map((f) => f.name)).toEqual([
      `${V1}_create_users.sql`,
      `${V2}_create_orders.sql`,
      `${V3}_add_users_name.sql`,
      'atlas.sum',
    ]);
  });

  it('names versions and descriptions as Atlas does', () => {
    expect(fileVersion('20240101120000_create_users.sql')).toBe('20240101120000');
    expect(fileDescription('20240101120000_create_users.sql')).toBe('create_users');
    expect(fileVersion('1.sql')).toBe('1');
    expect(fileDescription('1.sql')).toBe('');
    expect(fileDescription('2_a_b.sql')).toBe('a_b');
  });

  it('splits statements at a `;` ending a line, keeping the `;`, skipping comment lines', () => {
    expect(
      splitStatements(
        '-- Create "t" table\nCREATE TABLE t (\n  id int\n);\n\n# note\nINSERT INTO t VALUES (1); \nSELECT 1',
      ),
    ).toEqual(['CREATE TABLE t (\n  id int\n);', 'INSERT INTO t VALUES (1);', 'SELECT 1']);
  });

  it('hashes atlas.sum as Atlas does (the shared test vector and the example directory)', () => {
    expect(
      atlasSum([
        { name: '1_init.sql', content: 'CREATE TABLE users (id int);\n' },
        { name: '2_name.sql', content: 'ALTER TABLE users ADD name text;\n' },
      ]),
    ).toBe(
      'h1:USmm/44hv0NxpyPeNw/PRUKN6q+OqueFd1utiUoJCQg=\n' +
        '1_init.sql h1:t9/ZVRELZ0UDSr7yPTgIdQpsXlqPZNtBMYoE4P0Rrd4=\n' +
        '2_name.sql h1:U/qQT4adrxDWYhWRLpXhFrwWoYa8FPM5HWAqbatpRtw=\n',
    );
    expect(atlasSum(examples.files)).toBe(
      readFileSync(path.join(EXAMPLES, 'migrations', 'atlas.sum'), 'utf8'),
    );
  });

  it('knows loopback images from others', () => {
    expect(loopbackImage('127.0.0.1:5000/app/migrations@sha256:abc')).toEqual({
      host: '127.0.0.1:5000',
      repository: 'app/migrations',
      reference: 'sha256:abc',
    });
    expect(loopbackImage('localhost:5000/m:v1')).toMatchObject({ reference: 'v1' });
    expect(loopbackImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/m:v1')).toBeUndefined();
  });
});

describe('Go formatting', () => {
  it('formats times as time.Time marshals them, durations as Duration.String', () => {
    const start = BigInt(Date.UTC(2024, 2, 10, 17, 0, 0)) * 1_000_000n;
    expect(rfc3339Nano(start)).toBe('2024-03-10T17:00:00Z');
    expect(rfc3339Nano(start + 1_234_567n)).toBe('2024-03-10T17:00:00.001234567Z');
    expect(rfc3339Nano(start + 12_345_670n)).toBe('2024-03-10T17:00:00.01234567Z');
    expect(goDuration(0n)).toBe('0s');
    expect(goDuration(850n)).toBe('850ns');
    expect(goDuration(3_114_000n)).toBe('3.114ms');
    expect(goDuration(1_500_000_000n)).toBe('1.5s');
    expect(goDuration(123_500_000_000n)).toBe('2m3.5s');
    expect(goQuote('a "b"\n\tc\\')).toBe('"a \\"b\\"\\n\\tc\\\\"');
  });
});

describe('runAtlas: the JSON report', () => {
  it('prints one line in the shape of cmdlog MigrateApply, password included in the DSN', () => {
    const db = new FakeDatabase({ applied: [V1] });
    const run = runAtlas(APPLY_JSON, examples, db);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.stderr).toEqual([]);
    const json = report(run.lines);
    expect(Object.keys(json)).toEqual([
      'Driver',
      'URL',
      'Dir',
      'Pending',
      'Applied',
      'Current',
      'Target',
      'Start',
      'End',
      'Message',
    ]);
    expect(json).toEqual({
      Driver: 'postgres',
      URL: {
        Scheme: 'postgres',
        Opaque: '',
        User: {},
        Host: 'db.internal:5432',
        Path: '/app',
        RawPath: '',
        OmitHost: false,
        ForceQuery: false,
        RawQuery: '',
        Fragment: '',
        RawFragment: '',
        DSN: DEFAULT_DATABASE_URL,
        Schema: '',
      },
      Dir: 'file://migrations',
      Pending: [
        { Name: `${V2}_create_orders.sql`, Version: V2, Description: 'create_orders' },
        { Name: `${V3}_add_users_name.sql`, Version: V3, Description: 'add_users_name' },
      ],
      Applied: [
        {
          Name: `${V2}_create_orders.sql`,
          Version: V2,
          Description: 'create_orders',
          Start: '2024-03-10T17:00:00.002469134Z',
          End: '2024-03-10T17:00:00.004938268Z',
          Applied: [expect.stringMatching(/^CREATE TABLE "orders" \(\n[\s\S]*\n\);$/)],
        },
        {
          Name: `${V3}_add_users_name.sql`,
          Version: V3,
          Description: 'add_users_name',
          Start: '2024-03-10T17:00:00.006172835Z',
          End: '2024-03-10T17:00:00.008641969Z',
          Applied: ['ALTER TABLE "users" ADD COLUMN "name" text NULL;'],
        },
      ],
      Current: V1,
      Target: V3,
      Start: '2024-03-10T17:00:00.001234567Z',
      End: '2024-03-10T17:00:00.009876536Z',
      Message: `Migrated to version ${V3} from ${V1} (2 migrations in total)`,
    });
    expect(run.report).toEqual(json);
    expect(db.applied).toEqual([V1, V2, V3]);
    expect(db.applyCount).toBe(2);
  });

  it('a second run finds nothing pending: Current, no Pending nor Applied, the message', () => {
    const db = new FakeDatabase();
    expect(runAtlas(APPLY_JSON, examples, db).exitCode).toBe(0);
    const second = runAtlas(APPLY_JSON, examples, db);
    expect(second.exitCode).toBe(0);
    const json = report(second.lines);
    expect(json).not.toHaveProperty('Pending');
    expect(json).not.toHaveProperty('Applied');
    expect(json).not.toHaveProperty('Target');
    expect(json).toMatchObject({ Current: V3, Message: 'No migration files to execute' });
    expect(db.applyCount).toBe(3);
    expect(db.runs).toBe(2);
  });

  it('omits an empty description and escapes <, > and & as encoding/json does', () => {
    const p = project({ '1.sql': "SELECT '<a> & b';\n" });
    const run = runAtlas(APPLY_JSON, p, new FakeDatabase({ url: 'postgres://u@h/d' }));
    expect(run.lines[0]).toContain('"Applied":["SELECT \'\\u003ca\\u003e \\u0026 b\';"]');
    const applied = (report(run.lines).Applied as Record<string, unknown>[])[0]!;
    expect(Object.keys(applied)).toEqual(['Name', 'Version', 'Start', 'End', 'Applied']);
    expect(run.report!.URL).toMatchObject({ User: {}, DSN: 'postgres://u@h/d' });
  });

  it('takes the schema from search_path, and reports a URL without user as User null', () => {
    const run = runAtlas(
      APPLY_JSON,
      examples,
      new FakeDatabase({ url: 'postgres://db:5432/app?search_path=public&sslmode=disable' }),
    );
    expect(run.report!.URL).toMatchObject({
      User: null,
      RawQuery: 'search_path=public&sslmode=disable',
      Schema: 'public',
    });
  });

  it('a failing statement: the file with its Error, the report Error, then the Error line', () => {
    const db = new FakeDatabase({ applied: [V1], failStatement: orders() });
    const run = runAtlas(APPLY_JSON, examples, db);
    expect(run.exitCode).toBe(1);
    expect(run.lines).toHaveLength(2);
    const json = report(run.lines);
    expect(json).not.toHaveProperty('Message');
    const applied = json.Applied as Record<string, unknown>[];
    expect(applied).toHaveLength(1);
    const stmt = (applied[0]!.Applied as string[])[0]!;
    expect(applied[0]!.Error).toEqual({ Stmt: stmt, Text: 'pq: relation "orders" already exists' });
    const error = `sql/migrate: executing statement ${goQuote(stmt)} from version "${V2}": pq: relation "orders" already exists`;
    expect(json.Error).toBe(error);
    expect(json.End).toBe(applied[0]!.End);
    expect(run.stderr).toEqual([`Error: ${error}`]);
    expect(db.applied).toEqual([V1]);
    // Without the Error line once the report is out, as Atlas's OSS source silences it.
    const silent = runAtlas(APPLY_JSON, examples, db, { errorLineAfterReport: false });
    expect(silent.lines).toHaveLength(1);
    expect(silent.exitCode).toBe(1);
  });

  it('stops at the failing file: the files before it in the run stay applied', () => {
    const db = new FakeDatabase({ failStatement: { version: V3, statementIndex: 0, text: 'x' } });
    const run = runAtlas(APPLY_JSON, examples, db);
    expect(run.exitCode).toBe(1);
    expect((run.report!.Applied as unknown[]).length).toBe(3);
    expect(db.applied).toEqual([V1, V2]);
    expect(db.applyCount).toBe(2);
  });
});

describe('runAtlas: the text output', () => {
  it('prints the default template when there is no --format', () => {
    const db = new FakeDatabase({ applied: [V1, V2] });
    const run = runAtlas(APPLY, examples, db);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toEqual([
      `Migrating to version ${V3} from ${V2} (1 migrations in total):`,
      '',
      `  -- migrating version ${V3}`,
      '    -> ALTER TABLE "users" ADD COLUMN "name" text NULL;',
      '  -- ok (2.469134ms)',
      '',
      '  -------------------------',
      '  -- 4.938268ms',
      '  -- 1 migration',
      '  -- 1 sql statement',
    ]);
    expect(runAtlas(APPLY, examples, db).lines).toEqual(['No migration files to execute']);
  });

  it('prints the failed statement, the database error, the counts, then Error', () => {
    const db = new FakeDatabase({
      applied: [V1, V2],
      failStatement: {
        version: V3,
        statementIndex: 0,
        text: 'pq: column "name" of relation "users" already exists',
      },
    });
    const run = runAtlas(APPLY, examples, db);
    expect(run.exitCode).toBe(1);
    expect(run.lines).toEqual([
      `Migrating to version ${V3} from ${V2} (1 migrations in total):`,
      '',
      `  -- migrating version ${V3}`,
      '    -> ALTER TABLE "users" ADD COLUMN "name" text NULL;',
      '    pq: column "name" of relation "users" already exists',
      '',
      '  -------------------------',
      '  -- 3.703701ms',
      '  -- 1 migration with errors',
      '  -- 1 sql statement with errors',
      `Error: sql/migrate: executing statement "ALTER TABLE \\"users\\" ADD COLUMN \\"name\\" text NULL;" from version "${V3}": pq: column "name" of relation "users" already exists`,
    ]);
  });

  it('indents the lines of a multi-line statement and counts the files that passed', () => {
    const db = new FakeDatabase({ failStatement: { version: V3, statementIndex: 0, text: 'x' } });
    const lines = runAtlas(APPLY, examples, db).lines;
    expect(lines).toContain('         "id" bigserial NOT NULL,');
    expect(lines).toContain('  -- 2 migrations ok, 1 with errors');
    expect(lines).toContain('  -- 3 sql statements ok, 1 with errors');
  });
});

describe('runAtlas: --dry-run', () => {
  it('reports the statements and changes nothing, a second dry run reports the same', () => {
    const db = new FakeDatabase({ applied: [V1], failStatement: orders() });
    const first = runAtlas([...APPLY_JSON, '--dry-run'], examples, db);
    expect(first.exitCode).toBe(0);
    expect(first.report).toMatchObject({
      Current: V1,
      Target: V3,
      Message: `Migrated to version ${V3} from ${V1} (2 migrations in total)`,
    });
    expect((first.report!.Applied as { Applied: string[] }[]).map((f) => f.Applied.length)).toEqual(
      [1, 1],
    );
    expect(db.applied).toEqual([V1]);
    expect(db.executed).toEqual([]);
    expect(db.applyCount).toBe(0);
    const second = runAtlas([...APPLY_JSON, '--dry-run=true'], examples, db);
    expect(second.report!.Pending).toEqual(first.report!.Pending);
  });

  it('with --baseline, writes no baseline revision', () => {
    const db = new FakeDatabase({ dirty: true });
    const run = runAtlas([...APPLY_JSON, '--dry-run', '--baseline', V1], examples, db);
    expect(run.report).toMatchObject({ Current: V1, Target: V3 });
    expect(db.revisions).toEqual([]);
  });
});

describe('runAtlas: pending files', () => {
  const dirtyError =
    'Error: sql/migrate: connected database is not clean: found table "users" in schema "public". baseline version or allow-dirty is required';

  it('refuses a dirty database without --baseline or --allow-dirty, before any report', () => {
    const db = new FakeDatabase({ dirty: true });
    for (const args of [APPLY, APPLY_JSON]) {
      const run = runAtlas(args, examples, db);
      expect(run.lines).toEqual([dirtyError]);
      expect(run.exitCode).toBe(1);
      expect(run.report).toBeUndefined();
    }
    const custom = new FakeDatabase({ dirty: { table: 'accounts', schema: 'billing' } });
    expect(runAtlas(APPLY, examples, custom).lines[0]).toContain(
      'found table "accounts" in schema "billing"',
    );
  });

  it('--allow-dirty applies every file to a dirty database', () => {
    const db = new FakeDatabase({ dirty: true });
    const run = runAtlas([...APPLY_JSON, '--allow-dirty'], examples, db);
    expect(run.exitCode).toBe(0);
    expect(db.applied).toEqual([V1, V2, V3]);
  });

  it('--baseline marks the version as current on an empty revisions table', () => {
    const db = new FakeDatabase({ dirty: true });
    const run = runAtlas([...APPLY_JSON, '--baseline', V2], examples, db);
    expect(run.report).toMatchObject({ Current: V2, Target: V3 });
    expect(db.revisions.map((r) => [r.version, r.type])).toEqual([
      [V2, 'baseline'],
      [V3, 'execute'],
    ]);
    // Once there are revisions, the baseline does not matter any more.
    expect(runAtlas([...APPLY_JSON, '--baseline', V2], examples, db).report).toMatchObject({
      Current: V3,
      Message: 'No migration files to execute',
    });
  });

  it('--baseline of the last version: nothing pending; of an unknown one: an error', () => {
    const db = new FakeDatabase({ dirty: true });
    expect(runAtlas([...APPLY_JSON, '--baseline', V3], examples, db).report).toMatchObject({
      Current: V3,
      Message: 'No migration files to execute',
    });
    expect(runAtlas([...APPLY, '--baseline', '1'], examples, new FakeDatabase()).lines).toEqual([
      'Error: baseline version "1" not found',
    ]);
    expect(
      runAtlas([...APPLY, '--baseline', V1, '--allow-dirty'], examples, new FakeDatabase()).lines,
    ).toEqual(['Error: sql/migrate: baseline and allow-dirty are mutually exclusive']);
  });

  it('--exec-order: linear refuses a file added below the current version', () => {
    const db = new FakeDatabase({ applied: [V1, V3] });
    const run = runAtlas(APPLY_JSON, examples, db);
    expect(run.exitCode).toBe(1);
    expect(run.lines).toEqual([
      `Error: migration file ${V2}_create_orders.sql was added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error`,
    ]);
    expect(runAtlas([...APPLY, '--exec-order', 'linear'], examples, db).exitCode).toBe(1);
    const two = new FakeDatabase({ applied: [V3] });
    const p = project({
      [`${V1}_a.sql`]: 'SELECT 1;',
      [`${V2}_b.sql`]: 'SELECT 2;',
      [`${V3}_c.sql`]: 'SELECT 3;',
      '20240401000000_d.sql': 'SELECT 4;',
    });
    // V1 and V2 are below the first revision: not out of order, only before the history.
    expect(runAtlas(APPLY_JSON, p, two).report).toMatchObject({ Target: '20240401000000' });
  });

  it('--exec-order linear-skip skips it, non-linear applies it first', () => {
    const skip = new FakeDatabase({ applied: [V1, V3] });
    const skipped = runAtlas([...APPLY_JSON, '--exec-order', 'linear-skip'], examples, skip);
    expect(skipped.report).toMatchObject({ Message: 'No migration files to execute' });
    expect(skip.applied).toEqual([V1, V3]);
    const nonLinear = new FakeDatabase({ applied: [V1, V3] });
    const run = runAtlas([...APPLY_JSON, '--exec-order=non-linear'], examples, nonLinear);
    expect(run.report).toMatchObject({
      Current: V3,
      Target: V2,
      Pending: [{ Version: V2 }],
      Message: `Migrated to version ${V2} from ${V3} (1 migrations in total)`,
    });
    expect(nonLinear.applied).toEqual([V1, V2, V3]);
    expect(runAtlas([...APPLY, '--exec-order', 'random'], examples, skip).lines[0]).toMatch(
      /^Error: invalid argument "random" for "--exec-order" flag/,
    );
  });

  it('--to-version stops there; an unknown version is an error, an applied one is no work', () => {
    const db = new FakeDatabase();
    const run = runAtlas([...APPLY_JSON, '--to-version', V2], examples, db);
    expect(run.report).toMatchObject({ Target: V2, Pending: [{ Version: V1 }, { Version: V2 }] });
    expect(db.applied).toEqual([V1, V2]);
    expect(runAtlas([...APPLY_JSON, '--to-version', V1], examples, db).report).toMatchObject({
      Message: 'No migration files to execute',
    });
    expect(runAtlas([...APPLY, '--to-version', '42'], examples, db).lines).toEqual([
      'Error: sql/migrate: migration with version "42" not found',
    ]);
  });

  it('an amount argument applies that many files', () => {
    const db = new FakeDatabase();
    expect(runAtlas([...APPLY_JSON, '1'], examples, db).report).toMatchObject({ Target: V1 });
    expect(runAtlas([...APPLY, '0'], examples, db).lines).toEqual([
      "Error: cannot apply '0' migration files",
    ]);
  });

  it('--revisions-schema: revisions elsewhere are not seen (the database looks dirty)', () => {
    const db = new FakeDatabase({ applied: [V1] });
    const other = [...APPLY, '--revisions-schema', 'public'];
    expect(runAtlas(other, examples, db).lines).toEqual([dirtyError]);
    const run = runAtlas([...other, ...JSON_FORMAT, '--baseline', V1], examples, db);
    expect(run.report).toMatchObject({ Current: V1, Target: V3 });
    expect(db.revisionsIn('public').map((r) => r.version)).toEqual([V1, V2, V3]);
    expect(db.revisions.map((r) => r.version)).toEqual([V1]);
  });
});

describe('runAtlas: --tx-mode', () => {
  const p = project({
    [`${V1}_a.sql`]: 'SELECT 1;',
    [`${V2}_b.sql`]: 'SELECT 2;\nSELECT 22;\nSELECT 222;',
  });
  const fault = { version: V2, statementIndex: 1, text: 'boom' };

  it('file (the default) rolls the failed file back and keeps the files before it', () => {
    const db = new FakeDatabase({ failStatement: fault });
    expect(runAtlas([...APPLY_JSON, '--tx-mode', 'file'], p, db).exitCode).toBe(1);
    expect(db.revisions.map((r) => r.version)).toEqual([V1]);
  });

  it('all rolls the whole run back', () => {
    const db = new FakeDatabase({ failStatement: fault });
    expect(runAtlas([...APPLY_JSON, '--tx-mode', 'all'], p, db).exitCode).toBe(1);
    expect(db.revisions).toEqual([]);
    expect(db.applyCount).toBe(0);
  });

  it('none keeps the statements that ran; the next run resumes at the failed one', () => {
    const db = new FakeDatabase({ failStatement: fault });
    expect(runAtlas([...APPLY_JSON, '--tx-mode', 'none'], p, db).exitCode).toBe(1);
    expect(db.revisions.at(-1)).toMatchObject({ version: V2, applied: 1, total: 3, error: 'boom' });
    db.failStatement = undefined;
    const resumed = runAtlas([...APPLY_JSON, '--tx-mode', 'none'], p, db);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.report).toMatchObject({
      Current: V2,
      Target: V2,
      Applied: [{ Version: V2, Skipped: 1, Applied: ['SELECT 22;', 'SELECT 222;'] }],
    });
    expect(db.applied).toEqual([V1, V2]);
  });

  it('an unknown mode is an error', () => {
    expect(runAtlas([...APPLY, '--tx-mode', 'some'], p, new FakeDatabase()).lines).toEqual([
      'Error: unknown tx-mode "some"',
    ]);
  });
});

describe('runAtlas: errors before any report', () => {
  it.each([
    ['connection refused', 'dial tcp 10.0.0.5:5432: connect: connection refused'],
    [
      'a lock held by another session',
      'sql/migrate: acquiring database lock: lock is held by other session',
    ],
  ])('%s: only the Error line, exit 1, nothing applied', (_name, text) => {
    const db = new FakeDatabase({ beforeReport: text });
    for (const args of [APPLY, APPLY_JSON]) {
      const run = runAtlas(args, examples, db);
      expect(run.lines).toEqual([`Error: ${text}`]);
      expect(run.stdout).toEqual([]);
      expect(run.exitCode).toBe(1);
    }
    expect(db.revisions).toEqual([]);
  });

  it('a checksum mismatch: Atlas banner and `Error: checksum mismatch`', () => {
    const edited: AtlasProject = {
      files: examples.files.map((f) =>
        f.name.endsWith('_add_users_name.sql') ? { ...f, content: `${f.content}-- edited\n` } : f,
      ),
    };
    const run = runAtlas(APPLY_JSON, edited, new FakeDatabase());
    expect(run.exitCode).toBe(1);
    expect(run.lines[0]).toBe('You have a checksum error in your migration directory.');
    expect(run.lines.at(-1)).toBe('Error: checksum mismatch');
    const unsummed = { files: examples.files.filter((f) => f.name !== 'atlas.sum') };
    expect(runAtlas(APPLY, unsummed, new FakeDatabase()).lines.at(-1)).toBe(
      'Error: checksum file not found',
    );
  });

  it('checks --config and --env against the project file', () => {
    const db = new FakeDatabase();
    expect(runAtlas([...APPLY, '--config', 'file://other.hcl'], examples, db).lines).toEqual([
      'Error: config file "other.hcl" was not found: stat other.hcl: no such file or directory',
    ]);
    expect(runAtlas([...APPLY, '--config', 'atlas.hcl'], examples, db).lines).toEqual([
      'Error: missing scheme for config file. Did you mean file://atlas.hcl?',
    ]);
    const prod = ['migrate', 'apply', '--env', 'prod', '--config', 'file://atlas.hcl'];
    expect(runAtlas(prod, examples, db).lines).toEqual([
      'Error: env "prod" not defined in project file',
    ]);
    expect(runAtlas([...APPLY_JSON, '--config=file://atlas.hcl'], examples, db).exitCode).toBe(0);
  });

  it('flags: unknown ones, missing values, bad durations and --var pairs', () => {
    const db = new FakeDatabase();
    expect(runAtlas([...APPLY, '--nope'], examples, db).lines).toEqual([
      'Error: unknown flag: --nope',
    ]);
    expect(runAtlas([...APPLY, '--baseline'], examples, db).lines).toEqual([
      'Error: flag needs an argument: --baseline',
    ]);
    expect(runAtlas(['migrate', 'apply', '--lock-timeout', 'ten'], examples, db).lines).toEqual([
      'Error: invalid argument "ten" for "--lock-timeout" flag: time: invalid duration "ten"',
    ]);
    expect(runAtlas([...APPLY, '--var', 'novalue'], examples, db).lines[0]).toMatch(
      /^Error: invalid argument "novalue" for "--var" flag/,
    );
    expect(runAtlas(['schema', 'apply'], examples, db).lines).toEqual([
      'Error: unknown command "schema" for "atlas"',
    ]);
    expect(() => runAtlas([...APPLY, '--format', '{{ .Current }}'], examples, db)).toThrow(
      /not supported/,
    );
    expect(db.revisions).toEqual([]);
  });

  it('accepts the flags the action passes, --var pairs included, and an atlas entrypoint', () => {
    const run = runAtlas(
      [
        '/atlas',
        ...APPLY_JSON,
        '--var',
        'tenant=acme',
        '--var=region=eu-west-1',
        '--lock-timeout=1m30s',
      ],
      examples,
      new FakeDatabase(),
    );
    expect(run.exitCode).toBe(0);
    expect(run.vars).toEqual({ tenant: 'acme', region: 'eu-west-1' });
  });
});

// ---------------------------------------------------------------------------------------------
// The scenarios, driven through the fake's handlers (no HTTP)

const TASK_DEFINITION = {
  family: 'api',
  networkMode: 'awsvpc',
  containerDefinitions: [
    {
      name: 'atlas',
      image: 'example.com/migrations@sha256:0123',
      essential: false,
      command: APPLY_JSON,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/api', 'awslogs-stream-prefix': 'api' },
      },
    },
    {
      name: 'app',
      image: 'example.com/app:1',
      essential: true,
      dependsOn: [{ containerName: 'atlas', condition: 'SUCCESS' }],
    },
  ],
};

function logOf(aws: FakeAws, container: string, taskId: string): string[] {
  const answer = aws.logs.handle('GetLogEvents', {
    logGroupName: '/ecs/api',
    logStreamName: `api/${container}/${taskId}`,
    startFromHead: true,
  }) as { events: { message: string }[] };
  return answer.events.map((e) => e.message);
}

function deployService(aws: FakeAws, desiredCount: number): string {
  const arn = aws.ecs.addTaskDefinition(TASK_DEFINITION);
  aws.ecs.addService({ name: 'api', taskDefinition: arn, desiredCount });
  const next = aws.ecs.addTaskDefinition(TASK_DEFINITION);
  aws.ecs.handle('UpdateService', { service: 'api', taskDefinition: next });
  return next;
}

function poll(aws: FakeAws): Record<string, unknown> {
  const answer = aws.ecs.handle('DescribeServices', { services: ['api'] }) as {
    services: Record<string, unknown>[];
  };
  return answer.services[0]!;
}

describe('scenarios.atlas (services)', () => {
  it('with two tasks, the first applies and the second finds nothing pending', () => {
    const aws = new FakeAws();
    const db = new FakeDatabase({ applied: [V1] });
    const arn = aws.ecs.addTaskDefinition(TASK_DEFINITION);
    aws.ecs.addService({ name: 'api', taskDefinition: arn, desiredCount: 2 });
    aws.ecs.setScenario('api', scenarios.atlas(db, { project: EXAMPLES }));
    aws.ecs.handle('UpdateService', {
      service: 'api',
      taskDefinition: aws.ecs.addTaskDefinition(TASK_DEFINITION),
    });
    poll(aws);
    const tasks = aws.ecs.tasks.filter((t) => t.startedBy !== '');
    expect(tasks).toHaveLength(2);
    const [first, second] = tasks.map((t) => report(logOf(aws, 'atlas', t.id)));
    expect(first).toMatchObject({ Current: V1, Target: V3 });
    expect(second).toMatchObject({ Current: V3, Message: 'No migration files to execute' });
    for (const task of tasks) {
      expect(task.containers.find((c) => c.name === 'atlas')).toMatchObject({
        lastStatus: 'STOPPED',
        exitCode: 0,
      });
    }
    expect(poll(aws).deployments).toEqual([
      expect.objectContaining({ rolloutState: 'COMPLETED', runningCount: 2 }),
    ]);
    expect(db.applyCount).toBe(2);
  });

  it('a failing migration stops the task as ECS does; the replacements fail too', () => {
    const aws = new FakeAws();
    const db = new FakeDatabase({ beforeReport: 'connection refused' });
    const arn = aws.ecs.addTaskDefinition(TASK_DEFINITION);
    aws.ecs.addService({ name: 'api', taskDefinition: arn, desiredCount: 1 });
    aws.ecs.setScenario('api', scenarios.atlas(db, { project: examples }));
    aws.ecs.handle('UpdateService', {
      service: 'api',
      taskDefinition: aws.ecs.addTaskDefinition(TASK_DEFINITION),
    });
    poll(aws);
    const [task] = aws.ecs.tasks;
    expect(task!.lastStatus).toBe('RUNNING');
    expect(logOf(aws, 'atlas', task!.id)).toEqual(['Error: connection refused']);
    poll(aws);
    expect(task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
    expect(task!.containers).toEqual([
      expect.objectContaining({ name: 'atlas', exitCode: 1 }),
      expect.objectContaining({
        name: 'app',
        exitCode: 143,
        reason: expect.stringMatching(/^CannotStartContainerError: dependency graph/),
      }),
    ]);
    poll(aws);
    poll(aws);
    const all = aws.ecs.tasks;
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(logOf(aws, 'atlas', all[1]!.id)).toEqual(['Error: connection refused']);
    expect(all[1]!.lastStatus).toBe('STOPPED');
    expect(poll(aws).deployments).toEqual(
      expect.arrayContaining([expect.objectContaining({ rolloutState: 'IN_PROGRESS' })]),
    );
    expect(db.runs).toBeGreaterThanOrEqual(2);
  });

  it('without readable image nor project, says so loudly', () => {
    const aws = new FakeAws();
    deployService(aws, 1);
    const service = aws.ecs.service('api');
    service.deployments[0]!.scenario = scenarios.atlas(new FakeDatabase());
    expect(() => poll(aws)).toThrow(/no project files for image example.com\/migrations/);
  });
});

describe('standalone.atlas (RunTask)', () => {
  it('PENDING, RUNNING, then STOPPED with the exit code and the log of the run', () => {
    const aws = new FakeAws();
    aws.ecs.addCluster('default');
    const db = new FakeDatabase({ applied: [V1, V2] });
    const arn = aws.ecs.addTaskDefinition({
      ...TASK_DEFINITION,
      containerDefinitions: [
        { ...TASK_DEFINITION.containerDefinitions[0]!, command: [...APPLY_JSON, '--dry-run'] },
      ],
    });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db, { project: examples }) });
    const started = aws.ecs.handle('RunTask', {
      taskDefinition: arn,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    }) as { tasks: { taskArn: string }[] };
    const taskArn = started.tasks[0]!.taskArn;
    const describe = () =>
      (aws.ecs.handle('DescribeTasks', { tasks: [taskArn] }) as { tasks: JsonTask[] }).tasks[0]!;
    expect(describe().lastStatus).toBe('PENDING');
    expect(describe().lastStatus).toBe('RUNNING');
    const stopped = describe();
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', containers: [{ exitCode: 0 }] });
    const lines = logOf(aws, 'atlas', taskArn.split('/').at(-1)!);
    expect(report(lines)).toMatchObject({ Current: V2, Target: V3, Pending: [{ Version: V3 }] });
    expect(db.applied).toEqual([V1, V2]);
  });
});

interface JsonTask {
  lastStatus: string;
  containers: { exitCode?: number }[];
}

// ---------------------------------------------------------------------------------------------
// End to end: the project read back from an image pushed to a real loopback registry

async function layerOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  const gzip = createGzip();
  gzip.on('data', (c: Buffer) => chunks.push(c));
  await pipeline(pack, gzip);
  return Buffer.concat(chunks);
}

async function migrationImage(): Promise<TestImage> {
  const files: Record<string, string> = {
    'workspace/atlas.hcl': readFileSync(path.join(EXAMPLES, 'atlas.hcl'), 'utf8'),
  };
  for (const f of examples.files) files[`workspace/migrations/${f.name}`] = f.content;
  const base = blob(
    await layerOf({ atlas: 'not really atlas' }),
    'application/vnd.oci.image.layer.v1.tar+gzip',
  );
  const layer = blob(await layerOf(files), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ['/atlas'], WorkingDir: '/workspace' },
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: config.descriptor,
      layers: [base.descriptor, layer.descriptor],
    }),
  );
  const manifest = blob(manifestBytes, 'application/vnd.oci.image.manifest.v1+json');
  return {
    config,
    layers: [base, layer],
    manifestBytes,
    manifestDescriptor: manifest.descriptor,
    architecture: 'amd64',
    family: 'oci',
  };
}

describe('end to end: a registered task definition whose image is on a loopback registry', () => {
  let registry: RegistryServer;
  let scratch: string;
  let aws: FakeAws;

  beforeAll(async () => {
    registry = await startRegistry();
    scratch = mkdtempSync(path.join(tmpdir(), 'fake-atlas-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  beforeEach(async () => {
    aws = new FakeAws();
    await aws.start();
  });
  afterEach(async () => {
    await aws.close();
  });

  it('reads the project from the image at RegisterTaskDefinition; the tasks log JSON reports', async () => {
    const image = await migrationImage();
    const { client } = testClient(scratch);
    const repository = { registry: registry.host, repository: 'fake-atlas/migrations' };
    const pushed = await pushImage(client, repository, pushable(image), [], () => undefined);
    const reference = `${registry.host}/${repository.repository}@${pushed.digest}`;

    const db = new FakeDatabase({ applied: [V1] });
    const fixture = aws.ecs.addTaskDefinition(TASK_DEFINITION);
    aws.ecs.addService({ name: 'api', taskDefinition: fixture, desiredCount: 2 });
    aws.ecs.setScenario('api', scenarios.atlas(db));

    const send = async (operation: string, body: unknown) => {
      const response = await fetch(`${aws.url}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`,
        },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const [atlasContainer, app] = TASK_DEFINITION.containerDefinitions;
    const registered = await send('RegisterTaskDefinition', {
      ...TASK_DEFINITION,
      containerDefinitions: [{ ...atlasContainer, image: reference }, app],
    });
    expect(aws.ecs.images.errors).toEqual(new Map());
    expect(aws.ecs.images.get(reference)?.files.map((f) => f.name)).toEqual(
      examples.files.map((f) => f.name),
    );
    const arn = (registered.taskDefinition as { taskDefinitionArn: string }).taskDefinitionArn;
    await send('UpdateService', { service: 'api', taskDefinition: arn });
    await send('DescribeServices', { services: ['api'] });
    const described = await send('DescribeServices', { services: ['api'] });
    expect((described.services as { deployments: unknown[] }[])[0]!.deployments).toEqual([
      expect.objectContaining({ rolloutState: 'COMPLETED' }),
    ]);

    const tasks = aws.ecs.tasks;
    expect(tasks).toHaveLength(2);
    const logs = tasks.map((t) => logOf(aws, 'atlas', t.id));
    expect(logs.map((l) => l.length)).toEqual([1, 1]);
    expect(report(logs[0]!)).toMatchObject({
      Dir: 'file://migrations',
      Current: V1,
      Target: V3,
      URL: { DSN: DEFAULT_DATABASE_URL },
      Message: `Migrated to version ${V3} from ${V1} (2 migrations in total)`,
    });
    expect(report(logs[1]!)).toMatchObject({ Message: 'No migration files to execute' });
    expect(db.applied).toEqual([V1, V2, V3]);
  });
});
