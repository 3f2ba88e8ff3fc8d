// The summary section of input deregister-revisions: which revisions the run deregistered, which it
// kept and why, and what failed. Pure.
import type {
  DeregistrationReason,
  KeptRevision,
  LeftBehindPlan,
  PlannedDeregistration,
} from '../deploy/left-behind';
import { codeSpan } from './command-line';

export interface FailedDeregistration extends PlannedDeregistration {
  readonly error: string;
}

/** What the clean-up did. */
export interface DeregistrationOutcome {
  readonly deregistered: readonly PlannedDeregistration[];
  readonly failed: readonly FailedDeregistration[];
  /** Not tried after a refusal (access denied) that would have refused them too. */
  readonly notTried: readonly PlannedDeregistration[];
  readonly kept: readonly KeptRevision[];
  readonly migration?: LeftBehindPlan['migration'];
  /** Due, but beyond the number deregistered a run: left for a later run. */
  readonly deferred: number;
  /** What kept the clean-up from deciding (a service or a family that could not be read). */
  readonly problems: readonly string[];
}

/** Why a revision goes, in words: `rolled back`, `older than the newest 5 of web-migrate`. */
export function reasonText(
  reason: DeregistrationReason,
  migration: LeftBehindPlan['migration'],
): string {
  if (reason === 'rolled-back') return 'rolled back';
  return migration
    ? `older than the newest ${migration.keep} of ${codeSpan(migration.family)}`
    : 'older than the newest revisions of its family';
}

export function renderLeftBehind(outcome: DeregistrationOutcome): string {
  const lines: string[] = [];
  const why = (reason: DeregistrationReason) => reasonText(reason, outcome.migration);
  for (const reason of ['rolled-back', 'old-migration'] as const) {
    const gone = outcome.deregistered.filter((r) => r.reason === reason);
    if (gone.length > 0) lines.push(`- Deregistered ${labels(gone)} (${why(reason)})`);
  }
  for (const kept of outcome.kept) {
    lines.push(`- Kept ${codeSpan(kept.label)} (${why(kept.reason)}): ${oneLine(kept.why)}`);
  }
  for (const failed of outcome.failed) {
    lines.push(
      `- ⚠️ Could not deregister ${codeSpan(failed.label)} (${why(failed.reason)}): ${oneLine(failed.error)}`,
    );
  }
  if (outcome.notTried.length > 0) {
    lines.push(`- ⚠️ Not tried after that refusal: ${labels(outcome.notTried)}`);
  }
  if (outcome.deferred > 0) {
    const done = outcome.deregistered.length + outcome.failed.length + outcome.notTried.length;
    lines.push(
      `- ${outcome.deferred} more older revision(s) are left for the next runs (at most ${done} a run)`,
    );
  }
  for (const problem of outcome.problems) lines.push(`- ⚠️ ${oneLine(problem)}`);
  const migration = outcome.migration;
  if (lines.length === 0 && migration) {
    lines.push(
      `- Nothing to deregister: ${codeSpan(migration.family)} has ${migration.active} active revision(s), and the newest ${migration.keep} are kept`,
    );
  }
  if (lines.length === 0) return '';
  return ['### Revisions left behind', '', ...lines, ''].join('\n');
}

function labels(revisions: readonly PlannedDeregistration[]): string {
  return revisions.map((r) => codeSpan(r.label)).join(', ');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}
