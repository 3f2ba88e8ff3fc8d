// Fault injection at every registry request kind, through the bundled action: a real deploy in
// which every method occurs — the base image is pulled from the registry (GET) and the migration
// image pushed (HEAD, POST, PATCH, PUT) — with, in turn, a 500, a throttle (429 + Retry-After), a
// dropped connection and a slow answer on the first request of one method. Each must complete
// (the client retries); a 500 or a reset on every request of the method must fail cleanly. After
// each run the same invariants are checked (fault-invariants.ts), and the outcomes are published
// as a table (reports/fault-matrix-registry.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readOciLayoutImage } from '../../src/files/oci-layout';
import { pushableFromLayout } from '../helpers/images';
import { pushImage } from '../../src/registry/push';
import { scenarios } from '../helpers/fake-aws';
import { startFaultProxy, type FaultAction } from '../helpers/fault-proxy';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import { testClient } from '../helpers/test-client';
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

const METHODS = ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] as const;
type Method = (typeof METHODS)[number];

const SLOW_MS = 1500;
const BASE_REPOSITORY = 'arigaio/atlas';

interface FaultColumn {
  readonly label: string;
  readonly action: FaultAction;
  /** Matching requests it applies to: 1 (transient) or every one. */
  readonly times: number;
}

const COLUMNS: readonly FaultColumn[] = [
  { label: '500', action: status500(), times: 1 },
  {
    label: 'throttle (429, Retry-After: 1)',
    action: {
      kind: 'status',
      status: 429,
      headers: { 'Retry-After': '1' },
      body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
    },
    times: 1,
  },
  { label: 'reset', action: { kind: 'reset' }, times: 1 },
  { label: `slow (${SLOW_MS / 1000} s)`, action: { kind: 'delay', ms: SLOW_MS }, times: 1 },
  { label: '500, every request', action: status500(), times: Infinity },
  { label: 'reset, every request', action: { kind: 'reset' }, times: Infinity },
];

function status500(): FaultAction {
  return {
    kind: 'status',
    status: 500,
    body: '{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}',
  };
}

interface Case {
  readonly method: Method;
  readonly column: FaultColumn;
}

interface CaseResult extends Case {
  readonly verdict: Verdict;
  readonly cell: string;
}

let registry: RegistryServer;

beforeAll(async () => {
  registry = await startRegistry();
  await pushStandInBase(registry.host);
});
afterAll(async () => {
  await registry?.stop();
});

/** The stand-in base at <registry>/arigaio/atlas:latest, so the action pulls it (GETs). */
async function pushStandInBase(host: string): Promise<void> {
  const ws = await exampleWorkspace();
  const scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-fault-'));
  try {
    const layout = path.join(ws.dir, 'base-image');
    const base = await readOciLayoutImage(layout, 'latest', { os: 'linux', architecture: 'amd64' });
    const { client } = testClient(scratch);
    await pushImage(
      client,
      { registry: host, repository: BASE_REPOSITORY },
      pushableFromLayout(layout, base),
      ['latest'],
      () => undefined,
    );
  } finally {
    ws.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One deploy through its own proxy (so runs in parallel keep their rules and records apart). */
async function runCase({ method, column }: Case): Promise<CaseResult> {
  const ws = await exampleWorkspace();
  const { aws, previousArn } = await startSeededAws();
  const proxy = await startFaultProxy({ upstream: registry.url });
  try {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    proxy.addRule({ method, path: /^\/v2\/.+/, times: column.times, action: column.action });
    const repository = repositoryName(`fault-${method.toLowerCase()}`);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${proxy.host}/${repository}`, {
        'atlas-image': `${proxy.host}/${BASE_REPOSITORY}:latest`,
      }),
    );
    const verdict = await checkInvariants({
      run,
      aws,
      previousArn,
      registryUrl: registry.url,
      repository,
      mode: 'deploy',
      failureNames: new RegExp(`\\b${method}\\b[^\\n]*${escape(proxy.host)}`),
    });
    const faulted = proxy.records.filter((r) => r.method === method && r.fault).length;
    return { method, column, verdict, cell: cell(verdict, attemptsText(column, faulted)) };
  } finally {
    await proxy.stop();
    await aws.close();
    ws.remove();
  }
}

function attemptsText(column: FaultColumn, faulted: number): string {
  if (column.action.kind === 'delay') return `answered after ${SLOW_MS / 1000} s, no retry`;
  if (column.times !== 1) return `${faulted} requests, all refused`;
  return `${faulted + 1} attempts`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

it('completes after one fault at any registry request, fails cleanly under a persistent one', async () => {
  const cases: Case[] = METHODS.flatMap((method) => COLUMNS.map((column) => ({ method, column })));
  const results = await inParallel(
    cases.map((c) => () => runCase(c)),
    4,
  );

  const rows = METHODS.map((method) => [
    method,
    ...COLUMNS.map(
      (column) => results.find((r) => r.method === method && r.column === column)!.cell,
    ),
  ]);
  writeReport(
    'fault-matrix-registry',
    'Fault injection: registry requests',
    summaryLine(
      results.map((r) => ({ verdict: r.verdict, completed: r.verdict.outcome === 'completed' })),
    ),
    [
      'Each cell is one run of the bundled action (`dist/index.js`) pulling its base image from a',
      'real registry and pushing the migration image to it, with the fault on the first request',
      'of the method (or on every one); invariants checked after each run: exit 0 with outputs or',
      'exit 1 with one error naming the request, service on the previous or the reported revision,',
      'no revision without a pushed image, every tag pointing to a complete image.',
      '',
      markdownTable(['Request', ...COLUMNS.map((c) => c.label)], rows),
    ].join('\n'),
  );

  for (const result of results) {
    // Every cell is clean, and transient faults are ridden out.
    expect({
      case: `${result.method} ${result.column.label}`,
      violations: result.verdict.violations,
    }).toEqual({ case: `${result.method} ${result.column.label}`, violations: [] });
    const expected = result.column.times === 1 ? 'completed' : 'failed';
    expect({
      case: `${result.method} ${result.column.label}`,
      outcome: result.verdict.outcome,
    }).toEqual({ case: `${result.method} ${result.column.label}`, outcome: expected });
  }
}, 240_000);
