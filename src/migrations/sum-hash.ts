// Atlas's migration-directory hashing (sql/migrate/dir.go: LocalDir.Files, NewHashFile, HashFile.Sum),
// reproduced so a stale atlas.sum is caught before an image is built and deployed.
import { createHash, type Hash } from 'node:crypto';
import { isSumIgnored } from './sum-directive';

export interface MigrationFile {
  /** Path relative to the migration directory, POSIX separators. */
  readonly name: string;
  readonly content: Buffer;
}

/** A migration file as hashing takes it: in memory, or (too large to keep) left on disk. */
export interface MigrationSource {
  /** Path relative to the migration directory, POSIX separators. */
  readonly name: string;
  readonly content: Buffer | StreamedContent;
}

/** A migration file's content left on disk, read in chunks each time it is hashed. */
export interface StreamedContent {
  /** isSumIgnored of the file, decided from its first line when the file was found. */
  readonly ignored: boolean;
  /** Passes the file's bytes to `consume` in order, synchronously; chunks may be reused after. */
  forEachChunk(consume: (chunk: Buffer) => void): void;
}

/** Whether Atlas leaves the file's content out of atlas.sum (see isSumIgnored). */
export function isIgnoredFile(file: MigrationSource): boolean {
  return Buffer.isBuffer(file.content) ? isSumIgnored(file.content) : file.content.ignored;
}

/** Adds the file's bytes to a running hash. */
export function updateWithContent(hash: Hash, file: MigrationSource): void {
  if (Buffer.isBuffer(file.content)) hash.update(file.content);
  else file.content.forEachChunk((chunk) => hash.update(chunk));
}

/** One `<name> h1:<hash>` line of atlas.sum; `hash` is the value after `h1:`. */
export interface SumEntry {
  readonly name: string;
  readonly hash: string;
}

/**
 * Go compares strings byte by byte; UTF-16 order differs once names leave the BMP. Returns -1, 0
 * or 1 as Buffer.compare of the UTF-8 bytes does, without encoding either name: up to the first
 * differing code unit the bytes are equal too, and two differing code units that are not
 * surrogates order their UTF-8 bytes the same way. Surrogates take the exact (encoding) path.
 */
export function compareNames(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) || isSurrogate(y)) {
      return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    }
    return x < y ? -1 : 1;
  }
  // One is a prefix of the other; even a trailing lone high surrogate (U+FFFD, EF BF BD) sorts
  // before the 4-byte sequence (F0-F4 ...) it begins in the longer name.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function isSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdfff;
}

/**
 * The files Atlas treats as migrations: `fs.Glob(dir, "*.sql")`, so top level only, suffix
 * `.sql` exactly (case-sensitive), dot-files included, sorted by name.
 */
export function selectMigrationFiles<F extends { readonly name: string }>(
  files: readonly F[],
): F[] {
  return files
    .filter((f) => !f.name.includes('/') && f.name.endsWith('.sql'))
    .sort((a, b) => compareNames(a.name, b.name));
}

/**
 * The atlas.sum entries of already-selected files. One running SHA-256 covers every file in order,
 * so an entry also vouches for all files before it. An ignored file adds its name to the running
 * hash but gets no entry of its own.
 */
export function hashEntries(migrations: readonly MigrationSource[]): SumEntry[] {
  const running = createHash('sha256');
  const entries: SumEntry[] = [];
  for (const file of migrations) {
    running.update(file.name, 'utf8');
    if (isIgnoredFile(file)) continue;
    updateWithContent(running, file);
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
