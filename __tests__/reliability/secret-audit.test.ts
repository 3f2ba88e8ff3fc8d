// Secret audit (issue 5, deliverable 3): every end-to-end scenario of the bundled action, run as the
// runner runs it, with and without step debug logging, with known secret values planted where a
// real run has them — the Secrets Manager value (FakeAws), the ECR token (FakeAws
// GetAuthorizationToken), Docker config logins for a registry behind htpasswd and one behind a
// Bearer token server, database URLs and AWS credentials in the step's environment. Everything the
// run leaves (log, stderr, job summary, output file, every file it wrote) is searched for each of
// them in every form (secret-scan.ts): zero hits, and the table says what was searched.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readOciLayoutImage } from '../../src/files/oci-layout';
import { pushableFromLayout } from '../helpers/images';
import { pushImage } from '../../src/registry/push';
import { startEcrEndpoint, type EcrEndpoint } from '../helpers/ecr-endpoint';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import { runAction, type ActionRun } from '../helpers/run-action';
import {
  bytesBySource,
  leakableText,
  maskedValues,
  needlesOf,
  randomSecret,
  RUNNER_VIEW,
  runnerView,
  scanForSecrets,
  type Hit,
  type Needle,
  type PlantedSecret,
} from '../helpers/secret-scan';
import { testClient } from '../helpers/test-client';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  awsEnv,
  CLUSTER,
  deployInputs,
  repositoryName,
  SECRET_NAME,
  SERVICE,
  startSeededAws,
} from '../e2e/deploy-env';

/** A password with characters that URL encoding changes, so that form differs from the raw one. */
const password = (label: string) => `${label}-${randomSecret(6)}+/${randomSecret(6)}`;
const dbUrl = (pw: string) => `postgres://app:${encodeURIComponent(pw)}@db.internal:5432/app`;

const smPassword = password('sm');
const envDbPassword = password('env');
const ecrPassword = `ecr${randomSecret()}`;
const basicPassword = password('basic');
const bearerPassword = password('bearer');
const REGISTRY_USER = 'deployer';

const PLANTED = {
  secretsManager: {
    name: 'Secrets Manager value',
    value: dbUrl(smPassword),
    parts: { password: smPassword },
  },
  ecrToken: {
    name: 'ECR token',
    value: Buffer.from(`AWS:${ecrPassword}`).toString('base64'),
    parts: { password: ecrPassword },
  },
  basicLogin: {
    name: 'Docker config password (htpasswd registry)',
    value: basicPassword,
    parts: { auth: Buffer.from(`${REGISTRY_USER}:${basicPassword}`).toString('base64') },
  },
  bearerLogin: {
    name: 'Docker config password (token server)',
    value: bearerPassword,
    parts: { auth: Buffer.from(`${REGISTRY_USER}:${bearerPassword}`).toString('base64') },
  },
  envDbUrl: {
    name: 'DB URL in env',
    value: dbUrl(envDbPassword),
    parts: { password: envDbPassword },
  },
  awsSecretKey: { name: 'AWS_SECRET_ACCESS_KEY', value: `${randomSecret(15)}/${randomSecret(4)}+` },
  awsSessionToken: { name: 'AWS_SESSION_TOKEN', value: `IQoJb3JpZ2luX2Vj${randomSecret(48)}` },
} satisfies Record<string, PlantedSecret>;
const PLANTED_NEEDLES: Needle[] = Object.values(PLANTED).flatMap(needlesOf);
/** The forms each secret is searched in (needlesOf), as the report names them. */
const FORMS = [
  'raw',
  'its password part alone',
  'base64 and base64url at each byte offset',
  'URL-encoded',
  'JSON-escaped',
];

/** The infrastructure every scenario may use, shared by the file. */
let plainRegistry: RegistryServer;
let basicRegistry: RegistryServer;
let bearerRegistry: RegistryServer;
let bearerProxy: FaultProxy;
let ecr: EcrEndpoint;
let scratch: string;
let dockerConfig: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'secret-audit-'));
  [plainRegistry, basicRegistry, bearerRegistry, ecr] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: { username: REGISTRY_USER, password: basicPassword } }),
    startRegistry(),
    startEcrEndpoint({ password: ecrPassword }),
  ]);
  bearerProxy = await startFaultProxy({
    upstream: bearerRegistry.url,
    bearer: { username: REGISTRY_USER, password: bearerPassword },
  });
  // One Docker config for every run: both logins, as `docker login` writes them (auth) and as
  // hand-written configs have them (username/password).
  dockerConfig = path.join(scratch, 'docker');
  mkdirSync(dockerConfig);
  const entry = (pw: string) => ({
    auth: Buffer.from(`${REGISTRY_USER}:${pw}`).toString('base64'),
    username: REGISTRY_USER,
    password: pw,
  });
  writeFileSync(
    path.join(dockerConfig, 'config.json'),
    JSON.stringify({
      auths: {
        [basicRegistry.host]: entry(basicPassword),
        [bearerProxy.host]: entry(bearerPassword),
      },
    }),
  );
  await pushBaseTo(basicRegistry.host);
}, 120_000);

afterAll(async () => {
  await bearerProxy?.stop();
  await Promise.all([plainRegistry, basicRegistry, bearerRegistry, ecr].map((s) => s?.stop()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Puts the stand-in base (amd64) at <registry>/arigaio/atlas:latest, logged in from the config. */
async function pushBaseTo(registry: string): Promise<void> {
  const ws = await exampleWorkspace();
  try {
    const layout = path.join(ws.dir, 'base-image');
    const base = await readOciLayoutImage(layout, 'latest', { os: 'linux', architecture: 'amd64' });
    await pushImage(
      testClient(dockerConfig).client,
      { registry, repository: 'arigaio/atlas' },
      pushableFromLayout(layout, base),
      ['latest'],
      () => undefined,
    );
  } finally {
    ws.remove();
  }
}

/** One run's world: a workspace, a seeded FakeAws holding the planted values, its environment. */
interface Context {
  ws: TestWorkspace;
  aws: FakeAws;
  run(inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun>;
}

interface Scenario {
  name: string;
  /** The exit code that shows the scenario happened as meant (else the audit proves nothing). */
  exit: 0 | 1;
  /** Arranges FakeAws and the workspace, then runs the action (more than once for a promote). */
  play(ctx: Context): Promise<ActionRun[]>;
  /** Checks the scenario took the path it names (a rollback happened, a login was used…). */
  check?(runs: ActionRun[], ctx: Context): void;
}

const deploy = (label: string, overrides: Record<string, string> = {}) =>
  deployInputs(`${plainRegistry.host}/${repositoryName(label)}`, overrides);
const dryRunInputs = { ...DEMO_INPUTS };

const SCENARIOS: Scenario[] = [
  {
    name: 'dry run, OCI-layout base',
    exit: 0,
    play: async (ctx) => [await ctx.run(dryRunInputs)],
    check: (_runs, ctx) => expect(ctx.aws.calls).toEqual([]),
  },
  {
    name: 'dry run, registry base behind basic auth',
    exit: 0,
    play: async (ctx) => [
      await ctx.run({
        ...dryRunInputs,
        'atlas-image': `${basicRegistry.host}/arigaio/atlas:latest`,
        'image-repository': `${basicRegistry.host}/${repositoryName('audit-dry')}`,
      }),
    ],
    check: ([run]) => expect(maskedValues(run!.stdout)).toContain(basicPassword),
  },
  {
    name: 'deploy succeeds',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
      return [await ctx.run(deploy('audit-ok'))];
    },
    check: ([run]) => expect(run!.outputs['migration-status']).toBe('succeeded'),
  },
  {
    name: 'migration fails, rolled back (log read)',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.migrationFails(), CLUSTER);
      return [await ctx.run(deploy('audit-migfail'))];
    },
    check: (_runs, ctx) => {
      expect(ctx.aws.callsOf('GetLogEvents').length).toBeGreaterThan(0);
      // Rolled back by ECS's own rollback: one UpdateService, then StopServiceDeployment.
      expect(ctx.aws.callsOf('UpdateService')).toHaveLength(1);
      expect(ctx.aws.callsOf('StopServiceDeployment')).toHaveLength(1);
    },
  },
  {
    name: 'app crash, circuit breaker rolls back',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(
        SERVICE,
        scenarios.appCrash({ crashAtPoll: 2, rollbackAtPoll: 4 }),
        CLUSTER,
      );
      return [await ctx.run(deploy('audit-crash'))];
    },
    check: ([run]) => expect(run!.outputs['migration-status']).toBe('succeeded'),
  },
  {
    name: 'circuit breaker without rollback: the action rolls back',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(
        SERVICE,
        scenarios.circuitBreaker({ failAtPoll: 3, rollback: false }),
        CLUSTER,
      );
      return [await ctx.run(deploy('audit-breaker'))];
    },
    check: (_runs, ctx) => expect(ctx.aws.callsOf('UpdateService')).toHaveLength(2),
  },
  {
    name: 'rollout timeout',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.neverFinishes(), CLUSTER);
      return [await ctx.run(deploy('audit-timeout', { 'wait-timeout-minutes': '0.01' }))];
    },
    check: ([run]) => expect(run!.stdout).toMatch(/did not finish within 0\.01 min/),
  },
  {
    name: 'wait-for-service-stability: false',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      return [await ctx.run(deploy('audit-nowait', { 'wait-for-service-stability': 'false' }))];
    },
    check: ([run]) => expect(run!.outputs['migration-status']).toBe('skipped'),
  },
  {
    name: 'promote a registered revision (2 runs)',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      const inputs = deploy('audit-promote');
      const staged = await ctx.run(inputs);
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      const promoted = await ctx.run({
        ...inputs,
        'task-definition': staged.outputs['task-definition-arn'] ?? '',
        'force-new-deployment': 'true',
      });
      return [staged, promoted];
    },
    check: ([staged, promoted]) => {
      expect(staged!.code).toBe(0);
      expect(promoted!.stdout).toContain('without a new revision');
    },
  },
  {
    name: 'mode: run-task, migration succeeds',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      return [await ctx.run(deploy('audit-runtask', { mode: 'run-task' }))];
    },
    check: (_runs, ctx) => expect(ctx.aws.callsOf('RunTask')).toHaveLength(1),
  },
  {
    name: 'mode: run-task, migration fails',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.standalone.setBehaviour({ scenario: standalone.migrationFails() });
      return [await ctx.run(deploy('audit-runtask-fail', { mode: 'run-task' }))];
    },
    check: (_runs, ctx) => expect(ctx.aws.callsOf('UpdateService')).toEqual([]),
  },
  {
    name: 'registry behind basic auth (Docker config)',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      const repository = `${basicRegistry.host}/${repositoryName('audit-basic')}`;
      return [await ctx.run(deployInputs(repository))];
    },
    check: ([run]) => expect(maskedValues(run!.stdout)).toContain(basicPassword),
  },
  {
    name: 'registry behind a Bearer token server',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      const repository = `${bearerProxy.host}/${repositoryName('audit-bearer')}`;
      return [await ctx.run(deployInputs(repository))];
    },
    check: ([run]) => {
      expect(maskedValues(run!.stdout)).toContain(bearerPassword);
      expect(issuedTokens(run!).length).toBeGreaterThan(0);
    },
  },
  {
    name: 'ECR registry (GetAuthorizationToken, HTTPS)',
    exit: 0,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
      const name = repositoryName('audit-ecr');
      ctx.aws.ecr.repositories.add(name);
      return [await ctx.run(deployInputs(`${ecr.host}/${name}`), ecr.env)];
    },
    check: (_runs, ctx) => expect(ctx.aws.ecr.tokensIssued).toBe(1),
  },
  {
    name: 'bad input: a DB URL pasted as database-url-secret',
    exit: 1,
    play: async (ctx) => [
      await ctx.run(
        deploy('audit-pasted', { 'database-url-secret': PLANTED.secretsManager.value }),
      ),
    ],
    check: (_runs, ctx) => expect(ctx.aws.calls).toEqual([]),
  },
  {
    name: 'bad input: migrate-args --url with the DB URL',
    exit: 1,
    play: async (ctx) => [
      await ctx.run(deploy('audit-url-arg', { 'migrate-args': `--url ${PLANTED.envDbUrl.value}` })),
    ],
    check: (_runs, ctx) => expect(ctx.aws.calls).toEqual([]),
  },
  {
    name: 'bad input: edited migration vs atlas.sum',
    exit: 1,
    play: async (ctx) => {
      writeFileSync(
        path.join(ctx.ws.dir, 'migrations', '20240215093000_create_orders.sql'),
        'DROP TABLE users;\n',
      );
      return [await ctx.run(deploy('audit-sum'))];
    },
    check: ([run]) => expect(run!.stdout).toContain('atlas.sum'),
  },
  {
    name: 'bad AWS state: the secret does not exist',
    exit: 1,
    play: async (ctx) => [
      await ctx.run(deploy('audit-nosecret', { 'database-url-secret': 'prod/api/missing' })),
    ],
    check: (_runs, ctx) => expect(ctx.aws.writes()).toEqual([]),
  },
  {
    name: 'migration fails and Atlas’s log quotes the DB URL (shown with ***)',
    exit: 1,
    play: async (ctx) => {
      ctx.aws.ecs.setScenario(
        SERVICE,
        scenarios.migrationFails({
          log: [
            'Migrating to version 20240310170000 (1 migrations in total):',
            `Error: connecting to ${PLANTED.secretsManager.value}: dial tcp: lookup db.internal: no such host`,
          ],
        }),
        CLUSTER,
      );
      return [await ctx.run(deploy('audit-logurl'))];
    },
    check: ([run]) => expect(run!.stdout).toContain('connecting to postgres://app:***@db.internal'),
  },
  {
    name: 'a JDBC URL pasted as database-url-secret',
    exit: 1,
    play: async (ctx) => [
      await ctx.run(
        deploy('audit-jdbc', {
          'database-url-secret': `jdbc:postgresql://db.internal:5432/app?user=app&password=${encodeURIComponent(smPassword)}`,
        }),
      ),
    ],
    check: (_runs, ctx) => expect(ctx.aws.calls).toEqual([]),
  },
  {
    name: 'a key=value DSN pasted as database-url-secret',
    exit: 1,
    play: async (ctx) => [
      await ctx.run(
        deploy('audit-dsn', {
          'database-url-secret': `host=db.internal user=app password=${smPassword} dbname=app`,
        }),
      ),
    ],
    check: (_runs, ctx) => expect(ctx.aws.calls).toEqual([]),
  },
];

/** Bearer tokens the fault proxy's token server issued (16 random bytes, hex), as the run masked them. */
function issuedTokens(run: ActionRun): string[] {
  return maskedValues(run.stdout).filter((value) => /^[0-9a-f]{32}$/.test(value));
}

/** Which planted secrets the action process had: in its environment, or fetched during the run. */
function reached(runs: ActionRun[], ctx: Context): string {
  const masked = runs.flatMap((run) => maskedValues(run.stdout));
  const got = ['env: DB URLs, AWS key + session token'];
  const secretReads = ctx.aws.callsOf('GetSecretValue').length;
  got.push(secretReads ? `SM value ×${secretReads}` : 'SM value: never fetched');
  if (ctx.aws.ecr.tokensIssued) got.push(`ECR token ×${ctx.aws.ecr.tokensIssued}`);
  if (masked.includes(basicPassword)) got.push('htpasswd login');
  if (masked.includes(bearerPassword)) got.push('token-server login');
  const tokens = runs.flatMap(issuedTokens).length;
  if (tokens) got.push(`Bearer tokens ×${tokens}`);
  return got.join('; ');
}

interface Audited {
  exit: string;
  bytes: ReturnType<typeof bytesBySource>;
  reached: string;
  hits: Hit[];
}

/** Runs a scenario in a fresh world and scans everything its runs left. */
async function audit(scenario: Scenario, debug: boolean): Promise<Audited> {
  const ws = await exampleWorkspace();
  const { aws } = await startSeededAws();
  try {
    aws.secrets.setValue(SECRET_NAME, PLANTED.secretsManager.value);
    aws.ecr.password = ecrPassword;
    const ctx: Context = {
      ws,
      aws,
      run: (inputs, extraEnv = {}) =>
        runAction(inputs, {
          workspace: ws.dir,
          captureFiles: true,
          env: {
            ...awsEnv(aws),
            AWS_SECRET_ACCESS_KEY: PLANTED.awsSecretKey.value,
            AWS_SESSION_TOKEN: PLANTED.awsSessionToken.value,
            DATABASE_URL: PLANTED.envDbUrl.value,
            ATLAS_DB_URL: PLANTED.envDbUrl.value,
            DOCKER_CONFIG: dockerConfig,
            ...(debug ? { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } : {}),
            ...extraEnv,
          },
        }),
    };
    const runs = await scenario.play(ctx);
    expect(runs.at(-1)!.code).toBe(scenario.exit);
    scenario.check?.(runs, ctx);
    // The files were searched: the rendered task definition is among those captured.
    for (const run of runs) {
      const rendered = run.outputs['task-definition-file'];
      if (rendered) expect(run.files!.map((f) => f.path)).toContain(rendered);
    }

    const bytes = { stdout: 0, stderr: 0, summary: 0, outputs: 0, files: 0 };
    const hits: Hit[] = [];
    for (const run of runs) {
      const sources = leakableText(run);
      // What the action masked is secret too (Bearer tokens, Basic headers): search for it as well.
      const masked = maskedValues(run.stdout).map((value) => ({
        name: 'a value the action masked',
        value,
      }));
      hits.push(...scanForSecrets(sources, [...PLANTED_NEEDLES, ...masked.flatMap(needlesOf)]));
      const counted = bytesBySource(sources);
      for (const key of Object.keys(bytes) as (keyof typeof bytes)[]) bytes[key] += counted[key];
    }
    return {
      exit: runs.map((run) => String(run.code)).join(', '),
      bytes,
      reached: reached(runs, ctx),
      hits,
    };
  } finally {
    await aws.close();
    ws.remove();
  }
}

const rows: string[][] = [];
let totalBytes = 0;
let totalHits = 0;

describe('secret audit of the bundled action', () => {
  it('finds a planted value that is there: every form, in a synthetic text and in a real run', async () => {
    // Synthetic: each form of each planted secret, embedded in other text, is reported.
    for (const needle of PLANTED_NEEDLES) {
      const hits = scanForSecrets({ text: `before ${needle.text} after` }, [needle]);
      expect(hits).toEqual([
        expect.objectContaining({ secret: needle.secret, part: needle.part, form: needle.form }),
      ]);
    }
    // A Basic header and a Docker `auth` field hold the password at some base64 offset.
    for (const prefix of ['', 'x', 'xy', REGISTRY_USER]) {
      const header = `Authorization: Basic ${Buffer.from(`${prefix}:${basicPassword}`).toString('base64')}`;
      expect(scanForSecrets({ header }, needlesOf(PLANTED.basicLogin)).length).toBeGreaterThan(0);
    }
    // The URL-encoded password inside a URL, and the JSON-escaped one inside JSON.
    expect(scanForSecrets({ url: PLANTED.envDbUrl.value }, PLANTED_NEEDLES)).not.toEqual([]);
    const json = JSON.stringify({ password: smPassword });
    expect(scanForSecrets({ json }, needlesOf(PLANTED.secretsManager))).not.toEqual([]);
    // An annotation escapes `%` as %25: the URL-encoded password is only found as the runner shows
    // the line, which is why leakableText searches that view too.
    const annotation = `::error::bad value ${encodeURIComponent(smPassword).replace(/%/g, '%25')}`;
    const smNeedles = needlesOf(PLANTED.secretsManager);
    expect(scanForSecrets({ stdout: annotation }, smNeedles)).toEqual([]);
    expect(scanForSecrets({ [RUNNER_VIEW]: runnerView(annotation) }, smNeedles)).toEqual([
      expect.objectContaining({ part: 'password', form: 'url-encoded' }),
    ]);

    // A real run that does echo a planted value (a bad lock-timeout is quoted in its error):
    // the whole path — capture, leakableText, scan — reports it.
    const ws = await exampleWorkspace();
    try {
      const run = await runAction(
        { ...DEMO_INPUTS, 'lock-timeout': PLANTED.awsSessionToken.value },
        { workspace: ws.dir, captureFiles: true },
      );
      expect(run.code).toBe(1);
      const hits = scanForSecrets(leakableText(run), PLANTED_NEEDLES);
      expect(hits.map((h) => [h.source, h.secret, h.part, h.form])).toContainEqual([
        'stdout',
        'AWS_SESSION_TOKEN',
        'whole',
        'raw',
      ]);
    } finally {
      ws.remove();
    }
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s: no planted secret anywhere, with or without debug logging',
    async (_name, scenario) => {
      // Both debug settings at once, each in its own world, to halve the wall time.
      const [quiet, debug] = await Promise.all([audit(scenario, false), audit(scenario, true)]);
      for (const [label, result] of [
        ['off', quiet],
        ['on', debug],
      ] as const) {
        const b = result.bytes;
        const searched = b.stdout + b.stderr + b.summary + b.outputs + b.files;
        totalBytes += searched;
        totalHits += result.hits.length;
        rows.push([
          scenario.name,
          label,
          result.exit,
          `${searched} (${b.stdout}/${b.stderr}/${b.summary}/${b.outputs}/${b.files})`,
          result.reached,
          String(result.hits.length),
        ]);
      }
      expect(quiet.hits).toEqual([]);
      expect(debug.hits).toEqual([]);
    },
    120_000,
  );

  afterAll(() => {
    if (rows.length === 0) return;
    const planted = Object.values(PLANTED).length;
    writeReport(
      'secret-audit',
      'Secret audit',
      `${SCENARIOS.length} scenarios × debug on/off, ${planted} secrets planted in ${FORMS.length} ` +
        `forms (${FORMS.join('; ')}: ${PLANTED_NEEDLES.length} strings, plus every value the ` +
        `action masked), ${totalBytes} bytes searched: ${totalHits} hits`,
      markdownTable(
        [
          'scenario',
          'debug',
          'exit',
          'bytes searched (stdout/stderr/summary/outputs/files)',
          'secrets that reached the process',
          'hits',
        ],
        rows,
      ),
    );
  });
});
