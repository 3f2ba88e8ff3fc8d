// The migration's part of the step summary, from Atlas's JSON report, in the shape Atlas users
// know from its own output: from → to version, files and statements applied, total time, then
// each file; on failure the cause and its fix first, then the database's error and the failing
// statement. Pure: data in, markdown out.
import { formatDuration } from '../util/duration';
import { tableCell } from './command-line';
import { errorText, fence } from './render-summary';

export interface FileRun {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Statements applied (a plan: that would be). */
  readonly statements: readonly string[];
  readonly durationMs?: number;
  /** Statements of a partly applied file that were skipped. */
  readonly skipped?: number;
  readonly error?: { readonly statement?: string; readonly text: string };
}

export interface PendingFile {
  readonly name: string;
  readonly version: string;
  readonly description: string;
}

/** One target database's report. */
export interface TargetRun {
  readonly current?: string;
  readonly target?: string;
  readonly pending: readonly PendingFile[];
  readonly applied: readonly FileRun[];
  readonly durationMs?: number;
  readonly error?: string;
}

export interface MigrationSectionFacts {
  readonly kind: 'apply' | 'plan';
  readonly targets: readonly TargetRun[];
  /** The task whose log the report came from, and how many logs were read to find it. */
  readonly source?: { readonly taskId: string; readonly tasksRead: number };
  /** Why no report could be read. */
  readonly problem?: string;
  /** The migration's error, for a failure raised before any report existed. */
  readonly errorLines?: readonly string[];
  /** Cause and fix of a known Atlas error. */
  readonly hint?: { readonly cause: string; readonly fix: string };
}

/** Statement lists longer than this are folded. */
export const FOLD_STATEMENTS = 10;

export function renderMigrationSection(facts: MigrationSectionFacts): string[] {
  const lines: string[] = [];
  const failedTarget = facts.targets.find((t) => t.error !== undefined || failedFile(t));
  const failure = failedTarget ? failedFile(failedTarget) : undefined;
  if (facts.hint) {
    lines.push(`**Cause:** ${facts.hint.cause}`, '', `**Fix:** ${facts.hint.fix}`, '');
  }
  if (failure?.error) {
    lines.push(
      `The database's error in \`${failure.name}\`:`,
      '',
      errorText(failure.error.text),
      '',
    );
    if (failure.error.statement) {
      lines.push('The failing statement:', '', fence(failure.error.statement, 'sql'), '');
    }
  } else if (failedTarget?.error) {
    lines.push(errorText(failedTarget.error), '');
  } else if (facts.targets.length === 0 && facts.errorLines && facts.errorLines.length > 0) {
    lines.push(errorText(facts.errorLines.join('\n')), '');
  }

  facts.targets.forEach((target, index) => {
    if (facts.targets.length > 1)
      lines.push(`#### Target ${index + 1} of ${facts.targets.length}`, '');
    lines.push(...renderTarget(target, facts.kind));
  });
  if (facts.targets.length === 0 && !(facts.errorLines && facts.errorLines.length > 0)) {
    lines.push(`Atlas's report could not be read${facts.problem ? `: ${facts.problem}` : ''}.`, '');
  } else if (facts.source && facts.targets.length > 0) {
    const others =
      facts.source.tasksRead > 1
        ? `; ${facts.source.tasksRead - 1} other task(s) read first had nothing to apply`
        : '';
    lines.push(`<sub>Atlas's report from task \`${facts.source.taskId}\`${others}.</sub>`, '');
  }
  return lines;
}

function failedFile(target: TargetRun): FileRun | undefined {
  return target.applied.find((f) => f.error !== undefined);
}

function renderTarget(target: TargetRun, kind: 'apply' | 'plan'): string[] {
  const lines: string[] = [];
  const files = target.applied;
  const statements = files.reduce(
    (n, f) => n + f.statements.length - (f.error && f.statements.length > 0 ? 1 : 0),
    0,
  );
  const versions = `${target.current ? `\`${target.current}\`` : 'an empty database'} → \`${target.target ?? '?'}\``;
  const time =
    target.durationMs !== undefined ? ` in ${formatDuration(Math.round(target.durationMs))}` : '';
  if (kind === 'plan') {
    if (target.pending.length === 0 && !target.error) {
      lines.push(
        `Nothing to apply: the database is ${target.current ? `at version \`${target.current}\`` : 'empty and there are no migration files'}.`,
        '',
      );
      return lines;
    }
    lines.push(
      `A deploy would apply **${plural(target.pending.length, 'file')}** (${versions}), **${plural(statements, 'statement')}**.`,
      '',
    );
  } else if (target.pending.length === 0 && !target.error) {
    lines.push(
      `No migration files to execute: the database is ${target.current ? `at version \`${target.current}\`` : 'empty'}.`,
      '',
    );
    return lines;
  } else {
    const done = files.filter((f) => !f.error).length;
    const failed = files.find((f) => f.error);
    lines.push(
      failed
        ? `Failed in \`${failed.version}\` after **${plural(done, 'file')}** of ${target.pending.length} pending (from ${target.current ? `\`${target.current}\`` : 'an empty database'}); **${plural(statements, 'statement')}** ran${time}.`
        : `Migrated ${versions}: **${plural(done, 'file')}** of ${target.pending.length} pending, **${plural(statements, 'statement')}**${time}.`,
      '',
    );
  }
  // A dry run lists the statements it would run as applied; a report without them, the files.
  const rows: readonly FileRun[] =
    kind === 'plan' && files.length === 0
      ? target.pending.map((p) => ({ ...p, statements: [] }))
      : files;
  if (rows.length > 0) {
    lines.push(
      kind === 'plan'
        ? '| Version | Description | Statements |'
        : '| Status | Version | Description | Statements | Time |',
      kind === 'plan' ? '|---|---|--:|' : '|---|---|---|--:|--:|',
    );
    for (const run of rows) {
      const file = run;
      // Atlas lists the statement that failed last among the file's statements.
      const count = run.error
        ? `${Math.max(0, run.statements.length - 1)} ok, 1 failed`
        : String(run.statements.length);
      lines.push(
        kind === 'plan'
          ? `| \`${file.version}\` | ${tableCell(file.description)} | ${count} |`
          : `| ${run.error ? '❌' : '✅'} | \`${file.version}\` | ${tableCell(file.description)} | ${count} | ${run.durationMs !== undefined ? formatDuration(Math.round(run.durationMs)) : ''} |`,
      );
    }
    lines.push('');
  }
  lines.push(...statementLists(rows, kind));
  return lines;
}

/** Each file's statements, in one fold when they are many. */
function statementLists(files: readonly FileRun[], kind: 'apply' | 'plan'): string[] {
  // The statement that failed is shown above, with the database's error: not again here.
  const ran = (f: FileRun) => (f.error ? f.statements.slice(0, -1) : f.statements);
  const withStatements = files.filter((f) => ran(f).length > 0);
  if (withStatements.length === 0) return [];
  const total = withStatements.reduce((n, f) => n + ran(f).length, 0);
  const body: string[] = [];
  for (const file of withStatements) {
    body.push(`\`${file.name}\``, '', fence(ran(file).join('\n'), 'sql'), '');
  }
  const label = kind === 'plan' ? 'Statements a deploy would run' : 'Statements run';
  if (total <= FOLD_STATEMENTS) return [`${label}:`, '', ...body];
  return [`<details><summary>${label} (${total})</summary>`, '', ...body, '</details>', ''];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
