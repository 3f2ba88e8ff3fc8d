// Atlas's migration-directory hashing (sql/migrate/dir.go: LocalDir.Files, NewHashFile, HashFile.Sum),
// reproduced so a stale atlas.sum is caught before an image is built and deployed.
import { createHash, type Hash } from 'node:crypto';
import { isSumIgnored } from './sum-directive';

export interface MigrationFile {
  /** Path relative to the migration directory, POSIX separators. */
  readonly name: string;
  readonly content: Buffer;
}

/** One `<name> h1:<hash>` line of atlas.sum; `hash` is the value after `h1:`. */
export interface SumEntry {
  readonly name: string;
  readonly hash: string;
}

/** Go compares strings byte by byte; UTF-16 order differs once names leave the BMP. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The files Atlas treats as migrations: `fs.Glob(dir, "*.sql")`, so top level only, suffix
 * `.sql` exactly (case-sensitive), dot-files included, sorted by name.
 */
export function selectMigrationFiles(files: readonly MigrationFile[]): MigrationFile[] {
  return files
    .filter((f) => !f.name.includes('/') && f.name.endsWith('.sql'))
    .sort((a, b) => compareNames(a.name, b.name));
}

/**
 * The atlas.sum entries of already-selected files. One running SHA-256 covers every file in order,
 * so an entry also vouches for all files before it. An ignored file adds its name to the running
 * hash but gets no entry of its own.
 */
export function hashEntries(migrations: readonly MigrationFile[]): SumEntry[] {
  const running = createHash('sha256');
  const entries: SumEntry[] = [];
  for (const file of migrations) {
    running.update(file.name, 'utf8');
    if (isSumIgnored(file.content)) continue;
    running.update(file.content);
    entries.push({ name: file.name, hash: snapshot(running) });
  }
  return entries;
}

/** The value on atlas.sum's first line (after `h1:`). */
export function totalHash(entries: readonly SumEntry[]): string {
  const total = createHash('sha256');
  for (const entry of entries) {
    total.update(entry.name, 'utf8');
    total.update(entry.hash, 'utf8');
  }
  return total.digest('base64');
}

/** Go's `h.Sum(nil)` leaves the running state untouched; Node's digest() would end it. */
export function snapshot(running: Hash): string {
  return running.copy().digest('base64');
}
