// Input deregister-revisions through the bundled action: the revision a failed deploy registered
// and that was rolled back, and the migration family's revisions beyond the newest 5 (run-task,
// plan), deregistered once the outcome is known; a refusal is a warning and the step's outcome
// stays what the deploy made it.
import { ATLAS_ERROR_LINE, scenarios, type FakeAws } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  FAMILY,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  stderrOf,
} from './deploy-env';

const MIGRATION_FAMILY = `${FAMILY}-migrate`;
const SECTION = '### Revisions left behind';

let registry: RegistryServer;
let ws: TestWorkspace;
let aws: FakeAws;
let previousArn: string;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
  const seeded = await startSeededAws();
  aws = seeded.aws;
  previousArn = seeded.previousArn;
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

function inputs(label: string, overrides: Record<string, string> = {}): Record<string, string> {
  return deployInputs(`${registry.host}/${repositoryName(label)}`, overrides);
}

/** Revisions 1..count of the migration family, registered before the run (earlier runs'). */
function addMigrationRevisions(count: number): string[] {
  return Array.from({ length: count }, () =>
    aws.ecs.addTaskDefinition({
      family: MIGRATION_FAMILY,
      containerDefinitions: [{ name: 'atlas', image: 'arigaio/atlas@sha256:' + '1'.repeat(64) }],
    }),
  );
}

function migrationStatuses(): string[] {
  return aws.ecs.taskDefinitions
    .filter((td) => td.family === MIGRATION_FAMILY)
    .map((td) => `${td.revision}:${td.status}`);
}

describe('a failed sidecar migration, rolled back', () => {
  beforeEach(() => {
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll: 2 }), CLUSTER);
  });

  it('deregisters the failed revision once rolled back, says so, and fails with Atlas’s error', async () => {
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs('dereg-rollback', { 'deregister-revisions': 'true' }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(1);

    const failedArn = run.outputs['task-definition-arn']!;
    expect(failedArn).toMatch(new RegExp(`:task-definition/${FAMILY}:2$`));
    expect(aws.ecs.taskDefinition(failedArn)?.status).toBe('INACTIVE');
    expect(aws.ecs.taskDefinition(previousArn)?.status).toBe('ACTIVE');
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(previousArn);

    // After ECS's own rollback, and only the failed revision; sidecar lists no family.
    const ops = aws.calls.map((c) => c.operation);
    expect(ops.lastIndexOf('DeregisterTaskDefinition')).toBeGreaterThan(
      ops.indexOf('StopServiceDeployment'),
    );
    expect(aws.callsOf('DeregisterTaskDefinition').map((c) => c.body.taskDefinition)).toEqual([
      failedArn,
    ]);
    expect(aws.callsOf('ListTaskDefinitions')).toEqual([]);

    // The step still fails with the migration's own error, last.
    expect(annotationText(run.errors.slice(-1))).toContain(ATLAS_ERROR_LINE);
    expect(run.outputs['migration-status']).toBe('failed');
    expect(run.warnings.join('\n')).not.toContain('deregister');

    // The section follows the mode's summary.
    expect(run.summary).toContain(`${SECTION}\n\n- Deregistered \`${FAMILY}:2\` (rolled back)\n`);
    expect(run.summary.indexOf(SECTION)).toBeGreaterThan(run.summary.indexOf(ATLAS_ERROR_LINE));
    expect(run.stdout).toContain(`Deregistered ${FAMILY}:2 (rolled back)`);
  });

  it('deregisters nothing, and calls neither List nor Deregister, when the input is off', async () => {
    const run = await runDeploy(ws.dir, aws, inputs('dereg-off'));
    expect(run.code).toBe(1);
    expect(aws.ecs.taskDefinition(run.outputs['task-definition-arn']!)?.status).toBe('ACTIVE');
    expect(aws.callsOf('DeregisterTaskDefinition')).toEqual([]);
    expect(aws.callsOf('ListTaskDefinitions')).toEqual([]);
    expect(run.summary).not.toContain(SECTION);
    expect(run.stdout).not.toContain('Deregister');
  });

  it('turns an access denial into a warning naming the permission; the step fails with its own error', async () => {
    aws.fault(
      'DeregisterTaskDefinition',
      { kind: 'status', status: 400, type: 'AccessDeniedException' },
      Infinity,
    );
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs('dereg-denied', { 'deregister-revisions': 'true' }),
    );
    expect(run.code).toBe(1);
    expect(aws.ecs.taskDefinition(run.outputs['task-definition-arn']!)?.status).toBe('ACTIVE');
    const warnings = annotationText(run.warnings);
    expect(warnings).toContain(`Could not deregister ${FAMILY}:2 (rolled back)`);
    expect(warnings).toContain('allow ecs:DeregisterTaskDefinition (and ecs:ListTaskDefinitions)');
    expect(annotationText(run.errors.slice(-1))).toContain(ATLAS_ERROR_LINE);
    expect(annotationText(run.errors)).not.toContain('DeregisterTaskDefinition');
    expect(run.outputs['migration-status']).toBe('failed');
    expect(run.summary).toContain(
      `- ⚠️ Could not deregister \`${FAMILY}:2\` (rolled back): ecs:DeregisterTaskDefinition`,
    );
  });
});

describe('mode run-task', () => {
  beforeEach(() => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
  });

  it('keeps the newest 5 migration revisions (this run’s among them) and deregisters the older ones', async () => {
    const existing = addMigrationRevisions(7);
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs('dereg-runtask', { mode: 'run-task', 'deregister-revisions': 'true' }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');

    // This run registered revision 8 and ran it; 4 to 8 stay.
    const ranWith = aws.callsOf('RunTask')[0]!.body.taskDefinition;
    expect(ranWith).toMatch(new RegExp(`:task-definition/${MIGRATION_FAMILY}:8$`));
    expect(migrationStatuses()).toEqual([
      '1:INACTIVE',
      '2:INACTIVE',
      '3:INACTIVE',
      '4:ACTIVE',
      '5:ACTIVE',
      '6:ACTIVE',
      '7:ACTIVE',
      '8:ACTIVE',
    ]);
    expect(aws.callsOf('DeregisterTaskDefinition').map((c) => c.body.taskDefinition)).toEqual(
      existing.slice(0, 3),
    );
    expect(aws.callsOf('ListTaskDefinitions').map((c) => c.body)).toEqual([
      { familyPrefix: MIGRATION_FAMILY, status: 'ACTIVE', sort: 'DESC', maxResults: 100 },
    ]);
    // The service's own family is never trimmed.
    expect(
      aws.ecs.taskDefinitions
        .filter((td) => td.family === FAMILY)
        .every((td) => td.status === 'ACTIVE'),
    ).toBe(true);
    // After the deploy's outcome is known.
    const ops = aws.calls.map((c) => c.operation);
    expect(ops.indexOf('ListTaskDefinitions')).toBeGreaterThan(ops.lastIndexOf('UpdateService'));

    expect(run.summary).toContain(
      `- Deregistered \`${MIGRATION_FAMILY}:1\`, \`${MIGRATION_FAMILY}:2\`, \`${MIGRATION_FAMILY}:3\` (older than the newest 5 of \`${MIGRATION_FAMILY}\`)`,
    );
    expect(run.warnings).toEqual([]);
  });

  it('keeps a succeeded step green when DeregisterTaskDefinition is denied', async () => {
    addMigrationRevisions(7);
    aws.fault(
      'DeregisterTaskDefinition',
      { kind: 'status', status: 400, type: 'AccessDeniedException' },
      Infinity,
    );
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs('dereg-runtask-denied', { mode: 'run-task', 'deregister-revisions': 'true' }),
    );
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(migrationStatuses().every((s) => s.endsWith(':ACTIVE'))).toBe(true);
    expect(aws.callsOf('DeregisterTaskDefinition')).toHaveLength(1);
    const warnings = annotationText(run.warnings);
    expect(warnings).toContain(`Could not deregister ${MIGRATION_FAMILY}:1`);
    expect(warnings).toContain('(2 more not tried)');
    expect(warnings).toContain('allow ecs:DeregisterTaskDefinition');
    expect(run.summary).toContain(
      `- ⚠️ Not tried after that refusal: \`${MIGRATION_FAMILY}:2\`, \`${MIGRATION_FAMILY}:3\``,
    );
  });
});

describe('mode plan', () => {
  it('trims the migration family too, and leaves the service alone', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    addMigrationRevisions(6);
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs('dereg-plan', { mode: 'plan', 'deregister-revisions': 'true' }),
    );
    expect(run.code).toBe(0);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(migrationStatuses()).toEqual([
      '1:INACTIVE',
      '2:INACTIVE',
      '3:ACTIVE',
      '4:ACTIVE',
      '5:ACTIVE',
      '6:ACTIVE',
      '7:ACTIVE',
    ]);
    expect(run.summary).toContain(
      `- Deregistered \`${MIGRATION_FAMILY}:1\`, \`${MIGRATION_FAMILY}:2\` (older than the newest 5 of \`${MIGRATION_FAMILY}\`)`,
    );
  });
});
