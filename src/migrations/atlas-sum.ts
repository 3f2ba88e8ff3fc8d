// atlas.sum: compute it as `atlas migrate hash` writes it, and explain why a committed one no longer
// matches, so the deploy fails in CI with the file to look at instead of inside the ECS task.
import { posix } from 'node:path';
import type { FileLocation } from '../errors';
import { diagnose } from './sum-diagnosis';
import { parseSumFile } from './sum-file';
import {
  hashEntries,
  selectMigrationFiles,
  totalHash,
  type MigrationFile,
  type MigrationSource,
} from './sum-hash';

export type { MigrationFile, MigrationSource, StreamedContent } from './sum-hash';

export type SumProblemKind = 'missing' | 'malformed' | 'edited' | 'added' | 'removed' | 'total';

export interface SumProblem {
  readonly kind: SumProblemKind;
  /** The migration file concerned (name inside the migration directory), when there is one. */
  readonly migration?: string;
  /** In atlas.sum: the entry's line, line 1 when no entry exists, no line when the file is missing. */
  readonly location: FileLocation;
  readonly message: string;
  readonly fix: string;
}

export const SUM_FIX =
  "run 'atlas migrate hash' (in the directory of atlas.hcl) and commit atlas.sum";

/** The full atlas.sum text Atlas writes for these files (names relative to the migration dir). */
export function computeAtlasSum(files: readonly MigrationFile[]): string {
  const entries = hashEntries(selectMigrationFiles(files));
  const lines = [`h1:${totalHash(entries)}`, ...entries.map((e) => `${e.name} h1:${e.hash}`)];
  return `${lines.join('\n')}\n`;
}

/**
 * Compares a committed atlas.sum with the files. `sumText` undefined means there is no atlas.sum;
 * `sumPath` is its workspace-relative path, used in locations and to name migration files.
 */
export function verifyAtlasSum(
  files: readonly MigrationSource[],
  sumText: string | undefined,
  sumPath: string,
): SumProblem[] {
  const migrations = selectMigrationFiles(files);
  const dir = posix.dirname(sumPath);
  const pathOf = (name: string): string => (dir === '.' ? name : `${dir}/${name}`);
  const problem = (
    kind: SumProblemKind,
    line: number | undefined,
    message: string,
    migration?: string,
  ): SumProblem => ({
    kind,
    ...(migration === undefined ? {} : { migration }),
    location: line === undefined ? { file: sumPath } : { file: sumPath, line },
    message,
    fix: SUM_FIX,
  });

  if (sumText === undefined) {
    // Like Atlas: a directory without migrations needs no atlas.sum yet.
    if (migrations.length === 0) return [];
    return [
      problem(
        'missing',
        undefined,
        `${sumPath} is missing; Atlas refuses to apply the ${migrations.length} migration file(s) in ${dir} without it`,
      ),
    ];
  }

  const parsed = parseSumFile(sumText);
  if (parsed.malformed.length > 0) {
    return parsed.malformed.map((m) => problem('malformed', m.line, `${sumPath}: ${m.reason}`));
  }

  const expected = hashEntries(migrations);
  const recorded = parsed.entries;
  const entriesMatch =
    expected.length === recorded.length &&
    expected.every((e, i) => e.name === recorded[i]!.name && e.hash === recorded[i]!.hash);

  if (!entriesMatch) {
    const found = diagnose(recorded, migrations, pathOf).map((d) =>
      problem(d.kind, d.line, d.message, d.migration),
    );
    if (found.length > 0) return found;
    return [problem('total', 1, `${sumPath} does not match the migration files in ${dir}`)];
  }
  if (parsed.total !== totalHash(recorded)) {
    return [
      problem(
        'total',
        1,
        `the total hash on line 1 of ${sumPath} does not match the entries below it (edited by hand or merged)`,
      ),
    ];
  }
  return [];
}
