// The bad-input corpus (bad-input-cases.ts) against the bundled action, run as the runner runs it,
// in a real (not dry) run: the real SDK talks to a seeded FakeAws, and image-repository is a real
// docker-registry behind a recording proxy, so a write or a push would be possible — and each case
// proves none happens. Each case must exit non-zero with exactly one message that names the input
// or the file and gives the fix, send no AWS write, push nothing (no registry request at all: every
// case is refused before the build, and the migration image's base is an OCI layout on disk), and
// print no database URL.
import { startFaultProxy, type FaultProxy, type ProxyRecord } from '../helpers/fault-proxy';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import type { ActionRun } from '../helpers/run-action';
import { exampleWorkspace } from '../helpers/workspace';
import {
  annotationText,
  deployInputs,
  repositoryName,
  runDeploy,
  startSeededAws,
  stderrOf,
  type SeededAws,
} from '../e2e/deploy-env';
import {
  allowedAwsCalls,
  BAD_INPUT_CASES,
  PLANTED_DATABASE_URL,
  PLANTED_PASSWORD,
  type BadInputCase,
} from './bad-input-cases';

/** Runs at once: each has its own workspace, FakeAws and repository name. */
const CONCURRENCY = 3;
/** The step's AWS secret key (awsEnv()): no message may print it either. */
const AWS_SECRET_KEY = 'fake-secret-access-key';
/** The line core.setFailed adds after file annotations (src/report/failure.ts). */
const FAILED_SUMMARY_RE = /^::error::(A problem was|\d+ problems were) found/;

interface CaseResult {
  readonly run: ActionRun;
  readonly awsOperations: string[];
  readonly awsWrites: string[];
  /** Requests the registry proxy saw for this case's repository. */
  readonly registryRequests: ProxyRecord[];
}

let registry: RegistryServer;
let proxy: FaultProxy;
const results = new Map<BadInputCase, CaseResult>();
/** Cases whose set-up or run threw, so one broken case does not hide the others' results. */
const crashes = new Map<BadInputCase, unknown>();

async function runCase(badCase: BadInputCase): Promise<CaseResult> {
  const ws = await exampleWorkspace();
  let seeded: SeededAws | undefined;
  try {
    seeded = await startSeededAws();
    const name = repositoryName('bad-input');
    const loopback = `${proxy.host}/${name}`;
    const repository = badCase.imageRepository ? badCase.imageRepository(loopback) : loopback;
    badCase.setup?.({ dir: ws.dir, seeded });
    const inputs = deployInputs(repository);
    for (const [input, value] of Object.entries(badCase.inputs ?? {})) {
      if (value === undefined) delete inputs[input];
      else inputs[input] = value;
    }
    const run = await runDeploy(ws.dir, seeded.aws, inputs, { DATABASE_URL: PLANTED_DATABASE_URL });
    return {
      run,
      awsOperations: seeded.aws.calls.map((c) => c.operation),
      awsWrites: seeded.aws.writes().map((c) => c.operation),
      registryRequests: proxy.records.filter((r) => r.url.includes(`/${name}/`)),
    };
  } finally {
    await seeded?.aws.close();
    ws.remove();
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** The annotations that state a problem (not the closing "N problems were found" line). */
function problemAnnotations(run: ActionRun): string[] {
  return run.errors.filter((line) => !FAILED_SUMMARY_RE.test(line));
}

function shorten(text: string, length = 90): string {
  const line = text.split('\n')[0]!;
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy({ upstream: registry.url });
  await pool(BAD_INPUT_CASES, CONCURRENCY, async (badCase) => {
    try {
      results.set(badCase, await runCase(badCase));
    } catch (error) {
      crashes.set(badCase, error);
    }
  });
}, 300_000);

afterAll(async () => {
  const rows = BAD_INPUT_CASES.map((badCase, index) => {
    const result = results.get(badCase);
    const message = result ? annotationText(problemAnnotations(result.run)) : 'not run';
    return [
      String(index + 1),
      badCase.category,
      badCase.name,
      String(result?.run.code ?? '-'),
      shorten(message),
      String(result?.awsOperations.length ?? '-'),
      String(result?.awsWrites.length ?? '-'),
      String(result?.registryRequests.length ?? '-'),
    ];
  });
  const refused = BAD_INPUT_CASES.filter((badCase) => {
    const run = results.get(badCase)?.run;
    const problems = run ? problemAnnotations(run) : [];
    const message = annotationText(problems);
    return (
      run?.code === 1 &&
      problems.length === 1 &&
      badCase.expect.test(message) &&
      /Fix: \S/.test(message)
    );
  }).length;
  const writes = [...results.values()].reduce((n, r) => n + r.awsWrites.length, 0);
  const manifests = proxy
    ? proxy.records.filter((r) => r.method === 'PUT' && r.url.includes('/manifests/')).length
    : 0;
  writeReport(
    'bad-input',
    'Bad-input corpus',
    `${BAD_INPUT_CASES.length} cases: ${refused} refused with a message naming the input or file and the fix; AWS writes: ${writes}; manifests pushed: ${manifests}; registry requests: ${proxy?.records.length ?? 0}`,
    markdownTable(
      [
        '#',
        'category',
        'case',
        'exit',
        'message (first line)',
        'AWS calls',
        'AWS writes',
        'registry requests',
      ],
      rows,
    ),
  );
  await proxy?.stop();
  await registry?.stop();
});

it('holds at least 40 cases over inputs, files and AWS state, each named once', () => {
  expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(40);
  const categories = new Set(BAD_INPUT_CASES.map((c) => c.category));
  expect([...categories].sort()).toEqual(['AWS state', 'files', 'inputs']);
  const names = BAD_INPUT_CASES.map((c) => `${c.category}: ${c.name}`);
  expect(new Set(names).size).toBe(names.length);
});

it.each(BAD_INPUT_CASES.map((c) => [c.category, c.name, c] as const))(
  '%s: %s is refused before anything is pushed or written',
  (_category, _name, badCase) => {
    if (crashes.has(badCase)) throw crashes.get(badCase);
    const result = results.get(badCase)!;
    const { run } = result;

    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull(); // not killed by the harness' timeout
    // Exactly one message states the problem; a file problem is annotated on the file
    // (file=...) and the step then fails with the one closing line.
    const problems = problemAnnotations(run);
    expect(problems).toHaveLength(1);
    const closing = run.errors.filter((line) => FAILED_SUMMARY_RE.test(line));
    if (closing.length > 0) {
      expect(closing).toHaveLength(1);
      expect(problems[0]).toMatch(/^::error file=/);
    }
    const message = annotationText(problems);
    expect(message).toMatch(badCase.expect);
    expect(message).toMatch(/Fix: \S/);
    // No crash on the way: nothing on stderr but the SDK's Node-version notice.
    expect(stderrOf(run)).toBe('');

    // Nothing written to AWS (a problem in the inputs or files: no AWS call at all); no request
    // reached the registry, let alone a manifest PUT.
    expect(result.awsWrites).toEqual([]);
    if (allowedAwsCalls(badCase) === 'none') expect(result.awsOperations).toEqual([]);
    // Reads only: Describe* calls, and ssm:GetParameter (without decryption) for a runtimevar.
    for (const operation of result.awsOperations) {
      expect(operation).toMatch(/^(Describe\w+|GetParameter)$/);
    }
    for (const operation of badCase.mustRead ?? []) {
      expect(result.awsOperations).toContain(operation);
    }
    expect(result.registryRequests).toEqual([]);
    expect(run.outputs['image-digest']).toBeUndefined();
    expect(run.outputs['task-definition-arn']).toBeUndefined();

    // No database URL or token, pasted or planted, and no AWS secret key in anything the run
    // printed (`::add-mask::` commands aside: the runner consumes them and never shows them).
    const shown = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    const printed = [shown, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
    for (const secret of [PLANTED_PASSWORD, AWS_SECRET_KEY, badCase.secret]) {
      if (secret) expect(printed).not.toContain(secret);
    }
  },
);

it('sent nothing at all to the registry over the whole corpus', () => {
  expect(results.size).toBe(BAD_INPUT_CASES.length);
  expect(proxy.records).toEqual([]);
});
