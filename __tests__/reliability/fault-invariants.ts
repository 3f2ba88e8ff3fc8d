// What must hold after any run of the bundled action under an injected fault, whatever the fault:
// the step either completed (exit 0, outputs set) or failed cleanly (exit 1, one error annotation
// naming what failed), and nothing is half-deployed — the service runs the previous revision or the
// one the step reported, no revision exists without a pushed image, a run that stopped before
// UpdateService left the service alone, every tag in the registry points to a complete image, and
// the writes AWS saw are the ones the outcome implies.
import { MediaType } from '../../src/image/types';
import { RESET_AFTER_PROCESSING, type FakeAws, type RecordedCall } from '../helpers/fake-aws';
import type { ActionRun } from '../helpers/run-action';
import { annotationText, CLUSTER, SERVICE } from '../e2e/deploy-env';

export interface FaultRunContext {
  readonly run: ActionRun;
  readonly aws: FakeAws;
  /** The revision the service ran before the step. */
  readonly previousArn: string;
  /** The registry itself (not the proxy), and the migration image's repository name in it. */
  readonly registryUrl: string;
  readonly repository: string;
  /** `deploy` registers one revision; `run-task` a migration-only one and the service's. */
  readonly mode: 'deploy' | 'run-task';
  /** A failure must name this (the operation, or the registry request). */
  readonly failureNames: RegExp;
}

export interface Verdict {
  readonly outcome: 'completed' | 'failed';
  /** The error annotation's first line, shortened, for a failed run. */
  readonly reason: string;
  /** The error annotations' whole text. */
  readonly text: string;
  /** Invariants that did not hold; empty when the run was clean. */
  readonly violations: string[];
  /** Of those, one about what AWS or the registry was left with (not only about the report). */
  readonly halfDeployed: boolean;
}

/** The call reached the operation (it answered, or it did the work and then lost the connection). */
export function processed(call: RecordedCall): boolean {
  return call.error === undefined || call.error === RESET_AFTER_PROCESSING;
}

/** Checks every invariant; never throws for a violation, so the table can show it first. */
export async function checkInvariants(context: FaultRunContext): Promise<Verdict> {
  const { run, aws, previousArn } = context;
  const violations: string[] = [];
  let halfDeployed = false;
  const problem = (text: string) => violations.push(text);
  const done = (op: string) => aws.callsOf(op).filter(processed);

  // 1. Completed with outputs, or failed with one annotation naming what failed.
  let outcome: Verdict['outcome'] = 'failed';
  let reason = '';
  const text = annotationText(run.errors);
  if (run.code === 0) {
    outcome = 'completed';
    for (const name of ['image', 'image-digest', 'task-definition-arn', 'deployment-id']) {
      if (!run.outputs[name]) problem(`exit 0 without the ${name} output`);
    }
    if (run.errors.length > 0) problem(`exit 0 with ${run.errors.length} error annotation(s)`);
  } else if (run.code === 1) {
    reason = shorten(briefly(text.split('\n')[0] ?? ''), 130);
    if (run.errors.length !== 1) {
      problem(`exit 1 with ${run.errors.length} error annotations: ${shorten(text, 300)}`);
    }
    if (!context.failureNames.test(text)) {
      problem(`the error does not name ${context.failureNames}: ${shorten(text, 300)}`);
    }
  } else {
    problem(`exit code ${String(run.code)} (killed or crashed): ${shorten(run.stderr, 300)}`);
  }

  const reportProblems = violations.length;

  // 2. The service runs the previous revision or the one the step reported, nothing else.
  const service = aws.ecs.service(SERVICE, CLUSTER);
  const reported = run.outputs['task-definition-arn'] || undefined;
  if (service.taskDefinition !== previousArn && service.taskDefinition !== reported) {
    problem(
      `the service runs ${service.taskDefinition}, neither the previous revision nor the reported ${reported ?? '(none)'}`,
    );
  }
  if (outcome === 'completed' && service.taskDefinition !== reported) {
    problem(`completed, but the service runs ${service.taskDefinition}, not ${reported}`);
  }

  // 3. The registry: every tag points to a manifest whose blobs are all there.
  const tags = await tagsOf(context.registryUrl, context.repository);
  for (const tag of tags) {
    const missing = await missingBlobs(context.registryUrl, context.repository, tag);
    if (missing.length > 0) problem(`tag ${tag} points to an image missing ${missing.join(', ')}`);
  }
  const pushedDigest = run.outputs['image-digest'];
  if (outcome === 'completed' && tags.length === 0) problem('completed, but no tag was pushed');

  // 4. No revision without a pushed image; writes are what the outcome claims.
  const registered = aws.ecs.taskDefinitions.length - 1;
  const registers = done('RegisterTaskDefinition');
  if (registers.length !== registered) {
    problem(`${registers.length} processed RegisterTaskDefinition calls, ${registered} revisions`);
  }
  if (tags.length === 0 && registered > 0) {
    problem(`${registered} revision(s) registered although no image was pushed`);
  }
  const replayed = registers.filter((c) => c.error === RESET_AFTER_PROCESSING).length;
  const expectedRegisters = context.mode === 'run-task' ? 2 : 1;
  if (outcome === 'completed' && registered !== expectedRegisters + replayed) {
    problem(`completed with ${registered} revisions registered, expected ${expectedRegisters}`);
  }
  if (outcome === 'completed' && pushedDigest) {
    const image = `${run.outputs.image}`;
    const images = aws.ecs.taskDefinitions
      .slice(1)
      .map((td) => JSON.stringify(td.body.containerDefinitions));
    if (!images.some((text) => text.includes(image))) {
      problem(`no registered revision uses the reported image ${image}`);
    }
  }
  const runTasks = done('RunTask');
  const startedTasks = aws.ecs.standalone.tasks.length;
  if (startedTasks > 1) problem(`${startedTasks} migration tasks started`);
  if (context.mode === 'deploy' && runTasks.length > 0) problem('RunTask called in deploy mode');

  // 5. A run that stopped before UpdateService left the service alone.
  const updates = done('UpdateService');
  if (updates.length === 0 && service.taskDefinition !== previousArn) {
    problem('the service changed without an UpdateService');
  }
  const replayedUpdates = updates.filter((c) => c.error === RESET_AFTER_PROCESSING).length;
  if (outcome === 'completed' && updates.length !== 1 + replayedUpdates) {
    problem(`completed with ${updates.length} UpdateService calls, expected 1`);
  }
  if (outcome === 'failed' && updates.length > 0 && service.taskDefinition !== previousArn) {
    // A failure after UpdateService either rolled the service back, or left it on the new
    // revision on purpose (the outcome is unknown: a timeout, or the watch lost sight of it),
    // and then the step reports that revision and says the service was left as it is.
    if (service.taskDefinition !== reported || !/left as it is/.test(text)) {
      problem(
        `failed after UpdateService, but the service stays on ${service.taskDefinition} without saying so`,
      );
    }
  }
  halfDeployed = violations.length > reportProblems;
  return { outcome, reason, text, violations, halfDeployed };
}

/** A message with digests cut to 12 hex digits and ARNs to their last part, for a table cell. */
export function briefly(text: string): string {
  return text
    .replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…')
    .replace(/arn:aws:[a-z-]+:[a-z0-9-]*:\d{12}:([a-z-]+\/)*/g, '')
    .replace(/http:\/\/127\.0\.0\.1:\d+\//g, '/')
    .replace(/127\.0\.0\.1:\d+\//g, '');
}

/** The tags of a repository, straight from the registry; none when it does not exist. */
async function tagsOf(registryUrl: string, repository: string): Promise<string[]> {
  const response = await fetch(`${registryUrl}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

/** The blobs (config and layers) of the image a tag points to that the registry cannot serve. */
async function missingBlobs(registryUrl: string, repository: string, tag: string) {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: { Accept: [MediaType.ociManifest, MediaType.dockerManifest].join(', ') },
  });
  if (response.status !== 200) return [`the manifest itself (${response.status})`];
  const manifest = (await response.json()) as {
    config?: { digest: string };
    layers?: { digest: string }[];
  };
  const digests = [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)];
  const missing: string[] = [];
  for (const digest of digests) {
    if (!digest) {
      missing.push('a descriptor without a digest');
      continue;
    }
    const head = await fetch(`${registryUrl}/v2/${repository}/blobs/${digest}`, {
      method: 'HEAD',
    });
    if (head.status !== 200) missing.push(`${digest} (${head.status})`);
  }
  return missing;
}

export function shorten(text: string, max = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One table cell: `✓ completed (2 attempts)`, `✓ failed cleanly: …`, or `✗ …` for a violation. */
export function cell(verdict: Verdict, attempts: string): string {
  if (verdict.violations.length > 0) return `✗ ${briefly(verdict.violations.join('; '))}`;
  return verdict.outcome === 'completed'
    ? `✓ completed (${attempts})`
    : `✓ failed cleanly (${attempts}): ${verdict.reason}`;
}

/**
 * `N faults injected: X completed after retry, Y failed cleanly, Z half-deployed`, and how many
 * ended clean but with an unclear report (several errors, or one not naming what failed).
 */
export function summaryLine(verdicts: readonly { verdict: Verdict; completed: boolean }[]): string {
  const clean = verdicts.filter((v) => v.verdict.violations.length === 0);
  const completed = clean.filter((v) => v.completed).length;
  const failed = clean.length - completed;
  const halfDeployed = verdicts.filter((v) => v.verdict.halfDeployed).length;
  const unclear = verdicts.length - clean.length - halfDeployed;
  return (
    `${verdicts.length} faults injected: ${completed} completed after retry, ${failed} failed cleanly, ${halfDeployed} half-deployed` +
    (unclear > 0 ? `, ${unclear} failed with an unclear report` : '')
  );
}

/** Runs `tasks` with at most `limit` at once, results in order. */
export async function inParallel<T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
