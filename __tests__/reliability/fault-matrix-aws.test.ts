// Fault injection at every AWS operation the action calls, through the bundled action against
// the loopback AWS (reached by the real SDK): a 500, a throttle (ThrottlingException), a dropped
// connection and a slow answer on the first call of one operation, in a scenario where that
// operation is called. Each run must end as it would without the fault (the SDK retries); a
// write that is carried out and then loses its answer shows what the retried write does; a 500
// on every call must fail cleanly. The invariants of fault-invariants.ts are checked after each
// run, and the outcomes published as a table (reports/fault-matrix-aws.md).
import { ATLAS_ERROR_LINE, scenarios, type FakeAws, type InjectedFault } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import { exampleWorkspace } from '../helpers/workspace';
import {
  CLUSTER,
  deployInputs,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
} from '../e2e/deploy-env';
import { cell, checkInvariants, inParallel, summaryLine, type Verdict } from './fault-invariants';

const SLOW_MS = 1500;
/** The persistent column sets the SDK's own variable, which the action honours. */
const PERSISTENT_MAX_ATTEMPTS = '2';

/** Where an operation is called: a plain deploy, mode run-task, or a migration that fails. */
type Scenario = 'deploy' | 'run-task' | 'migration-fails';

const OPERATIONS: readonly { operation: string; iam: string; scenario: Scenario }[] = [
  { operation: 'DescribeServices', iam: 'ecs:DescribeServices', scenario: 'deploy' },
  { operation: 'DescribeSecret', iam: 'secretsmanager:DescribeSecret', scenario: 'deploy' },
  { operation: 'DescribeTaskDefinition', iam: 'ecs:DescribeTaskDefinition', scenario: 'deploy' },
  { operation: 'RegisterTaskDefinition', iam: 'ecs:RegisterTaskDefinition', scenario: 'deploy' },
  { operation: 'UpdateService', iam: 'ecs:UpdateService', scenario: 'deploy' },
  { operation: 'RunTask', iam: 'ecs:RunTask', scenario: 'run-task' },
  { operation: 'ListTasks', iam: 'ecs:ListTasks', scenario: 'run-task' },
  { operation: 'DescribeTasks', iam: 'ecs:DescribeTasks', scenario: 'run-task' },
  { operation: 'GetLogEvents', iam: 'logs:GetLogEvents', scenario: 'migration-fails' },
];

/** Writes whose answer may be lost after AWS did them. */
const WRITES = new Set(['RegisterTaskDefinition', 'UpdateService', 'RunTask']);

interface FaultColumn {
  readonly label: string;
  readonly fault: InjectedFault;
  readonly times: number;
  readonly onlyWrites?: boolean;
}

const COLUMNS: readonly FaultColumn[] = [
  { label: '500', fault: { kind: 'status', status: 500 }, times: 1 },
  { label: 'throttle (ThrottlingException)', fault: { kind: 'throttle' }, times: 1 },
  { label: 'reset', fault: { kind: 'reset' }, times: 1 },
  { label: `slow (${SLOW_MS / 1000} s)`, fault: { kind: 'slow', ms: SLOW_MS }, times: 1 },
  {
    label: 'reset after processing',
    fault: { kind: 'reset-after-processing' },
    times: 1,
    onlyWrites: true,
  },
  {
    label: `500 on every call (AWS_MAX_ATTEMPTS=${PERSISTENT_MAX_ATTEMPTS})`,
    fault: { kind: 'status', status: 500 },
    times: Infinity,
  },
];

interface Case {
  readonly operation: (typeof OPERATIONS)[number];
  readonly column: FaultColumn;
}

interface CaseResult extends Case {
  readonly verdict: Verdict;
  /** Ended as the scenario ends without the fault (a migration failure reported as such). */
  readonly completed: boolean;
  readonly cell: string;
}

function caseName(result: Case): string {
  return `${result.operation.operation} ${result.column.label.replace(/ \(.*\)$/, '')}`;
}

let results: CaseResult[] = [];

let registry: RegistryServer;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

function prepare(aws: FakeAws, scenario: Scenario): Record<string, string> {
  if (scenario === 'migration-fails') {
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails(), CLUSTER);
    return {};
  }
  aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
  if (scenario === 'deploy') return {};
  aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
  return { mode: 'run-task' };
}

async function runCase({ operation, column }: Case): Promise<CaseResult> {
  const ws = await exampleWorkspace();
  const { aws, previousArn } = await startSeededAws();
  try {
    const inputs = prepare(aws, operation.scenario);
    aws.fault(operation.operation, column.fault, column.times);
    const repository = repositoryName(`fault-${operation.operation.toLowerCase()}`);
    const persistent = column.times !== 1;
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${repository}`, inputs),
      persistent ? { AWS_MAX_ATTEMPTS: PERSISTENT_MAX_ATTEMPTS } : {},
    );
    const failing = operation.scenario === 'migration-fails';
    const verdict = await checkInvariants({
      run,
      aws,
      previousArn,
      registryUrl: registry.url,
      repository,
      mode: operation.scenario === 'run-task' ? 'run-task' : 'deploy',
      // A migration that fails is the failure to report, with Atlas's error when its log could
      // be read; anything else names the operation that failed.
      failureNames: failing
        ? persistent
          ? /migration/i
          : new RegExp(escape(ATLAS_ERROR_LINE))
        : new RegExp(escape(operation.iam)),
    });
    const calls = aws.callsOf(operation.operation);
    const faulted = calls.filter((c) => c.fault).length;
    const violations = [...verdict.violations];
    if (faulted === 0) violations.push(`${operation.operation} was never called`);
    const checked = { ...verdict, violations };
    const completed = failing
      ? !persistent && verdict.text.includes(ATLAS_ERROR_LINE)
      : verdict.outcome === 'completed';
    return {
      operation,
      column,
      verdict: checked,
      completed,
      cell: describeCell(checked, column, faulted, replayNote(aws, operation.operation), completed),
    };
  } finally {
    await aws.close();
    ws.remove();
  }
}

function describeCell(
  verdict: Verdict,
  column: FaultColumn,
  faulted: number,
  replayed: string,
  completed: boolean,
): string {
  const attempts =
    column.fault.kind === 'slow'
      ? `answered after ${SLOW_MS / 1000} s, no retry`
      : column.times === 1
        ? `${faulted + 1} attempts`
        : `${faulted} calls, all refused`;
  if (completed && verdict.outcome === 'failed' && verdict.violations.length === 0) {
    return `✓ completed: the migration failure reported with Atlas's error (${attempts})`;
  }
  if (column.fault.kind === 'reset-after-processing' && verdict.violations.length === 0) {
    return cell(verdict, replayed);
  }
  return cell(verdict, attempts);
}

/** What a write carried out twice (its first answer lost) left behind. */
function replayNote(aws: FakeAws, operation: string): string {
  switch (operation) {
    case 'RegisterTaskDefinition': {
      const revisions = aws.ecs.taskDefinitions.length - 1;
      return `sent twice: ${revisions} revisions registered, the first one unused and unreported`;
    }
    case 'RunTask':
      return `sent twice with one clientToken: ${aws.ecs.standalone.tasks.length} migration task started`;
    case 'UpdateService':
      return 'sent twice: both carried out, for the same revision';
    default:
      return '';
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

it('rides out one fault at any AWS operation, fails cleanly when it persists', async () => {
  const cases: Case[] = OPERATIONS.flatMap((operation) =>
    COLUMNS.filter((column) => !column.onlyWrites || WRITES.has(operation.operation)).map(
      (column) => ({ operation, column }),
    ),
  );
  results = await inParallel(
    cases.map((c) => () => runCase(c)),
    5,
  );

  const rows = OPERATIONS.map((operation) => [
    `${operation.iam} (${operation.scenario})`,
    ...COLUMNS.map(
      (column) =>
        results.find((r) => r.operation === operation && r.column === column)?.cell ?? '—',
    ),
  ]);
  writeReport(
    'fault-matrix-aws',
    'Fault injection: AWS operations',
    summaryLine(results),
    [
      'Each cell is one run of the bundled action (`dist/index.js`) against the loopback AWS',
      'endpoint through the real SDK, in the scenario named in the row (a deploy, `mode: run-task`,',
      'or a migration that fails, whose logs are read); the fault hits the first call of the',
      'operation, or every call. "Reset after processing": AWS did the write, then the connection',
      'dropped, so the SDK sent it again. Invariants checked after each run: exit 0 with outputs or',
      'exit 1 with one error naming the operation, service on the previous or the reported',
      'revision, no revision without a pushed image, at most one migration task, writes as claimed.',
      '',
      markdownTable(['Operation (scenario)', ...COLUMNS.map((c) => c.label)], rows),
    ].join('\n'),
  );

  for (const result of results) {
    const name = caseName(result);
    expect({ case: name, violations: result.verdict.violations }).toEqual({
      case: name,
      violations: [],
    });
    // Transient faults end as the scenario ends without them; persistent ones fail.
    const expected =
      result.column.times !== 1 || result.operation.scenario === 'migration-fails'
        ? 'failed'
        : 'completed';
    expect({ case: name, outcome: result.verdict.outcome }).toEqual({
      case: name,
      outcome: expected,
    });
    if (result.operation.scenario === 'migration-fails' && result.column.times === 1) {
      expect({ case: name, completed: result.completed }).toEqual({ case: name, completed: true });
    }
  }
}, 300_000);
