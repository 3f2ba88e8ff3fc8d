// What Atlas applied, and what it would apply, through the bundled action: the loopback ECS plays
// Atlas in the migration container from the command the action registered (FakeAtlas, on the
// migration files it reads back from the pushed image), against a simulated database. The
// outputs and the summary must say what the container's log says.
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import { atlasSum, DEFAULT_DATABASE_URL, FakeDatabase } from '../helpers/fake-atlas';
import { runAction } from '../helpers/run-action';
import * as standalone from '../helpers/fake-aws/standalone';
import { keepSummary } from '../helpers/report';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  stderrOf,
  DEFAULT_MIGRATION_COMMAND,
} from './deploy-env';

const V1 = '20240101120000';
const V2 = '20240215093000';
const V3 = '20240310170000';
const PASSWORD = new URL(DEFAULT_DATABASE_URL).password;
const ADD_NAME = 'ALTER TABLE "users" ADD COLUMN "name" text NULL;';
const NAME_EXISTS = 'pq: column "name" of relation "users" already exists';

let registry: RegistryServer;
let ws: TestWorkspace;
let aws: FakeAws;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
  aws = (await startSeededAws()).aws;
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return deployInputs(`${registry.host}/${repositoryName('atlas')}`, overrides);
}

/** Everything a run put where a user or a log reader could see it. */
function everything(run: Awaited<ReturnType<typeof runDeploy>>): string {
  return [run.stdout, run.stderr, run.summary, run.outputFile].join('\n');
}

interface PublishedReport {
  Current?: string;
  Target?: string;
  Pending?: { Name: string }[];
  Applied?: { Name: string; Applied?: string[]; Error?: { Stmt?: string; Text?: string } }[];
  Error?: string;
}

function published(run: Awaited<ReturnType<typeof runDeploy>>): PublishedReport[] {
  return JSON.parse(run.outputs['migration-report']!) as PublishedReport[];
}

describe('mode sidecar', () => {
  it('two tasks: the outputs and the summary come from the one that applied the files', async () => {
    const db = new FakeDatabase({ applied: [V1] });
    aws.ecs.service(SERVICE, CLUSTER).desiredCount = 2;
    aws.ecs.setScenario(SERVICE, scenarios.atlas(db), CLUSTER);

    const run = await runDeploy(ws.dir, aws, inputs());
    keepSummary('sidecar-applied', run.summary);
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(db.applied).toEqual([V1, V2, V3]);
    expect(db.runs).toBe(2);
    // The registered command asks Atlas for its JSON report.
    const command = aws.ecs.taskDefinitions.at(-1)!.body.containerDefinitions as {
      command?: string[];
    }[];
    expect(command[0]!.command).toEqual([...DEFAULT_MIGRATION_COMMAND]);

    expect(run.outputs['current-version']).toBe(V1);
    expect(run.outputs['target-version']).toBe(V3);
    expect(run.outputs['applied-count']).toBe('2');
    expect(run.outputs['pending-count']).toBe('2');
    const [report] = published(run);
    expect(report!.Applied!.map((f) => f.Name)).toEqual([
      `${V2}_create_orders.sql`,
      `${V3}_add_users_name.sql`,
    ]);
    expect(run.summary).toContain(
      `Migrated \`${V1}\` → \`${V3}\`: **2 files** of 2 pending, **2 statements**`,
    );
    expect(run.summary).toContain(`| ✅ | \`${V3}\` | add_users_name | 1 |`);
    expect(run.summary).toMatch(/Atlas's report from task `[0-9a-f]+`/);
    // Atlas prints the database URL with its password in the report: it never comes out.
    expect(everything(run)).not.toContain(PASSWORD);
  });

  it('a statement of the second file fails: its statement and the database error lead the summary', async () => {
    const db = new FakeDatabase({
      applied: [V1],
      failStatement: { version: V3, statementIndex: 0, text: NAME_EXISTS },
    });
    aws.ecs.setScenario(SERVICE, scenarios.atlas(db), CLUSTER);

    const run = await runDeploy(ws.dir, aws, inputs());
    keepSummary('sidecar-statement-failed', run.summary);
    expect(run.code).toBe(1);
    expect(db.applied).toEqual([V1, V2]);
    expect(run.outputs['migration-status']).toBe('failed');
    expect(run.outputs['current-version']).toBe(V1);
    expect(run.outputs['applied-count']).toBe('1');
    expect(run.outputs['pending-count']).toBe('2');
    const [report] = published(run);
    expect(report!.Applied![1]!.Error).toEqual({ Stmt: ADD_NAME, Text: NAME_EXISTS });

    const summary = run.summary;
    const failing = summary.indexOf(`\`\`\`sql\n${ADD_NAME}\n\`\`\``);
    const dbError = summary.indexOf(`> \`${NAME_EXISTS}\``);
    expect(dbError).toBeGreaterThan(0);
    expect(failing).toBeGreaterThan(dbError);
    expect(summary).toContain(`| ❌ | \`${V3}\` | add_users_name | 0 ok, 1 failed |`);
    // The log tail names Atlas's JSON report instead of printing its one very long line.
    expect(summary).toContain("(Atlas's JSON report: shown above)");
    expect(summary).not.toContain('"Driver"');
    expect(summary.indexOf("The database's error")).toBeLessThan(
      summary.indexOf('The migration container exited'),
    );
    expect(annotationText(run.errors)).toContain(NAME_EXISTS);
    expect(annotationText(run.errors)).toContain('ECS rolled the service back to');
    expect(everything(run)).not.toContain(PASSWORD);
  });
});

describe('mode run-task', () => {
  it('reports what the one-off task applied', async () => {
    const db = new FakeDatabase({ applied: [V1, V2] });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);

    const run = await runDeploy(ws.dir, aws, inputs({ mode: 'run-task' }));
    keepSummary('run-task-applied', run.summary);
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(db.applied).toEqual([V1, V2, V3]);
    expect(run.outputs['current-version']).toBe(V2);
    expect(run.outputs['target-version']).toBe(V3);
    expect(run.outputs['applied-count']).toBe('1');
    expect(run.outputs['pending-count']).toBe('1');
    expect(run.summary).toContain(
      `Migrated \`${V2}\` → \`${V3}\`: **1 file** of 1 pending, **1 statement**`,
    );
    expect(everything(run)).not.toContain(PASSWORD);
  });
});

describe('mode plan', () => {
  it('runs --dry-run once in the service network, reports the pending SQL, and changes nothing', async () => {
    const db = new FakeDatabase({ applied: [V1] });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });

    const run = await runDeploy(ws.dir, aws, inputs({ mode: 'plan' }));
    keepSummary('plan-pending', run.summary);
    keepSummary('plan-pending.outputs', JSON.stringify(run.outputs, null, 2));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(db.applied).toEqual([V1]);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect(registered.body.family).toBe('demo-api-migrate');
    expect((registered.body.containerDefinitions as { command: string[] }[])[0]!.command).toContain(
      '--dry-run',
    );

    expect(run.outputs['pending-count']).toBe('2');
    expect(run.outputs['target-version']).toBe(V3);
    expect(run.outputs['current-version']).toBe(V1);
    expect(run.outputs['applied-count']).toBe('0');
    expect(run.outputs['migration-status']).toBe('skipped');
    expect(run.outputs['deployment-id']).toBe('');
    expect(run.outputs['task-definition-arn']).toBe(registered.arn);
    expect(run.summary).toContain('### 📋 2 migration files would be applied');
    expect(run.summary).toContain(
      `A deploy would apply **2 files** (\`${V1}\` → \`${V3}\`), **2 statements**.`,
    );
    expect(run.summary).toContain(`\`\`\`sql\n${ADD_NAME}\n\`\`\``);
    expect(run.summary).toContain('| Service | not updated: a plan changes nothing |');
    expect(everything(run)).not.toContain(PASSWORD);
  });

  it('passes every typed Atlas option in the command, in order, and Atlas honours them', async () => {
    appendFileSync(
      path.join(ws.dir, 'atlas.hcl'),
      '\nvariable "tier" {\n  type    = string\n  default = "dev"\n}\n',
    );
    const db = new FakeDatabase({ applied: [V1], revisionsSchema: 'atlas_meta' });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });

    const run = await runDeploy(
      ws.dir,
      aws,
      inputs({
        mode: 'plan',
        'exec-order': 'linear-skip',
        'tx-mode': 'all',
        'revisions-schema': 'atlas_meta',
        'to-version': V2,
        vars: 'tier=prod',
      }),
    );
    keepSummary('plan-typed-options', run.summary);
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect((registered.body.containerDefinitions as { command: string[] }[])[0]!.command).toEqual([
      'migrate',
      'apply',
      '--env',
      'deploy',
      '--lock-timeout',
      '10m',
      '--exec-order',
      'linear-skip',
      '--tx-mode',
      'all',
      '--revisions-schema',
      'atlas_meta',
      '--to-version',
      V2,
      '--var',
      'tier=prod',
      '--dry-run',
      '--format',
      '{{ json . }}',
    ]);
    // --to-version stops at V2; the revisions are read from atlas_meta.
    expect(run.outputs['pending-count']).toBe('1');
    expect(run.outputs['target-version']).toBe(V2);
    expect(run.summary).toContain(
      "| Dry run | `atlas migrate apply --env deploy --lock-timeout 10m --exec-order linear-skip --tx-mode all --revisions-schema atlas_meta --to-version 20240215093000 --var tier=prod --dry-run --format '{{ json . }}'` |",
    );
  });

  it('baseline: a database that already has the schema starts after the baseline version', async () => {
    const db = new FakeDatabase({ dirty: true });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });

    const refused = await runDeploy(ws.dir, aws, inputs({ mode: 'plan' }));
    expect(refused.code).toBe(1);
    const annotation = annotationText(refused.errors);
    expect(annotation).toContain('connected database is not clean');
    expect(annotation).toMatch(/Fix: .*baseline/);

    const run = await runDeploy(ws.dir, aws, inputs({ mode: 'plan', baseline: V1 }));
    expect(run.code).toBe(0);
    expect(run.outputs['pending-count']).toBe('2');
    expect(run.outputs['target-version']).toBe(V3);
  });

  it('says there is nothing to apply when the database is up to date', async () => {
    const db = new FakeDatabase({ applied: [V1, V2, V3] });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });

    const run = await runDeploy(ws.dir, aws, inputs({ mode: 'plan' }));
    keepSummary('plan-nothing-pending', run.summary);
    expect(run.code).toBe(0);
    expect(run.outputs['pending-count']).toBe('0');
    expect(run.outputs['current-version']).toBe(V3);
    expect(run.summary).toContain('### ✅ Nothing to apply');
    expect(run.summary).toContain(`Nothing to apply: the database is at version \`${V3}\`.`);
  });

  it("fails with Atlas's error and its fix when the dry run cannot reach the database", async () => {
    const db = new FakeDatabase({
      applied: [V1],
      beforeReport:
        'postgres: scanning system variables: dial tcp 10.0.12.7:5432: connect: connection refused',
    });
    aws.ecs.standalone.setBehaviour({ scenario: standalone.atlas(db) });

    const run = await runDeploy(ws.dir, aws, inputs({ mode: 'plan' }));
    keepSummary('plan-connection-refused', run.summary);
    expect(run.code).toBe(1);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(run.outputs['migration-status']).toBe('failed');
    expect(run.outputs['pending-count']).toBe('');
    expect(run.outputs['migration-report']).toBe('[]');
    const annotation = annotationText(run.errors);
    expect(annotation).toContain('connect: connection refused');
    expect(annotation).toMatch(/Fix: .*security group/);
    expect(run.summary).toContain('### ❌ The dry run failed');
    expect(run.summary.indexOf('**Fix:**')).toBeLessThan(run.summary.indexOf('connection refused'));
  });
});

describe('before anything runs', () => {
  it('warns at its line about a txmode directive Atlas would ignore (no empty line after it)', async () => {
    const dir = path.join(ws.dir, 'migrations');
    const name = '20240401000000_concurrent_index.sql';
    writeFileSync(
      path.join(dir, name),
      '-- atlas:txmode none\nCREATE INDEX CONCURRENTLY "users_name" ON "users" ("name");\n',
    );
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => ({ name: f, content: readFileSync(path.join(dir, f), 'utf8') }));
    writeFileSync(path.join(dir, 'atlas.sum'), atlasSum(files));

    const run = await runAction(DEMO_INPUTS, { workspace: ws.dir });
    expect(run.code).toBe(0);
    const warning = run.warnings.find((w) => w.includes('atlas:txmode'));
    expect(warning).toMatch(
      new RegExp(
        `^::warning file=migrations/${name},line=1::"-- atlas:txmode none" is followed by a statement`,
      ),
    );
    expect(warning).toContain('Fix: put an empty line after the directive');
  });
});
