// Explains why a committed atlas.sum no longer matches the files: which were added, removed or
// edited, so the user knows what changed instead of only that something did.
import { createHash } from 'node:crypto';
import type { RecordedEntry } from './sum-file';
import {
  compareNames,
  isIgnoredFile,
  snapshot,
  updateWithContent,
  type MigrationSource,
} from './sum-hash';

export type DiagnosisKind = 'edited' | 'added' | 'removed';

export interface Diagnosis {
  readonly kind: DiagnosisKind;
  /** Line in atlas.sum: the file's entry, or 1 when it has none. */
  readonly line: number;
  readonly message: string;
  readonly migration: string;
}

/**
 * Finds the files that explain why `recorded` differs from the entries of `migrations`, ordered by
 * their line in atlas.sum. `pathOf` turns a migration name into the path shown in messages.
 */
export function diagnose(
  recorded: readonly RecordedEntry[],
  migrations: readonly MigrationSource[],
  pathOf: (name: string) => string,
): Diagnosis[] {
  const byName = new Map(migrations.map((f) => [f.name, f]));
  const recordedNames = new Set(recorded.map((e) => e.name));
  const found: Diagnosis[] = [];

  for (const entry of recorded) {
    const file = byName.get(entry.name);
    if (file === undefined) {
      found.push({
        kind: 'removed',
        line: entry.line,
        migration: entry.name,
        message: `atlas.sum lists ${pathOf(entry.name)} on line ${entry.line}, but the file is gone`,
      });
    } else if (isIgnoredFile(file)) {
      found.push({
        kind: 'edited',
        line: entry.line,
        migration: entry.name,
        message: `${pathOf(entry.name)} now starts with 'atlas:sum ignore', but atlas.sum still lists it on line ${entry.line}`,
      });
    }
  }
  for (const file of migrations) {
    if (recordedNames.has(file.name) || isIgnoredFile(file)) continue;
    found.push({
      kind: 'added',
      line: 1,
      migration: file.name,
      message: `${pathOf(file.name)} is not listed in atlas.sum: it was added after atlas.sum was written`,
    });
  }
  const chain = firstChainBreak(recorded, migrations, recordedNames);
  if (chain !== undefined) found.push(describeBreak(chain, pathOf));
  return found.sort((a, b) => a.line - b.line || compareNames(a.migration, b.migration));
}

type ChainBreak =
  | { kind: 'edited'; entry: RecordedEntry }
  | { kind: 'ignored-added'; names: string[]; entry: RecordedEntry };

/**
 * Replays the running hash over the directory as it was when atlas.sum was written (the files it
 * lists, plus today's ignored files, whose names count), using today's contents. The first entry
 * that no longer matches was edited. Past that point, and past a removed file whose old content is
 * unknown, no entry can be checked, which is why at most one edit is reported.
 */
function firstChainBreak(
  recorded: readonly RecordedEntry[],
  migrations: readonly MigrationSource[],
  recordedNames: ReadonlySet<string>,
): ChainBreak | undefined {
  const byName = new Map(migrations.map((f) => [f.name, f]));
  const entryOf = new Map(recorded.map((e) => [e.name, e]));
  const ignoredNow = migrations
    .filter((f) => isIgnoredFile(f) && !recordedNames.has(f.name))
    .map((f) => f.name);
  const sequence = [...recordedNames, ...ignoredNow].sort(compareNames);

  const running = createHash('sha256');
  let lastGood = running.copy();
  let ignoredSinceLastGood: string[] = [];
  for (const name of sequence) {
    const entry = entryOf.get(name);
    if (entry === undefined) {
      running.update(name, 'utf8');
      ignoredSinceLastGood.push(name);
      continue;
    }
    const file = byName.get(name);
    if (file === undefined || isIgnoredFile(file)) return undefined;
    running.update(name, 'utf8');
    updateWithContent(running, file);
    if (snapshot(running) === entry.hash) {
      lastGood = running.copy();
      ignoredSinceLastGood = [];
      continue;
    }
    if (ignoredSinceLastGood.length > 0) {
      // The mismatch may come from ignored files that are new rather than from an edit.
      const without = lastGood.copy();
      without.update(name, 'utf8');
      updateWithContent(without, file);
      if (snapshot(without) === entry.hash) {
        return { kind: 'ignored-added', names: ignoredSinceLastGood, entry };
      }
    }
    return { kind: 'edited', entry };
  }
  return undefined;
}

function describeBreak(chain: ChainBreak, pathOf: (name: string) => string): Diagnosis {
  const { entry } = chain;
  if (chain.kind === 'edited') {
    return {
      kind: 'edited',
      line: entry.line,
      migration: entry.name,
      message: `${pathOf(entry.name)} was changed after atlas.sum was written: its hash on line ${entry.line} no longer matches`,
    };
  }
  const names = chain.names.map(pathOf).join(', ');
  return {
    kind: 'added',
    line: 1,
    migration: chain.names[0]!,
    message: `${names} was added after atlas.sum was written; 'atlas:sum ignore' keeps its content out of atlas.sum, but its name still counts in the hash of ${pathOf(entry.name)} on line ${entry.line}`,
  };
}
