// From what was read of the migration container's log to what the summary shows of it: Atlas's
// report(s), where they came from, and a hint for a known Atlas error. Pure.
import { atlasErrorHint } from '../atlas/error-hints';
import { summariseReports } from '../atlas/report';
import type { MigrationRead } from '../deploy/applied-report';
import { taskIdOf } from '../deploy/log-stream';
import type { Settings } from '../inputs/settings';
import type { MigrationSectionFacts } from './render-migration';

export function migrationSectionFacts(
  read: MigrationRead | undefined,
  kind: 'apply' | 'plan',
  context: {
    readonly settings: Pick<Settings, 'lockTimeout' | 'mode'>;
    /** Atlas's `Error:` lines, for a failure raised before any report. */
    readonly errorLines?: readonly string[];
  },
): MigrationSectionFacts | undefined {
  const errorLines = context.errorLines ?? [];
  if (!read && errorLines.length === 0) return undefined;
  const reports = read?.reports ?? [];
  const failure = reports.length > 0 ? summariseReports(reports).failed : undefined;
  const errorText = failure?.text ?? errorLines[0]?.replace(/^Error:\s*/, '');
  const hint =
    (errorText
      ? atlasErrorHint(errorText, {
          lockTimeout: context.settings.lockTimeout,
          mode: context.settings.mode,
        })
      : undefined) ?? statementHint(failure);
  return {
    kind,
    targets: reports,
    ...(read?.taskArn
      ? { source: { taskId: taskIdOf(read.taskArn), tasksRead: read.tasksRead } }
      : {}),
    ...(read?.problem ? { problem: read.problem } : {}),
    ...(errorLines.length > 0 ? { errorLines } : {}),
    ...(hint ? { hint } : {}),
  };
}

/** A statement the database refused: no known Atlas error, but a known way forward. */
function statementHint(
  failure: { file?: string; statement?: string } | undefined,
): { cause: string; fix: string } | undefined {
  if (!failure?.file || !failure.statement) return undefined;
  return {
    cause: `The database refused a statement of \`${failure.file}\`; the files before it are applied.`,
    fix: `correct \`${failure.file}\` (or the data the statement meets), run \`atlas migrate hash\`, and deploy again: Atlas applies the files still pending. Never edit a file that is already applied: add a new one.`,
  };
}

/** The step's error with the known cause and its fix first, where the annotation shows them. */
export function withHint(error: Error, facts: MigrationSectionFacts | undefined): Error {
  const hint = facts?.hint;
  if (!hint) return error;
  const hinted = new Error(`${hint.cause} Fix: ${hint.fix}\n${error.message}`);
  hinted.name = error.name;
  return hinted;
}
