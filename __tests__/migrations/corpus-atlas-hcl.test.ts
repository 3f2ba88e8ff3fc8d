// The real-world atlas.hcl files of ../shared/corpus/atlas-hcl (see its SOURCES.md) through the
// atlas.hcl check, each with the env a deploy of that project would use, and the outcome judged
// against what Atlas itself would do with the file inside the migration container. The files are
// read where they are, never copied into the project.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { inspectAtlasConfig, type AtlasConfigReport } from '../../src/migrations/atlas-config';

const CORPUS = path.join(__dirname, '..', '..', '..', 'shared', 'corpus', 'atlas-hcl');

interface Case {
  readonly file: string;
  /** Input 'atlas-env': the env the project deploys with. */
  readonly env: string;
  /** Input 'migrations-dir': the directory that env reads. */
  readonly migrationsDir: string;
  /** Names input 'vars' sets. */
  readonly vars?: readonly string[];
  /** Every problem, as [line, text it contains]; none: accepted. */
  readonly problems: readonly (readonly [number, string])[];
  /** The contract's facts worth pinning: getenvs as NAME:line, and the rest. */
  readonly getenvs?: readonly string[];
  readonly runtimevars?: readonly string[];
  readonly unresolvedRuntimevars?: readonly string[];
  readonly cloud?: string;
  readonly programs?: readonly string[];
  readonly withoutUrl?: boolean;
  readonly dirFormat?: string;
  /** What Atlas would do with it (for refusals: what it would have said). */
  readonly atlas: string;
}

const REQUIRED = "has no default and input 'vars' does not set it";

const CASES: readonly Case[] = [
  {
    file: '01-smtpbridge-goose-comments.hcl',
    env: 'local',
    migrationsDir: 'migrations/sql',
    problems: [],
    dirFormat: 'goose',
    withoutUrl: false,
    atlas: 'runs: format = goose is one of the bare names Atlas declares for env.migration.format',
  },
  {
    file: '02-aftermath-golang-migrate-query.hcl',
    env: 'migrate',
    migrationsDir: 'migrations',
    problems: [[42, 'is an absolute path, which does not exist inside the migration image']],
    getenvs: ['DATABASE_URL:3'],
    atlas:
      'fails in the image: "file:///migrations" is the root of the container, where the action ships nothing (sql/migrate: stat /migrations: no such file or directory)',
  },
  {
    file: '03-hostling-two-dialects-noeol.hcl',
    env: 'postgresql',
    migrationsDir: 'migrations/postgresql',
    problems: [],
    programs: ['external_schema.gorm_postgres: go run -mod=mod ./cmd/loader -dialect=postgres'],
    withoutUrl: true,
    atlas:
      'evaluates data.external_schema.gorm_postgres (src) and runs its go program in the container; the env has no url, so without --url in migrate-args it stops with \'required flag "url" not set\' (facts for the container check)',
  },
  {
    file: '04-finndersen-sqlalchemy-lint-tabs.hcl',
    env: 'project_config',
    migrationsDir: 'src/db/migrations',
    problems: [],
    programs: ['external_schema.sqlalchemy: python3 scripts/load_models.py'],
    withoutUrl: true,
    atlas: 'runs python3 scripts/load_models.py for src; needs --url (no url in the env)',
  },
  {
    file: '05-yasairap-japanese-comments-exclude.hcl',
    env: 'heroku',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['DATABASE_URL:27'],
    atlas: 'runs with DATABASE_URL from the container (CRLF and UTF-8 comments are fine)',
  },
  {
    file: '06-showcase-runtimevar-rds-token.hcl',
    env: 'roles',
    migrationsDir: 'migrations',
    problems: [
      [1, `variable "endpoint" ${REQUIRED}`],
      [5, `variable "aws_profile" ${REQUIRED}`],
      [9, `variable "database_name" ${REQUIRED}`],
      [18, `variable "master_secret_name" ${REQUIRED}`],
    ],
    unresolvedRuntimevars: ['master_secret: awssecretsmanager'],
    withoutUrl: false,
    atlas: 'Error: missing value for required variable "endpoint" (the first of the four)',
  },
  {
    file: '06-showcase-runtimevar-rds-token.hcl',
    env: 'roles',
    migrationsDir: 'migrations',
    vars: ['endpoint', 'aws_profile', 'database_name', 'master_secret_name'],
    problems: [],
    unresolvedRuntimevars: ['master_secret: awssecretsmanager'],
    atlas:
      'with the four vars: reads the secret named by --var master_secret_name with the task role (its name is only known to Atlas)',
  },
  {
    file: '07-showcase-locals-dialect-map.hcl',
    env: 'sqlalchemy',
    migrationsDir: 'migrations',
    problems: [[1, `variable "dialect" ${REQUIRED}`]],
    programs: ['external_schema.sqlalchemy'],
    withoutUrl: true,
    atlas: 'Error: missing value for required variable "dialect"',
  },
  {
    file: '07-showcase-locals-dialect-map.hcl',
    env: 'sqlalchemy',
    migrationsDir: 'migrations',
    vars: ['dialect'],
    problems: [],
    programs: ['external_schema.sqlalchemy'],
    atlas:
      'with --var dialect=...: runs atlas-provider-sqlalchemy (program computed from var.dialect) and reads file://migrations/<dialect>',
  },
  {
    file: '08-miles-var-interpolation-bare-src.hcl',
    env: 'local',
    migrationsDir: 'migrations',
    problems: [],
    atlas: 'runs (the literal password in the variable default is a warning)',
  },
  {
    file: '09-coze-mysql-baseline-exclude.hcl',
    env: 'local',
    migrationsDir: 'migrations',
    problems: [],
    atlas: 'runs (exclude and baseline are migration attributes Atlas reads)',
  },
  {
    file: '10-cloudnative-mysql-shell-comments.hcl',
    env: 'local',
    migrationsDir: 'migrations',
    problems: [],
    atlas: 'runs; the # lines after the env are comments',
  },
  {
    file: '11-codefresh-cloud-remote-dir.hcl',
    env: 'deploy',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['ATLAS_TOKEN:3', 'DATABASE_URL:18'],
    cloud: 'remote_dir demo',
    atlas:
      'the unlabeled env takes any --env; it pulls data.remote_dir "demo" from Atlas Cloud with the token in ATLAS_TOKEN (var.cloud_token)',
  },
  {
    file: '12-exauth-docker-variant-name.hcl',
    env: 'gorm',
    migrationsDir: 'migrations',
    problems: [],
    programs: ['external_schema.gorm: go run ./cmd/migrator/atlas-provider-gorm.go'],
    atlas: 'runs the go program for src, then applies to the postgres host of its compose network',
  },
  {
    file: '13-gin-gorm-inline-comment.hcl',
    env: 'gorm',
    migrationsDir: 'migrations',
    problems: [],
    programs: [
      'external_schema.gorm: go run -mod=mod ariga.io/atlas-provider-gorm load --path ./app/entity --dialect postgres',
    ],
    withoutUrl: true,
    atlas: 'runs the gorm provider; needs --url',
  },
  {
    file: '14-gowebserver-env-func.hcl',
    env: 'prod',
    migrationsDir: 'migrations',
    problems: [[18, 'calls env, a function Atlas does not have']],
    atlas: 'Error: atlas.hcl:18,9-12: Call to unknown function; There is no function named "env".',
  },
  {
    file: '15-brackeys-atlas-registry-drizzle.hcl',
    env: 'deploy',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['DATABASE_URL:22'],
    cloud: 'atlas-url brackeys',
    atlas:
      'the unlabeled env takes any --env (env "local", with its drizzle program and ATLAS_DEV_URL, is dropped); pulls atlas://brackeys, which needs ATLAS_TOKEN',
  },
  {
    file: '16-atlas-e2e-for-each-toset.hcl',
    env: 'deploy',
    migrationsDir: 'migrations',
    problems: [],
    atlas: 'runs once per for_each element, url = each.value',
  },
  {
    file: '17-action-for-each-list-format.hcl',
    env: 'deploy',
    migrationsDir: 'migrations',
    problems: [],
    atlas: "runs per element; no migration block, so Atlas's default file://migrations",
  },
  {
    file: '18-action-hcl-schema-lint-review.hcl',
    env: 'test',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['CURRENT_TIMESTAMP:3'],
    atlas:
      'runs; evaluates data.hcl_schema.app (schema.src), whose vars read getenv("CURRENT_TIMESTAMP"); lint.review = ERROR is a declared enum',
  },
  {
    file: '19-kanpon-ent-provider.hcl',
    env: 'ci',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['DATABASE_URL:29'],
    programs: [
      'external_schema.ent: go run -mod=mod ariga.io/atlas-provider-ent load --path ./internal/storage/ent/schema --dialect postgres',
    ],
    atlas: 'runs the ent provider for src, with DATABASE_URL from the container',
  },
  {
    file: '20-movie-required-var-noeol.hcl',
    env: 'prod',
    migrationsDir: 'migrations',
    problems: [[10, `variable "url" ${REQUIRED}, so Atlas stops`]],
    atlas: 'Error: missing value for required variable "url"',
  },
  {
    file: '20-movie-required-var-noeol.hcl',
    env: 'prod',
    migrationsDir: 'migrations',
    vars: ['url'],
    problems: [],
    atlas: 'with --var url=...: runs; the gorm program only env "dev" uses is not run',
  },
  {
    file: '21-lovender-undefined-interp.hcl',
    env: 'production',
    migrationsDir: 'migrations',
    problems: [
      [10, 'There is no variable named "DB_USER"'],
      [10, 'There is no variable named "DB_PASSWORD"'],
      [10, 'There is no variable named "DB_HOST"'],
      [10, 'There is no variable named "DB_NAME"'],
    ],
    atlas:
      'Error: atlas.hcl:10,20-27: Unknown variable; There is no variable named "DB_USER". (and the same for DB_PASSWORD, DB_HOST, DB_NAME)',
  },
  {
    file: '22-slo-tracker-inline-hash-comment.hcl',
    env: 'default',
    migrationsDir: 'migrations',
    problems: [],
    getenvs: ['DATABASE_URL:15'],
    atlas: 'runs with DATABASE_URL from the container',
  },
  {
    file: '23-muxac-minimal-sqlite.hcl',
    env: 'local',
    migrationsDir: 'db/migrations',
    problems: [],
    withoutUrl: true,
    atlas: 'needs --url: the env sets src, dev and the dir only',
  },
  {
    file: '24-gosetup-data-after-env-noeol.hcl',
    env: 'local',
    migrationsDir: 'migrations',
    problems: [],
    programs: ['external_schema.gorm: go run ./cmd/migrate/main.go'],
    withoutUrl: true,
    atlas:
      'the data source declared after the env resolves (Atlas collects every data block before it evaluates); runs the go program; needs --url',
  },
];

function facts(report: AtlasConfigReport) {
  const c = report.contract;
  return {
    getenvs: c?.getenvs.map((g) => `${g.name}:${g.at.line}`) ?? [],
    runtimevars: c?.runtimevars.map((r) => `${r.label}: ${r.scheme}://${r.name}`) ?? [],
    unresolvedRuntimevars: (c?.unresolvedRuntimevars ?? []).map((r) => `${r.label}: ${r.scheme}`),
    cloud: c?.cloudDirectory ? `${c.cloudDirectory.kind} ${c.cloudDirectory.name}` : undefined,
    programs: (c?.externalPrograms ?? []).map(
      (p) => `${p.type}.${p.label}${p.program ? `: ${p.program.join(' ')}` : ''}`,
    ),
    withoutUrl: (c?.withoutUrl ?? []).length > 0,
  };
}

const present = existsSync(CORPUS);
(present ? describe : describe.skip)(
  present
    ? 'corpus: real-world atlas.hcl files'
    : `corpus: real-world atlas.hcl files (SKIPPED: ${CORPUS} is absent; CI has ../shared/corpus next to the project)`,
  () => {
    it('has a row for every file of the corpus', () => {
      const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hcl'));
      expect([...new Set(CASES.map((c) => c.file))].sort()).toEqual(files.sort());
    });

    it.each(
      CASES.map((c) => [
        `${c.file} --env ${c.env}${c.vars ? ` (vars ${c.vars.join(', ')})` : ''}`,
        c,
      ]),
    )('%s', async (_name, c) => {
      const text = readFileSync(path.join(CORPUS, c.file), 'utf8');
      const report = await inspectAtlasConfig(text, {
        file: 'atlas.hcl',
        env: c.env,
        migrationsDir: c.migrationsDir,
        vars: (c.vars ?? []).map((name, i) => ({ name, line: i + 1 })),
      });
      expect(report.inputProblems).toBeUndefined();
      expect(report.problems.map((p) => [p.location.line, p.message])).toEqual(
        c.problems.map(([line, text]) => [line, expect.stringContaining(text)]),
      );
      // Every refusal says how to fix it.
      for (const p of report.problems) expect(p.fix).not.toBe('');
      const got = facts(report);
      expect(got.getenvs).toEqual(c.getenvs ?? []);
      expect(got.runtimevars).toEqual(c.runtimevars ?? []);
      expect(got.unresolvedRuntimevars).toEqual(c.unresolvedRuntimevars ?? []);
      expect(got.cloud).toBe(c.cloud);
      expect(got.programs).toEqual(c.programs ?? []);
      if (c.withoutUrl !== undefined) expect(got.withoutUrl).toBe(c.withoutUrl);
      if (c.dirFormat !== undefined) expect(report.dirFormat).toBe(c.dirFormat);
    });
  },
);
