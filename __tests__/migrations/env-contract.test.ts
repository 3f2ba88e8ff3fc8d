import { FileProblem } from '../../src/errors';
import { selectEnvBlocks } from '../../src/migrations/atlas-env';
import { inspectAtlasConfig } from '../../src/migrations/atlas-config';
import { analyseEnvContract, type EnvContract } from '../../src/migrations/env-contract';
import { outlineHcl } from '../../src/migrations/hcl-outline';

const hcl = (...lines: string[]): string => `${lines.join('\n')}\n`;

async function contractOf(text: string, env = 'deploy', vars: string[] = []): Promise<EnvContract> {
  const root = outlineHcl(text);
  const { selected } = await selectEnvBlocks(root, env);
  expect(selected.length).toBeGreaterThan(0);
  return analyseEnvContract(root, selected, { file: 'atlas.hcl', vars, text, env });
}

const names = (c: EnvContract): string[] => c.getenvs.map((g) => g.name);
const lines = (c: EnvContract): [number | undefined, string][] =>
  c.problems.map((p) => [p.location.line, p.problem]);

describe('analyseEnvContract', () => {
  describe('getenvs', () => {
    it('records each getenv of the env with its line and column, and the attribute it feeds', async () => {
      const c = await contractOf(
        hcl(
          'env "deploy" {',
          '  url = getenv("DATABASE_URL")',
          '  dev = "${getenv("DEV_URL")}"',
          '  migration {',
          '    dir = "file://migrations"',
          '  }',
          '}',
        ),
      );
      expect(c).toEqual({
        getenvs: [
          { name: 'DATABASE_URL', at: { file: 'atlas.hcl', line: 2, column: 9 }, via: ['url'] },
          { name: 'DEV_URL', at: { file: 'atlas.hcl', line: 3, column: 12 }, via: ['dev'] },
        ],
        runtimevars: [],
        problems: [],
      });
    });

    it('ignores what only another env reads, as Atlas drops the other env blocks', async () => {
      const c = await contractOf(
        hcl(
          'locals {',
          '  local_url = getenv("LOCAL_URL")',
          '}',
          'variable "ci_url" {',
          '  type    = string',
          '  default = getenv("CI_URL")',
          '}',
          'env "local" {',
          '  url = local.local_url',
          '  dev = env("NOT_ATLAS")',
          '}',
          'env "ci" {',
          '  url = var.ci_url',
          '}',
          'env "deploy" {',
          '  url = getenv("DATABASE_URL")',
          '}',
        ),
      );
      expect(names(c)).toEqual(['DATABASE_URL']);
      expect(c.problems).toEqual([]);
    });

    it('follows locals, variable defaults and data sources to the getenv they read', async () => {
      const c = await contractOf(
        hcl(
          'variable "host" {', // 1
          '  type    = string',
          '  default = getenv("DB_HOST")',
          '}',
          'locals {', // 5
          '  user = getenv("DB_USER")',
          '  url  = "postgres://${local.user}@${var.host}/app"',
          '}',
          'data "runtimevar" "pass" {', // 9
          '  url = "awssecretsmanager://${getenv("SECRET_NAME")}?region=us-east-1"',
          '}',
          'env "deploy" {', // 12
          '  url = "${local.url}?password=${data.runtimevar.pass}"',
          '}',
        ),
      );
      expect(c.getenvs.map((g) => [g.name, g.at.line, g.via])).toEqual([
        ['DB_HOST', 3, ['url']],
        ['DB_USER', 6, ['url']],
        ['SECRET_NAME', 10, ['url']],
      ]);
    });

    it('drops the getenv of a variable default when input vars sets the variable', async () => {
      const text = hcl(
        'variable "url" {',
        '  type    = string',
        '  default = getenv("DATABASE_URL")',
        '}',
        'env "deploy" {',
        '  url = var.url',
        '}',
      );
      expect(names(await contractOf(text))).toEqual(['DATABASE_URL']);
      expect(names(await contractOf(text, 'deploy', ['url']))).toEqual([]);
    });

    it('does not count a getenv in a local no attribute uses (Atlas calls it, its value is unused)', async () => {
      const c = await contractOf(
        hcl(
          'locals {',
          '  unused = getenv("UNUSED")',
          '}',
          'env "deploy" {',
          '  url = getenv("DATABASE_URL")',
          '}',
        ),
      );
      expect(names(c)).toEqual(['DATABASE_URL']);
    });

    it("counts the atlas block's token and a data source only an unused local reads", async () => {
      const c = await contractOf(
        hcl(
          'variable "token" {',
          '  type    = string',
          '  default = getenv("ATLAS_TOKEN")',
          '}',
          'atlas {',
          '  cloud {',
          '    token = var.token',
          '  }',
          '}',
          'data "runtimevar" "x" {',
          '  url = "awsparamstore://${getenv("PARAM")}?region=eu-west-1&decoder=string"',
          '}',
          'locals {',
          '  unused = data.runtimevar.x',
          '}',
          'env "deploy" {',
          '  url = "sqlite://file.db"',
          '}',
        ),
      );
      expect(c.getenvs.map((g) => [g.name, g.via])).toEqual([
        ['ATLAS_TOKEN', ['atlas.cloud.token']],
        ['PARAM', ['data.runtimevar.x']],
      ]);
    });

    it('reads unlabeled, for_each, heredoc and for-expression envs', async () => {
      const c = await contractOf(
        hcl(
          'env {',
          '  name     = atlas.env',
          '  for_each = [for t in split(",", getenv("TENANTS")) : trimspace(t)]',
          '  url      = "${getenv("BASE_URL")}/${each.value}"',
          '  dev      = <<EOT',
          '  ${getenv("DEV_URL")}',
          'EOT',
          '}',
        ),
        'prod',
      );
      expect(c.getenvs.map((g) => [g.name, g.at.line, g.at.column])).toEqual([
        ['TENANTS', 3, 35],
        ['BASE_URL', 4, 17],
        ['DEV_URL', 6, 5],
      ]);
      expect(c.problems).toEqual([]);
    });

    it('reads every selected block of the env name together', async () => {
      const c = await contractOf(
        hcl(
          'env "deploy" {',
          '  url = getenv("FIRST_URL")',
          '}',
          'env "deploy" {',
          '  url = getenv("SECOND_URL")',
          '}',
        ),
      );
      expect(names(c)).toEqual(['FIRST_URL', 'SECOND_URL']);
    });
  });

  describe('runtimevars', () => {
    it("reads the seed guide's recipe: name, region and where", async () => {
      const c = await contractOf(
        hcl(
          'data "runtimevar" "url" {',
          '  url = "awssecretsmanager://mydb?region=us-east-2"',
          '}',
          'env "deploy" {',
          '  url = "${data.runtimevar.url}"',
          '  migration {',
          '    dir = "file://migrations"',
          '  }',
          '}',
        ),
      );
      expect(c.runtimevars).toEqual([
        {
          label: 'url',
          url: 'awssecretsmanager://mydb?region=us-east-2',
          scheme: 'awssecretsmanager',
          name: 'mydb',
          region: 'us-east-2',
          at: { file: 'atlas.hcl', line: 2, column: 3 },
        },
      ]);
      expect(c.getenvs).toEqual([]);
      expect(c.problems).toEqual([]);
    });

    it('reads awsparamstore paths, urls built from literal defaults, and omits unread ones', async () => {
      const c = await contractOf(
        hcl(
          'variable "region" {',
          '  type    = string',
          '  default = "eu-west-1"',
          '}',
          'locals {',
          '  param = "awsparamstore:///app/db/url?region=${var.region}&decoder=string"',
          '}',
          'data "runtimevar" "db" {',
          '  url = local.param',
          '}',
          'data "runtimevar" "other" {',
          '  url = "awssecretsmanager://other"',
          '}',
          'env "local" {',
          '  url = data.runtimevar.other',
          '}',
          'env "deploy" {',
          '  url = data.runtimevar.db',
          '}',
        ),
      );
      expect(c.runtimevars.map((r) => [r.label, r.scheme, r.name, r.region])).toEqual([
        ['db', 'awsparamstore', '/app/db/url', 'eu-west-1'],
      ]);
    });

    it('keeps a url only Atlas can compute as unresolved, with its scheme, and no problem', async () => {
      const c = await contractOf(
        hcl(
          'variable "secret" {',
          '  type = string',
          '}',
          'data "runtimevar" "db" {',
          '  url = "awssecretsmanager://${var.secret}?region=us-east-1"',
          '}',
          'env "deploy" {',
          '  url = data.runtimevar.db',
          '}',
        ),
        'deploy',
        ['secret'],
      );
      expect(c.runtimevars).toEqual([]);
      expect(c.unresolvedRuntimevars).toEqual([
        {
          label: 'db',
          expression: '"awssecretsmanager://${var.secret}?region=us-east-1"',
          scheme: 'awssecretsmanager',
          at: { file: 'atlas.hcl', line: 5, column: 3 },
        },
      ]);
      expect(c.problems).toEqual([]);
    });

    it('refuses an ARN as the host and a decoder other than string, as Atlas does', async () => {
      const c = await contractOf(
        hcl(
          'data "runtimevar" "arn" {',
          '  url = "awssecretsmanager://arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbCdEf"',
          '}',
          'data "runtimevar" "json" {',
          '  url = "awssecretsmanager://mydb?region=us-east-2&decoder=json"',
          '}',
          'env "deploy" {',
          '  url = "${data.runtimevar.arn}${data.runtimevar.json}"',
          '}',
        ),
      );
      expect(c.runtimevars.map((r) => [r.label, r.name, r.region])).toEqual([
        ['arn', 'arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbCdEf', 'us-east-2'],
        ['json', 'mydb', 'us-east-2'],
      ]);
      expect(c.problems.map((p) => [p.location.line, p.problem, p.fix])).toEqual([
        [
          2,
          `data "runtimevar" "arn" has url "awssecretsmanager://arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbCdEf", which names the secret by its ARN, and Go's URL parser rejects it (invalid port ":mydb-AbCdEf" after host), so Atlas stops with 'data.runtimevar.arn: parsing url: ...'`,
          'name the secret by its name: url = "awssecretsmanager://<secret name>?region=us-east-2"',
        ],
        [
          5,
          `data "runtimevar" "json" has url "awssecretsmanager://mydb?region=us-east-2&decoder=json" with decoder=json, which Atlas refuses ('unsupported decoder: "json"'): it reads a runtimevar as a string only`,
          'remove decoder=json (or write decoder=string) and decode the value in atlas.hcl, e.g. jsondecode(data.runtimevar.json).password',
        ],
      ]);
    });
  });

  describe('cloud directories', () => {
    it('reads atlas://NAME?tag=T', async () => {
      const c = await contractOf(
        hcl('env "deploy" {', '  migration {', '    dir = "atlas://app?tag=v2"', '  }', '}'),
      );
      expect(c.cloudDirectory).toEqual({
        kind: 'atlas-url',
        name: 'app',
        tag: 'v2',
        at: { file: 'atlas.hcl', line: 3, column: 5 },
      });
    });

    it('reads a data "remote_dir" the dir refers to, through a local', async () => {
      const c = await contractOf(
        hcl(
          'data "remote_dir" "migrations" {',
          '  name = "app"',
          '  tag  = "main"',
          '}',
          'locals {',
          '  dir = data.remote_dir.migrations.url',
          '}',
          'env "deploy" {',
          '  migration {',
          '    dir = local.dir',
          '  }',
          '}',
        ),
      );
      expect(c.cloudDirectory).toEqual({
        kind: 'remote_dir',
        name: 'app',
        tag: 'main',
        at: { file: 'atlas.hcl', line: 10, column: 5 },
      });
    });

    it('has none for a file:// directory', async () => {
      const c = await contractOf(
        hcl('env "deploy" {', '  migration {', '    dir = "file://migrations"', '  }', '}'),
      );
      expect(c.cloudDirectory).toBeUndefined();
    });
  });

  describe('problems', () => {
    it('refuses a function Atlas does not have, naming the line and getenv', async () => {
      const c = await contractOf(hcl('env "deploy" {', '  url = env("DATABASE_URL")', '}'));
      expect(c.problems).toHaveLength(1);
      const [problem] = c.problems;
      expect(problem).toBeInstanceOf(FileProblem);
      expect(problem!.message).toBe(
        `atlas.hcl:2:9: env("DATABASE_URL") in env "deploy" calls env, a function Atlas does not have, so Atlas stops with 'Call to unknown function; There is no function named "env"'. Fix: write getenv("DATABASE_URL"): getenv is Atlas's function for reading an environment variable`,
      );
      expect(c.getenvs).toEqual([]);
    });

    it('suggests the Atlas function a misspelt call meant', async () => {
      const c = await contractOf(
        hcl('env "deploy" {', '  url = "${lenght("x")}${urlencode("y")}"', '}'),
      );
      expect(c.problems.map((p) => p.fix)).toEqual([
        'write length("x") (Atlas has length, not lenght)',
        "use Atlas's HCL functions (getenv, file, fileset, format, join, split, replace, lower, upper, urlescape, urlqueryset, jsondecode, ...) or compute the value outside atlas.hcl and pass it with input 'vars'",
      ]);
    });

    it('accepts every function and type constructor Atlas registers', async () => {
      const c = await contractOf(
        hcl(
          'variable "list" {',
          '  type    = list(string)',
          '  default = [for f in fileset("*.sql") : trimsuffix(f, ".sql")]',
          '}',
          'env "deploy" {',
          '  url = urlqueryset(urlsetpath(getenv("U"), "/db"), "a", jsonencode(jsondecode(file("x.json"))))',
          '  dev = format("%s-%s", lower(upper("a")), join(",", split(",", replace("a", "b", "c"))))',
          '  schemas = tolist(toset(concat(var.list, glob("*.hcl"))))',
          '}',
        ),
      );
      expect(c.problems).toEqual([]);
    });

    it('refuses a bare name inside ${...}, naming it and getenv', async () => {
      const c = await contractOf(
        hcl('env "deploy" {', '  url = "mysql://${DB_USER}@${db_host}/app"', '}'),
      );
      expect(c.problems.map((p) => [p.location, p.problem, p.fix])).toEqual([
        [
          { file: 'atlas.hcl', line: 2, column: 20 },
          `\${DB_USER} in env "deploy" refers to DB_USER, which atlas.hcl does not define (Atlas knows var., local., data., atlas.env, and each. in a for_each env), so Atlas stops with 'Unknown variable; There is no variable named "DB_USER"'`,
          'write ${getenv("DB_USER")} to read the environment variable DB_USER, or declare variable "DB_USER" { type = string } and write ${var.DB_USER}',
        ],
        [
          { file: 'atlas.hcl', line: 2, column: 31 },
          expect.stringContaining(`There is no variable named "db_host"`),
          'declare variable "db_host" { type = string } and write ${var.db_host}, or define db_host in a locals { } block and write ${local.db_host}',
        ],
      ]);
    });

    it('refuses var., local. and data. references that do not resolve', async () => {
      const c = await contractOf(
        hcl(
          'variable "database_url" {', // 1
          '  type    = string',
          '  default = "sqlite://x"',
          '}',
          'locals {', // 5
          '  dir = "file://migrations"',
          '}',
          'data "runtimevar" "pass" {', // 8
          '  url = "awssecretsmanager://pass?region=us-east-1"',
          '}',
          'env "deploy" {', // 11
          '  url = var.database_ur',
          '  dev = data.runtimevar.password',
          '  migration {',
          '    dir = local.migrations',
          '  }',
          '}',
        ),
      );
      expect(c.problems.map((p) => [p.location.line, p.problem, p.fix])).toEqual([
        [
          12,
          `var.database_ur in env "deploy" refers to variable "database_ur", which no variable block declares, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "database_ur"'`,
          `write var.database_url (variable "database_url" on line 1), or declare variable "database_ur" { type = string } with a default, or set by input 'vars'`,
        ],
        [
          13,
          `data.runtimevar.password refers to data "runtimevar" "password", which atlas.hcl does not define, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "password"'`,
          'add data "runtimevar" "password" { ... } to atlas.hcl, or refer to data.runtimevar.pass (line 8)',
        ],
        [
          15,
          `local.migrations in env "deploy" refers to a local "migrations" that no locals block defines, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "migrations"'`,
          'add migrations = ... to a locals { } block, or use one of local.dir',
        ],
      ]);
    });

    it('allows each. only in a for_each env, and atlas.env and the scoped enums everywhere Atlas does', async () => {
      const ok = await contractOf(
        hcl(
          'env {',
          '  name     = atlas.env',
          '  for_each = toset(["a", "b"])',
          '  url      = "sqlite://${each.key}-${each.value}.db"',
          '  migration {',
          '    dir        = "file://migrations"',
          '    format     = golang-migrate',
          '    exec_order = LINEAR_SKIP',
          '  }',
          '  lint {',
          '    review = WARNING',
          '  }',
          '}',
          'lint {',
          '  review = ERROR',
          '}',
        ),
      );
      expect(ok.problems).toEqual([]);

      const bad = await contractOf(
        hcl('env "deploy" {', '  url = each.value', '  dev = goose', '}'),
      );
      expect(lines(bad)).toEqual([
        [
          2,
          `each.value in env "deploy" is only defined inside an env block with for_each, and env "deploy" has none, so Atlas stops with 'Unknown variable; There is no variable named "each"'`,
        ],
        [3, expect.stringContaining(`There is no variable named "goose"`)],
      ]);
      const multi = hcl('env "multi" {', '  for_each = ["a"]', '  url      = each.name', '}');
      expect(lines(await contractOf(multi, 'multi'))).toEqual([
        [
          3,
          `each.name in env "multi" is not defined: each has only each.key and each.value, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "name"'`,
        ],
      ]);
    });

    it('does not take the symbols of a for expression for references', async () => {
      const c = await contractOf(
        hcl(
          'locals {',
          '  urls = { for k, v in { a = "x" } : k => "${v}-${k}" }',
          '  list = "%{ for s in ["a"] }${s}%{ endfor }"',
          '}',
          'env "deploy" {',
          '  url = local.urls["a"]',
          '  dev = local.list',
          '}',
        ),
      );
      expect(c.problems).toEqual([]);
    });

    it('checks every local, since Atlas evaluates them all, but not another env', async () => {
      const c = await contractOf(
        hcl(
          'locals {',
          '  broken = env("X")',
          '}',
          'env "other" {',
          '  url = nope("Y")',
          '}',
          'env "deploy" {',
          '  url = "sqlite://x"',
          '}',
        ),
      );
      expect(lines(c)).toEqual([
        [2, expect.stringContaining('env("X") in the locals block calls env')],
      ]);
    });

    it('refuses a variable with no value, naming its line, the use and both fixes', async () => {
      const text = hcl(
        'variable "url" {', // 1
        '  type = string',
        '}',
        'variable "unused" {', // 4
        '  type = string',
        '}',
        'variable "fine" {', // 7
        '  type    = string',
        '  default = "x"',
        '}',
        'env "deploy" {', // 11
        '  url = var.url',
        '}',
      );
      const c = await contractOf(text);
      expect(c.problems.map((p) => [p.location, p.problem, p.fix])).toEqual([
        [
          { file: 'atlas.hcl', line: 1, column: 1 },
          `variable "url" has no default and input 'vars' does not set it, so Atlas stops with 'missing value for required variable "url"' before it runs anything (env "deploy" uses it on line 12)`,
          `add a default to variable "url" (default = ...), or set input 'vars' to url=<value>`,
        ],
        [
          { file: 'atlas.hcl', line: 4, column: 1 },
          `variable "unused" has no default and input 'vars' does not set it; Atlas needs a value for every variable atlas.hcl declares, even one env "deploy" does not use, and stops with 'missing value for required variable "unused"'`,
          `add a default to variable "unused" (default = ...), or set input 'vars' to unused=<value>`,
        ],
      ]);
      expect((await contractOf(text, 'deploy', ['url', 'unused'])).problems).toEqual([]);
    });

    it('refuses a variable without type, and a default that refers to var., local. or data.', async () => {
      const c = await contractOf(
        hcl(
          'variable "a" {',
          '  default = "x"',
          '}',
          'variable "b" {',
          '  type    = string',
          '  default = var.a',
          '}',
          'env "deploy" {',
          '  url = var.b',
          '}',
        ),
      );
      expect(lines(c)).toEqual([
        [
          1,
          `variable "a" has no type, so Atlas stops with 'Missing required argument; The argument "type" is required'`,
        ],
        [
          6,
          `the default of variable "b" refers to var.a, but Atlas evaluates variable blocks before any variable, local or data source exists, so it stops with 'Unknown variable; There is no variable named "var"'`,
        ],
      ]);
    });
  });

  it("refuses Terraform's sensitive and validation in a variable block, which Atlas does not take", async () => {
    const c = await contractOf(
      hcl(
        'variable "password" {',
        '  type        = string',
        '  description = "the password"',
        '  default     = "x"',
        '  sensitive   = true',
        '  validation {',
        '    condition = length(var.password) > 0',
        '  }',
        '}',
        'env "deploy" {',
        '  url = "mysql://u:${var.password}@h"',
        '}',
      ),
    );
    expect(c.problems.map((p) => [p.location.line, p.problem, p.fix])).toEqual([
      [
        5,
        `variable "password" has a sensitive attribute, which Atlas's variable blocks do not have (only type, default and description), so Atlas stops with 'Unsupported argument; An argument named "sensitive" is not expected here'`,
        'remove sensitive from variable "password"',
      ],
      [
        6,
        `variable "password" has a validation block, which Atlas's variable blocks do not have (only type, default and description), so Atlas stops with 'Unsupported block type; Blocks of type "validation" are not expected here'`,
        'remove the validation block from variable "password"',
      ],
    ]);
  });

  describe('other facts', () => {
    it('lists the programs Atlas runs for the env and the env blocks without url', async () => {
      const c = await contractOf(
        hcl(
          'data "external_schema" "gorm" {',
          '  program = ["go", "run", "./loader"]',
          '}',
          'data "external_schema" "unused" {',
          '  program = ["python3", "load.py"]',
          '}',
          'env "deploy" {',
          '  src = data.external_schema.gorm.url',
          '}',
        ),
      );
      expect(c.externalPrograms).toEqual([
        {
          type: 'external_schema',
          label: 'gorm',
          program: ['go', 'run', './loader'],
          at: { file: 'atlas.hcl', line: 1, column: 1 },
        },
      ]);
      expect(c.withoutUrl).toEqual([{ file: 'atlas.hcl', line: 7, column: 1 }]);
    });
  });
});

describe('inspectAtlasConfig with the env contract', () => {
  it('reports the contract and puts its problems with the others', async () => {
    const text = hcl(
      'env "deploy" {',
      '  url = env("DATABASE_URL")',
      '  dev = getenv("DEV_URL")',
      '  migration {',
      '    dir = "file://db"',
      '  }',
      '}',
    );
    const report = await inspectAtlasConfig(text, {
      file: 'atlas.hcl',
      env: 'deploy',
      migrationsDir: 'migrations',
    });
    expect(report.problems.map((p) => p.location.line)).toEqual([5, 2]);
    expect(report.contract?.getenvs.map((g) => g.name)).toEqual(['DEV_URL']);
    expect(report.contract?.problems).toEqual([report.problems[1]]);
  });

  it('passes the names of input vars, and has no contract when the env is missing', async () => {
    const text = hcl(
      'variable "url" {',
      '  type = string',
      '}',
      'env "deploy" {',
      '  url = var.url',
      '}',
    );
    const opts = { file: 'atlas.hcl', env: 'deploy', migrationsDir: 'migrations' };
    expect((await inspectAtlasConfig(text, opts)).problems).toHaveLength(1);
    const given = await inspectAtlasConfig(text, { ...opts, vars: [{ name: 'url', line: 1 }] });
    expect(given.problems).toEqual([]);
    expect(given.contract).toEqual({
      getenvs: [],
      runtimevars: [],
      problems: [],
    });
    expect((await inspectAtlasConfig(text, { ...opts, env: 'nope' })).contract).toBeUndefined();
  });
});
