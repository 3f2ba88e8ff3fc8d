import { FileProblem } from '../../src/errors';
import { inspectAtlasConfig, type AtlasConfigOptions } from '../../src/migrations/atlas-config';

const OPTS: AtlasConfigOptions = { file: 'atlas.hcl', env: 'deploy', migrationsDir: 'migrations' };

const hcl = (...lines: string[]): string => `${lines.join('\n')}\n`;
const messages = (problems: FileProblem[]): string[] => problems.map((p) => p.message);
/** The report without its env contract (tested in env-contract.test.ts), which must be there. */
const inspect = async (text: string, opts: AtlasConfigOptions) => {
  const { contract, ...report } = await inspectAtlasConfig(text, opts);
  expect(contract).toBeDefined();
  return report;
};

describe('inspectAtlasConfig', () => {
  describe('env selection', () => {
    it('accepts the env block named by atlas-env', async () => {
      const text = hcl(
        'env "deploy" {',
        '  url = getenv("DATABASE_URL")',
        '  migration {',
        '    dir = "file://migrations"',
        '  }',
        '}',
      );
      expect(await inspect(text, OPTS)).toEqual({
        problems: [],
        warnings: [],
        migrationDir: 'migrations',
      });
    });

    it('reports a missing env with the names that exist and both fixes', async () => {
      const text = hcl('env "local" {', '}', 'env "ci" {', '}');
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems).toHaveLength(1);
      const [problem] = report.problems;
      expect(problem).toBeInstanceOf(FileProblem);
      expect(problem!.location).toEqual({ file: 'atlas.hcl' });
      expect(problem!.problem).toBe(
        `env "deploy" is not defined in atlas.hcl (the envs defined are "local", "ci"), so 'atlas migrate apply --env deploy' would fail`,
      );
      expect(problem!.fix).toBe(
        `add env "deploy" { ... } to atlas.hcl, or set input 'atlas-env' to one of "local", "ci"`,
      );
      expect(report.migrationDir).toBeUndefined();
    });

    it('reports a file without any env', async () => {
      const report = await inspectAtlasConfig(hcl('lint {', '  latest = 1', '}'), {
        ...OPTS,
        file: 'db/atlas.hcl',
      });
      expect(report.problems.map((p) => [p.location, p.problem, p.fix])).toEqual([
        [
          { file: 'db/atlas.hcl' },
          `env "deploy" is not defined in db/atlas.hcl (it defines no env), so 'atlas migrate apply --env deploy' would fail`,
          `add env "deploy" { ... } to atlas.hcl, or set input 'atlas-env'`,
        ],
      ]);
    });

    it.each(['atlas.env', '"${atlas.env}"', 'lower(atlas.env)', 'true ? atlas.env : "x"'])(
      'accepts an unlabeled env whose name is %s, for any env name',
      async (name) => {
        const text = hcl(
          'env {',
          `  name = ${name}`,
          '  migration {',
          '    dir = "file://migrations"',
          '  }',
          '}',
        );
        const report = await inspect(text, { ...OPTS, env: 'anything' });
        expect(report).toEqual({ problems: [], warnings: [], migrationDir: 'migrations' });
      },
    );

    it('ignores an unlabeled env whose name is not atlas.env, as Atlas does, and says so', async () => {
      const text = hcl('env {', '  name = "deploy"', '}', 'env "local" {', '}');
      const [problem] = (await inspectAtlasConfig(text, OPTS)).problems;
      expect(problem!.problem).toContain('the envs defined are "local"');
      expect(problem!.problem).toContain(
        'an env block without a label is used only when its name is atlas.env',
      );
    });

    it('prefers the labeled block over an unlabeled one in the same file', async () => {
      const text = hcl(
        'env {',
        '  name = atlas.env',
        '  migration {',
        '    dir = "file://elsewhere"',
        '  }',
        '}',
        'env "deploy" {',
        '  migration {',
        '    dir = "file://migrations"',
        '  }',
        '}',
      );
      expect(await inspect(text, OPTS)).toEqual({
        problems: [],
        warnings: [],
        migrationDir: 'migrations',
      });
      const other = await inspectAtlasConfig(text, { ...OPTS, env: 'staging' });
      expect(other.migrationDir).toBe('elsewhere');
      expect(other.problems).toHaveLength(1);
    });

    it('checks every block of the env name, since Atlas runs once per block', async () => {
      const text = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://migrations"',
        '  }',
        '}',
        'env "deploy" {',
        '  migration {',
        '    dir = "file://other"',
        '  }',
        '}',
      );
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems.map((p) => p.location)).toEqual([
        { file: 'atlas.hcl', line: 8, column: 5 },
      ]);
      expect(report.migrationDir).toBe('migrations');
    });
  });

  describe('migration directory', () => {
    it('reports a dir that is not migrations-dir, naming both paths and both fixes', async () => {
      const text = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://db/migrations"',
        '  }',
        '}',
      );
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.migrationDir).toBe('db/migrations');
      expect(report.problems).toHaveLength(1);
      const [problem] = report.problems;
      expect(problem!.location).toEqual({ file: 'atlas.hcl', line: 3, column: 5 });
      expect(problem!.problem).toBe(
        `env "deploy" reads migrations from "file://db/migrations", which is db/migrations (relative to the directory of atlas.hcl), but input 'migrations-dir' is migrations`,
      );
      expect(problem!.fix).toBe(
        `set input 'migrations-dir' to db/migrations, or set dir = "file://migrations" in atlas.hcl`,
      );
    });

    it('resolves the dir against the directory of atlas.hcl', async () => {
      const text = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://migrations"',
        '  }',
        '}',
      );
      const nested = { ...OPTS, file: 'db/atlas.hcl' };
      expect(await inspect(text, { ...nested, migrationsDir: 'db/migrations/' })).toEqual({
        problems: [],
        warnings: [],
        migrationDir: 'db/migrations',
      });
      const [problem] = (await inspectAtlasConfig(text, nested)).problems;
      expect(problem!.fix).toBe(
        `set input 'migrations-dir' to db/migrations, or set dir = "file://../migrations" in db/atlas.hcl`,
      );
      const up = hcl('env "deploy" {', '  migration {', '    dir = "file://../sql"', '  }', '}');
      expect(await inspectAtlasConfig(up, { ...nested, migrationsDir: './sql' })).toMatchObject({
        problems: [],
        migrationDir: 'sql',
      });
    });

    it("compares Atlas's default file://migrations when the env sets no dir", async () => {
      const text = hcl('env "deploy" {', '  url = getenv("DATABASE_URL")', '}');
      expect(await inspect(text, OPTS)).toEqual({
        problems: [],
        warnings: [],
        migrationDir: 'migrations',
      });
      const report = await inspectAtlasConfig(text, { ...OPTS, migrationsDir: 'db/migrations' });
      expect(report.problems.map((p) => [p.location, p.problem, p.fix])).toEqual([
        [
          { file: 'atlas.hcl', line: 1, column: 1 },
          `env "deploy" sets no migration dir, so Atlas reads its default file://migrations, which is migrations (relative to the directory of atlas.hcl), but input 'migrations-dir' is db/migrations`,
          `set input 'migrations-dir' to migrations, or add migration { dir = "file://db/migrations" } to env "deploy"`,
        ],
      ]);
    });

    it.each([
      ['"file://${local.dir}"', 'locals {\n  dir = "migrations"\n}'],
      ['local.dir', 'locals {\n  dir = "file://migrations"\n}'],
      ['"file://${var.dir}/sub"', 'variable "dir" {\n  type = string\n  default = "db"\n}'],
      ['format("file://%s", "x")', ''],
    ])('leaves a dir Atlas computes (%s) unresolved, without a problem', async (dir, extra) => {
      const text = hcl(extra, 'env "deploy" {', '  migration {', `    dir = ${dir}`, '  }', '}');
      expect(await inspect(text, OPTS)).toEqual({
        problems: [],
        warnings: [],
        unresolved: dir,
      });
    });

    it.each([
      ['migrations', 'it has no scheme (Atlas: did you mean "file://migrations"?)'],
      ['mem://dev', 'mem:// is an in-memory directory, empty in a new task'],
      ['s3://bucket/dir', 'Atlas has no "s3" directory driver'],
    ])('reports a dir Atlas cannot open: %s', async (dir, reason) => {
      const text = hcl('env "deploy" {', '  migration {', `    dir = "${dir}"`, '  }', '}');
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems.map((p) => [p.location.line, p.problem, p.fix])).toEqual([
        [
          3,
          `migration dir "${dir}" cannot be opened by Atlas: ${reason}`,
          `set dir = "file://<path relative to atlas.hcl>" in env "deploy"`,
        ],
      ]);
      expect(report.migrationDir).toBeUndefined();
    });

    it('reports absolute dirs and dirs outside the repository', async () => {
      const absolute = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file:///srv/migrations"',
        '  }',
        '}',
      );
      expect(messages((await inspectAtlasConfig(absolute, OPTS)).problems)).toEqual([
        `atlas.hcl:3:5: migration dir "file:///srv/migrations" is an absolute path, which does not exist inside the migration image. Fix: set dir = "file://migrations" (relative to the directory of atlas.hcl)`,
      ]);
      const outside = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://../../shared"',
        '  }',
        '}',
      );
      const report = await inspectAtlasConfig(outside, { ...OPTS, file: 'db/atlas.hcl' });
      expect(report.problems.map((p) => p.problem)).toEqual([
        `migration dir "file://../../shared" resolves to ../shared, outside the repository, which is not shipped`,
      ]);
    });

    it('warns that an Atlas Cloud dir makes the shipped directory unused', async () => {
      const text = hcl('env "deploy" {', '  migration {', '    dir = "atlas://app"', '  }', '}');
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems).toEqual([]);
      expect(report.migrationDir).toBeUndefined();
      expect(report.warnings).toEqual([
        {
          location: { file: 'atlas.hcl', line: 3, column: 5 },
          message:
            'env "deploy" reads its migrations from Atlas Cloud (atlas://app): the image carries atlas.hcl only, and Atlas fetches the directory with the ATLAS_TOKEN that input \'atlas-token-secret\' provides',
        },
      ]);
    });

    it('warns about the pre-v0.6 migration_dir block, which Atlas ignores', async () => {
      const text = hcl(
        'env "deploy" {',
        '  migration_dir {',
        '    url = "file://db/migrations"',
        '  }',
        '}',
      );
      const report = await inspectAtlasConfig(text, { ...OPTS, migrationsDir: 'db/migrations' });
      expect(report.warnings).toEqual([
        {
          location: { file: 'atlas.hcl', line: 2, column: 3 },
          message:
            'migration_dir is ignored by Atlas since v0.6, which renamed it to migration { dir = "file://..." }',
        },
      ]);
      // Atlas falls back to its default, which is not the directory the user meant.
      expect(report.problems.map((p) => p.problem)).toEqual([
        expect.stringContaining(
          'sets no migration dir, so Atlas reads its default file://migrations',
        ),
      ]);
    });

    it('warns that Atlas reads only the first migration block', async () => {
      const text = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://migrations"',
        '  }',
        '  migration {',
        '    dir = "file://other"',
        '  }',
        '}',
      );
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems).toEqual([]);
      expect(report.migrationDir).toBe('migrations');
      expect(report.warnings).toEqual([
        {
          location: { file: 'atlas.hcl', line: 5, column: 3 },
          message:
            'env "deploy" has more than one migration block; Atlas reads only the first (line 2) and ignores this one',
        },
      ]);
    });
  });

  describe('directory format', () => {
    const withFormat = (format: string, dir = 'file://migrations'): string =>
      hcl(
        'env "deploy" {',
        '  migration {',
        `    dir    = "${dir}"`,
        `    format = ${format}`,
        '  }',
        '}',
      );

    it.each([
      ['golang-migrate', 'golang-migrate'],
      ['flyway', 'flyway'],
      ['atlas', 'atlas'],
      ['"goose"', 'goose'],
      ['"dbmate"', 'dbmate'],
    ])('reads format = %s', async (format, dirFormat) => {
      expect(await inspect(withFormat(format), OPTS)).toEqual({
        problems: [],
        warnings: [],
        migrationDir: 'migrations',
        dirFormat,
      });
    });

    it('lets ?format= in the dir URL win over the attribute, as Atlas does', async () => {
      const report = await inspectAtlasConfig(
        withFormat('flyway', 'file://migrations?format=liquibase'),
        OPTS,
      );
      expect(report.dirFormat).toBe('liquibase');
      const urlOnly = hcl(
        'env "deploy" {',
        '  migration {',
        '    dir = "file://migrations?format=goose"',
        '  }',
        '}',
      );
      expect((await inspectAtlasConfig(urlOnly, OPTS)).dirFormat).toBe('goose');
    });

    it('reports a format Atlas does not know', async () => {
      const report = await inspectAtlasConfig(withFormat('"sqitch"'), OPTS);
      expect(report.dirFormat).toBeUndefined();
      expect(report.problems.map((p) => [p.location.line, p.problem])).toEqual([
        [
          4,
          'migration format "sqitch" is not one Atlas knows (atlas, golang-migrate, goose, flyway, liquibase, dbmate)',
        ],
      ]);
    });

    it('warns when the format is computed', async () => {
      const report = await inspectAtlasConfig(withFormat('var.format'), OPTS);
      expect(report.dirFormat).toBeUndefined();
      expect(report.warnings.map((w) => [w.location.line, w.message])).toEqual([
        [
          4,
          "the migration format var.format is computed when Atlas runs, so it could not be checked; the atlas.sum check assumes the 'atlas' format",
        ],
      ]);
    });
  });

  describe('passwords', () => {
    it('warns about a literal password in url and dev, without repeating it', async () => {
      const text = hcl(
        'env "deploy" {',
        '  url = "postgres://app:s3cr3t@db.example.com:5432/app?sslmode=require"',
        '  dev = "postgres://dev:hunter2@localhost/dev"',
        '}',
      );
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems).toEqual([]);
      expect(report.warnings).toEqual([
        {
          location: { file: 'atlas.hcl', line: 2, column: 3 },
          message:
            `url = "postgres://app:***@db.example.com:5432/app?sslmode=require" holds a password in plain text, ` +
            `and atlas.hcl is copied into the migration image, so the password would ship inside it; ` +
            `use url = getenv("DATABASE_URL") and set input 'database-url-secret', which hands the URL to the task as the DATABASE_URL secret`,
        },
        expect.objectContaining({
          location: { file: 'atlas.hcl', line: 3, column: 3 },
          message: expect.stringContaining(
            'dev = "postgres://dev:***@localhost/dev" holds a password',
          ),
        }),
      ]);
      const everything = JSON.stringify(report);
      expect(everything).not.toContain('s3cr3t');
      expect(everything).not.toContain('hunter2');
    });

    it('finds passwords anywhere in the file, also before an interpolation', async () => {
      const text = hcl(
        'variable "url" {',
        '  type    = string',
        '  default = "mysql://root:pass@tcp(localhost:3306)/app"',
        '}',
        'locals {',
        '  url = "postgres://app:literal@${var.host}/app"',
        '}',
        'env "deploy" {',
        '  url = var.url',
        '}',
      );
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.warnings.map((w) => [w.location.line, w.message.split(' holds')[0]])).toEqual([
        [3, 'default = "mysql://root:***@tcp(localhost:3306)/app"'],
        [6, 'url = "postgres://app:***@..."'],
      ]);
      expect(JSON.stringify(report)).not.toMatch(/pass@|literal/);
    });

    it('does not warn about URLs without a literal password', async () => {
      const text = hcl(
        'env "deploy" {',
        '  url = getenv("DATABASE_URL")',
        '  dev = "docker://postgres/15/dev?search_path=public"',
        '  src = "postgres://app:${var.password}@db/app"',
        '}',
        'env "local" {',
        '  url = "postgres://app@localhost/app"',
        '}',
      );
      expect((await inspectAtlasConfig(text, OPTS)).warnings).toEqual([]);
    });
  });

  describe('syntax errors', () => {
    it('reports the position HashiCorp’s parser gives, and nothing else', async () => {
      const text = hcl('env "deploy" {', '  url = ', '}');
      const report = await inspectAtlasConfig(text, { ...OPTS, file: 'db/atlas.hcl' });
      expect(report).toEqual({ problems: [expect.any(FileProblem)], warnings: [] });
      const [problem] = report.problems;
      expect(problem!.location).toEqual({ file: 'db/atlas.hcl', line: 2, column: 9 });
      expect(problem!.problem).toBe(
        'invalid HCL: Invalid expression (Expected the start of an expression, but found an invalid expression token)',
      );
      expect(problem!.fix).toBe(
        'correct the syntax at this position; Atlas parses db/atlas.hcl with the same HCL parser and would reject it too',
      );
    });

    it('reports every diagnostic, at its own position', async () => {
      const text = hcl('env "deploy" {', '  url = "unterminated', '}');
      const report = await inspectAtlasConfig(text, OPTS);
      expect(
        report.problems.map((p) => [p.location.line, p.location.column, p.problem.split(' (')[0]]),
      ).toEqual([
        [2, 22, 'invalid HCL: Invalid multi-line string'],
        [3, 2, 'invalid HCL: Invalid multi-line string'],
        [2, 22, 'invalid HCL: Unterminated template string'],
      ]);
    });

    it('reports a nested one-line block, which HCL forbids', async () => {
      const text = hcl('env "deploy" { migration { dir = "file://migrations" } }');
      const report = await inspectAtlasConfig(text, OPTS);
      expect(report.problems.length).toBeGreaterThan(0);
      expect(report.problems[0]!.location).toMatchObject({ file: 'atlas.hcl', line: 1 });
    });
  });
});
