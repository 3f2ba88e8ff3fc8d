import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileProblem, InputError, ValidationErrors } from '../../src/errors';
import { readMigrationProject, type ReadProjectOptions } from '../../src/files/read-project';
import { computeAtlasSum } from '../../src/migrations/atlas-sum';

const INIT_SQL = 'CREATE TABLE users (id int);\n';
const NAME_SQL = 'ALTER TABLE users ADD name text;\n';
const VECTOR_SUM = [
  'h1:USmm/44hv0NxpyPeNw/PRUKN6q+OqueFd1utiUoJCQg=',
  '1_init.sql h1:t9/ZVRELZ0UDSr7yPTgIdQpsXlqPZNtBMYoE4P0Rrd4=',
  '2_name.sql h1:U/qQT4adrxDWYhWRLpXhFrwWoYa8FPM5HWAqbatpRtw=',
  '',
].join('\n');
const ATLAS_HCL = [
  'env "deploy" {',
  '  url = getenv("DATABASE_URL")',
  '  migration {',
  '    dir = "file://migrations"',
  '  }',
  '}',
  '',
].join('\n');

let root: string;
let workspace: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'read-project-'));
  workspace = path.join(root, 'repo');
  await fs.mkdir(workspace);
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function write(files: Record<string, string>, base = workspace): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(base, name);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, content);
  }
}

const options = (overrides: Partial<ReadProjectOptions> = {}): ReadProjectOptions => ({
  workspace,
  migrationsDir: 'migrations',
  atlasConfig: 'atlas.hcl',
  atlasEnv: 'deploy',
  ...overrides,
});

async function failure(opts: ReadProjectOptions): Promise<readonly Error[]> {
  const error = await readMigrationProject(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationErrors);
  return (error as ValidationErrors).errors;
}

const without = (files: Record<string, string>, name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(files).filter(([n]) => n !== name));

const validProject: Record<string, string> = {
  'atlas.hcl': ATLAS_HCL,
  'migrations/1_init.sql': INIT_SQL,
  'migrations/2_name.sql': NAME_SQL,
  'migrations/atlas.sum': VECTOR_SUM,
};

describe('readMigrationProject', () => {
  it('lists atlas.hcl and every file under the migration directory', async () => {
    await write({
      ...validProject,
      'migrations/README.md': '# how to add a migration\n',
      'migrations/seeds/users.sql': 'INSERT INTO users VALUES (1);\n',
      'migrations/scripts/check.sh': '#!/bin/sh\n',
      'other/ignored.sql': 'SELECT 1;\n',
    });
    await fs.chmod(path.join(workspace, 'migrations/scripts/check.sh'), 0o755);

    const project = await readMigrationProject(options());

    expect(project.migrations).toEqual(['1_init.sql', '2_name.sql']);
    expect(project.dirFormat).toBe('atlas');
    expect(project.warnings).toEqual([]);
    const real = await fs.realpath(workspace);
    const listed = project.files.map((f) => ({
      path: f.path,
      absolutePath: f.absolutePath,
      size: f.size,
      executable: f.executable,
    }));
    expect(listed).toEqual([
      {
        path: 'atlas.hcl',
        absolutePath: path.join(real, 'atlas.hcl'),
        size: ATLAS_HCL.length,
        executable: false,
      },
      ...[
        ['migrations/1_init.sql', INIT_SQL.length, false],
        ['migrations/2_name.sql', NAME_SQL.length, false],
        ['migrations/README.md', 25, false],
        ['migrations/atlas.sum', VECTOR_SUM.length, false],
        ['migrations/scripts/check.sh', 10, true],
        ['migrations/seeds/users.sql', 30, false],
      ].map(([p, size, executable]) => ({
        path: p,
        absolutePath: path.join(real, p as string),
        size,
        executable,
      })),
    ]);
    // The files the checks read whole keep their bytes for the image; the others are read later.
    const kept = project.files.filter((f) => f.content !== undefined);
    expect(kept.map((f) => f.path)).toEqual([
      'atlas.hcl',
      'migrations/1_init.sql',
      'migrations/2_name.sql',
      'migrations/atlas.sum',
    ]);
    for (const file of kept)
      expect(file.content!.equals(await fs.readFile(file.absolutePath))).toBe(true);
  });

  it('works with atlas.hcl and the migrations in a sub-directory, given as ./ paths', async () => {
    await write({
      'db/atlas.hcl': ATLAS_HCL,
      'db/migrations/1_init.sql': INIT_SQL,
      'db/migrations/2_name.sql': NAME_SQL,
      'db/migrations/atlas.sum': VECTOR_SUM,
    });
    const project = await readMigrationProject(
      options({ migrationsDir: './db/migrations/', atlasConfig: './db/atlas.hcl' }),
    );
    expect(project.files.map((f) => f.path)).toEqual([
      'db/atlas.hcl',
      'db/migrations/1_init.sql',
      'db/migrations/2_name.sql',
      'db/migrations/atlas.sum',
    ]);
  });

  it('lists atlas.hcl once when it sits inside the migration directory', async () => {
    await write({
      'db/atlas.hcl': ATLAS_HCL.replace('file://migrations', 'file://.'),
      'db/1_init.sql': INIT_SQL,
      'db/2_name.sql': NAME_SQL,
      'db/atlas.sum': VECTOR_SUM,
    });
    const project = await readMigrationProject(
      options({ migrationsDir: 'db', atlasConfig: 'db/atlas.hcl' }),
    );
    expect(project.files.map((f) => f.path)).toEqual([
      'db/1_init.sql',
      'db/2_name.sql',
      'db/atlas.hcl',
      'db/atlas.sum',
    ]);
  });

  it('reports a missing directory and a missing atlas.hcl together', async () => {
    const errors = await failure(options());
    expect(errors).toEqual([expect.any(InputError), expect.any(InputError)]);
    expect(errors.map((e) => e.message)).toEqual([
      "Input 'atlas-config': 'atlas.hcl' does not exist in the workspace. Fix: set 'atlas-config' to the path of your atlas.hcl, relative to the repository root",
      "Input 'migrations-dir': 'migrations' does not exist in the workspace. Fix: set 'migrations-dir' to the directory that holds your migration files and atlas.sum, relative to the repository root",
    ]);
  });

  it('reports a migrations-dir that is a file and an atlas-config that is a directory', async () => {
    await write({ migrations: 'not a dir', 'atlas.hcl/x': '' });
    const errors = await failure(options());
    expect(errors.map((e) => [(e as InputError).input, (e as InputError).problem])).toEqual([
      ['atlas-config', "'atlas.hcl' is not a file"],
      ['migrations-dir', "'migrations' is not a directory"],
    ]);
  });

  it('refuses paths outside the workspace, literally or through a symbolic link', async () => {
    await write({ 'outside/1.sql': INIT_SQL, 'outside/atlas.hcl': ATLAS_HCL }, root);
    await fs.symlink(path.join(root, 'outside'), path.join(workspace, 'linked'));
    const errors = await failure(
      options({ migrationsDir: '../outside', atlasConfig: 'linked/atlas.hcl' }),
    );
    expect(errors.map((e) => [(e as InputError).input, (e as InputError).problem])).toEqual([
      ['atlas-config', "'linked/atlas.hcl' is outside the workspace"],
      ['migrations-dir', "'../outside' is outside the workspace"],
    ]);
    const viaLink = await failure(options({ migrationsDir: 'linked' }));
    expect(viaLink.map((e) => e.message)).toContainEqual(
      expect.stringContaining("Input 'migrations-dir': 'linked' is outside the workspace"),
    );
  });

  it('reports a migration directory without .sql files', async () => {
    await write({ 'atlas.hcl': ATLAS_HCL, 'migrations/README.md': '', 'migrations/sub/1.sql': '' });
    const errors = await failure(options());
    expect(errors.map((e) => e.message)).toEqual([
      "Input 'migrations-dir': migrations holds no .sql migration files at its top level. Fix: set 'migrations-dir' to the directory that holds your migration files and atlas.sum, relative to the repository root, or create the first migration with 'atlas migrate diff'",
    ]);
  });

  it('reports atlas.sum problems located in atlas.sum', async () => {
    await write({ ...validProject, 'migrations/1_init.sql': 'CREATE TABLE users (id bigint);\n' });
    const errors = await failure(options());
    expect(errors).toEqual([expect.any(FileProblem)]);
    const [problem] = errors as FileProblem[];
    expect(problem!.location).toEqual({ file: 'migrations/atlas.sum', line: 2 });
    expect(problem!.message).toBe(
      "migrations/atlas.sum:2: migrations/1_init.sql was changed after atlas.sum was written: its hash on line 2 no longer matches. Fix: run 'atlas migrate hash' (in the directory of atlas.hcl) and commit atlas.sum",
    );
  });

  it('reports a missing atlas.sum', async () => {
    await write(without(validProject, 'migrations/atlas.sum'));
    const errors = await failure(options());
    expect(errors.map((e) => (e as FileProblem).location)).toEqual([
      { file: 'migrations/atlas.sum' },
    ]);
  });

  it('gathers atlas.hcl and atlas.sum problems in one error', async () => {
    await write({
      ...validProject,
      'atlas.hcl': ATLAS_HCL.replace('env "deploy"', 'env "prod"'),
      'migrations/3_email.sql': 'ALTER TABLE users ADD email text;\n',
    });
    const errors = await failure(options());
    expect(errors.map((e) => (e as FileProblem).location)).toEqual([
      { file: 'atlas.hcl' },
      { file: 'migrations/atlas.sum', line: 1 },
    ]);
    expect(errors[0]!.message).toContain('env "deploy" is not defined in atlas.hcl');
    expect(errors[1]!.message).toContain('migrations/3_email.sql is not listed in atlas.sum');
  });

  it('reports an atlas.hcl that points at another directory', async () => {
    await write({
      ...validProject,
      'atlas.hcl': ATLAS_HCL.replace('file://migrations', 'file://sql'),
    });
    const errors = await failure(options());
    expect(errors.map((e) => (e as FileProblem).location)).toEqual([
      { file: 'atlas.hcl', line: 4, column: 5 },
    ]);
  });

  it('checks atlas.sum even when atlas.hcl cannot be read, assuming the atlas format', async () => {
    await write({ ...without(validProject, 'atlas.hcl'), 'migrations/2_name.sql': 'changed' });
    const errors = await failure(options());
    expect(errors.map((e) => e.constructor.name)).toEqual(['InputError', 'FileProblem']);
  });

  it('does not check atlas.sum for other directory formats', async () => {
    await write({
      'atlas.hcl': ATLAS_HCL.replace(
        'file://migrations',
        'file://migrations?format=golang-migrate',
      ),
      'migrations/1_init.up.sql': INIT_SQL,
      'migrations/1_init.down.sql': 'DROP TABLE users;\n',
    });
    const project = await readMigrationProject(options());
    expect(project.dirFormat).toBe('golang-migrate');
    expect(project.migrations).toEqual(['1_init.down.sql', '1_init.up.sql']);
  });

  it('passes on the warnings about atlas.hcl', async () => {
    await write({
      ...validProject,
      'atlas.hcl': ATLAS_HCL.replace('getenv("DATABASE_URL")', '"postgres://app:s3cret@db/app"'),
    });
    const project = await readMigrationProject(options());
    expect(project.warnings).toEqual([
      {
        location: { file: 'atlas.hcl', line: 2, column: 3 },
        message: expect.stringContaining('url = "postgres://app:***@db/app" holds a password'),
      },
    ]);
  });

  it('follows symbolic links that stay in the workspace and skips the others with a warning', async () => {
    await write({
      ...validProject,
      'shared/seed.sql': 'INSERT INTO users VALUES (1);\n',
      'shared/lib/util.sql': 'SELECT 1;\n',
    });
    await write({ 'secret.txt': 'do not ship' }, root);
    const migrations = path.join(workspace, 'migrations');
    await fs.symlink('../shared/seed.sql', path.join(migrations, 'seed-link.txt'));
    await fs.symlink('../shared/lib', path.join(migrations, 'lib'));
    await fs.symlink(path.join(root, 'secret.txt'), path.join(migrations, 'secret.txt'));
    await fs.symlink('missing-target', path.join(migrations, 'broken'));
    await fs.symlink('..', path.join(migrations, 'sub-loop'));
    await fs.symlink('.', path.join(migrations, 'loop'));

    const project = await readMigrationProject(options());
    const real = await fs.realpath(workspace);
    const migrationFiles = project.files.filter((f) => f.path.startsWith('migrations/'));
    expect(migrationFiles.map((f) => [f.path, path.relative(real, f.absolutePath)])).toEqual([
      ['migrations/1_init.sql', 'migrations/1_init.sql'],
      ['migrations/2_name.sql', 'migrations/2_name.sql'],
      ['migrations/atlas.sum', 'migrations/atlas.sum'],
      ['migrations/lib/util.sql', 'shared/lib/util.sql'],
      ['migrations/seed-link.txt', 'shared/seed.sql'],
      // `..` is the workspace root: inside, so it is followed, down to the loop back into itself.
      ['migrations/sub-loop/atlas.hcl', 'atlas.hcl'],
      ['migrations/sub-loop/shared/lib/util.sql', 'shared/lib/util.sql'],
      ['migrations/sub-loop/shared/seed.sql', 'shared/seed.sql'],
    ]);
    expect(project.warnings.map((w) => w.message)).toEqual([
      'migrations/broken is not shipped: it is a symbolic link whose target does not exist',
      'migrations/loop is not shipped: it is a symbolic link to a directory that contains it',
      'migrations/secret.txt is not shipped: it is a symbolic link to a path outside the workspace',
      'migrations/sub-loop/migrations is not shipped: it is a symbolic link to a directory that contains it',
    ]);
  });

  it('hashes a linked migration with its target content, as Atlas reads it', async () => {
    await write({
      'atlas.hcl': ATLAS_HCL,
      'shared/1_init.sql': INIT_SQL,
      'migrations/2_name.sql': NAME_SQL,
      'migrations/atlas.sum': VECTOR_SUM,
    });
    await fs.symlink('../shared/1_init.sql', path.join(workspace, 'migrations/1_init.sql'));
    const project = await readMigrationProject(options());
    expect(project.migrations).toEqual(['1_init.sql', '2_name.sql']);
  });

  it('reports a migration that links outside the workspace, which cannot ship', async () => {
    await write({
      'atlas.hcl': ATLAS_HCL,
      'migrations/2_name.sql': NAME_SQL,
      'migrations/atlas.sum': VECTOR_SUM,
    });
    await write({ '1_init.sql': INIT_SQL }, root);
    await fs.symlink(path.join(root, '1_init.sql'), path.join(workspace, 'migrations/1_init.sql'));
    const errors = await failure(options());
    // Not also "removed from atlas.sum": the file is there, it just cannot be shipped.
    expect(errors.map((e) => e.message)).toEqual([
      'migrations/1_init.sql: it is a symbolic link to a path outside the workspace, so this migration cannot be shipped. Fix: replace the link with the file itself, or link to a file inside the repository',
    ]);
  });

  it('reports a top-level directory whose name ends in .sql', async () => {
    await write({ ...validProject, 'migrations/3_data.sql/part.sql': 'SELECT 1;\n' });
    const errors = await failure(options());
    expect(errors.map((e) => [(e as FileProblem).location, (e as FileProblem).problem])).toEqual([
      [
        { file: 'migrations/3_data.sql' },
        'this directory ends in .sql, and Atlas reads every top-level *.sql entry as a migration file, so it would fail on it',
      ],
    ]);
  });

  it('accepts an atlas.sum written by computeAtlasSum for the files on disk', async () => {
    const files = { '1.sql': 'a', 'é.sql': 'b', '-- ignored.sql': '-- atlas:sum ignore\nc' };
    await write({
      'atlas.hcl': ATLAS_HCL,
      ...Object.fromEntries(Object.entries(files).map(([n, c]) => [`migrations/${n}`, c])),
      'migrations/atlas.sum': computeAtlasSum(
        Object.entries(files).map(([name, c]) => ({ name, content: Buffer.from(c) })),
      ),
    });
    const project = await readMigrationProject(options());
    expect(project.migrations).toEqual(['-- ignored.sql', '1.sql', 'é.sql']);
  });
});
