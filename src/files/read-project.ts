// Reads the user's Atlas project from the workspace (the only place the migration checks touch the
// disk) and runs every check on it, so all problems reach the user in one run.
//
// The directory is walked and read synchronously, one file after another: for thousands of small
// files that is several times faster than promises (each of which waits on the thread pool) and
// keeps the order of every read, warning and error plain. Nothing else runs meanwhile.
import {
  closeSync,
  lstatSync,
  openSync,
  promises as fs,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { FileProblem, InputError, ValidationErrors, errorMessage } from '../errors';
import type { ProjectFile } from '../project-file';
import { inspectAtlasConfig, type ConfigWarning } from '../migrations/atlas-config';
import type { EnvContract } from '../migrations/env-contract';
import { releaseHclParser } from '../util/hcl2json';
import {
  verifyAtlasSum,
  type MigrationSource,
  type StreamedContent,
} from '../migrations/atlas-sum';
import { sumIgnoredFromHead } from '../migrations/sum-directive';
import { directiveWarnings } from '../migrations/file-directives';
import { compareNames, selectMigrationFiles } from '../migrations/sum-hash';

export interface ReadProjectOptions {
  /** Absolute path of the workspace (repository root). */
  readonly workspace: string;
  /** Workspace-relative (input 'migrations-dir'). */
  readonly migrationsDir: string;
  /** Workspace-relative (input 'atlas-config'). */
  readonly atlasConfig: string;
  /** Input 'atlas-env'. */
  readonly atlasEnv: string;
  /** The names input 'vars' sets (with their lines there): atlas.hcl must declare each. */
  readonly vars?: readonly { readonly name: string; readonly line: number }[];
}

export interface MigrationProject {
  /** atlas.hcl and every regular file under the migration directory, sorted by path. */
  readonly files: ProjectFile[];
  /** Top-level `*.sql` file names of the migration directory, in Atlas's order. */
  readonly migrations: string[];
  /** The directory format `migrate apply` uses: atlas unless atlas.hcl says otherwise. */
  readonly dirFormat: string;
  readonly warnings: ConfigWarning[];
  /** What the selected env needs inside the migration container (migrations/env-contract.ts). */
  readonly contract?: EnvContract;
}

const SUM_FILE = 'atlas.sum';
const CONFIG_FIX =
  "set 'atlas-config' to the path of your atlas.hcl, relative to the repository root";
const DIR_FIX =
  "set 'migrations-dir' to the directory that holds your migration files and atlas.sum, relative to the repository root";

/** Files read whole below this size may stay in memory for the image; larger ones are streamed. */
const KEEP_BELOW = 1024 * 1024;
/**
 * At most this many bytes of file content stay in memory between the checks and the image: all of
 * a typical project, so its files are not read twice, but a small part of a large one, whose
 * other files the image reads again from disk (memory stays flat however large the directory).
 */
const KEEP_BUDGET = 4 * 1024 * 1024;
/** Read size for files hashed from disk; one buffer serves them all, as hashing is synchronous. */
const CHUNK_SIZE = 64 * 1024;
let chunkBuffer: Buffer | undefined;
/** First read for a first line; most are short, a longer one doubles it as needed. */
const FIRST_LINE_READ = 1024;

/** The content kept in memory by one readMigrationProject, in bytes. */
interface KeepBudget {
  left: number;
}

/**
 * A project file's bytes for the image: those the checks read when they were kept, else read from
 * disk now. Reads at most size + 1 bytes, enough for the caller to tell that the file grew; meant
 * for small files (large ones are streamed from `absolutePath`).
 */
export function readProjectFile(file: ProjectFile): Buffer {
  return file.content ?? readAtMost(file.absolutePath, file.size + 1);
}

/** Throws ValidationErrors listing every problem found. */
export async function readMigrationProject(opts: ReadProjectOptions): Promise<MigrationProject> {
  const workspace = await fs.realpath(opts.workspace);
  const errors: Error[] = [];
  const warnings: ConfigWarning[] = [];
  const budget: KeepBudget = { left: KEEP_BUDGET };

  const config = await readConfig(workspace, opts.atlasConfig, budget);
  if (config instanceof Error) errors.push(config);
  const report =
    config instanceof Error
      ? undefined
      : await inspectAtlasConfig(config.text, {
          file: config.file.path,
          env: opts.atlasEnv,
          migrationsDir: opts.migrationsDir,
          ...(opts.vars ? { vars: opts.vars } : {}),
        });
  // An env whose migration directory is in Atlas Cloud (atlas://, data "remote_dir") ships
  // atlas-config alone: Atlas pulls the files in the container, so no local directory is read,
  // required or checked.
  const cloud = report?.contract?.cloudDirectory !== undefined;
  const dir = cloud
    ? noMigrationDir(opts.migrationsDir)
    : await readMigrationDir(workspace, opts.migrationsDir, warnings, budget);
  if (dir instanceof Error) errors.push(dir);

  let dirFormat = 'atlas';
  let contract: EnvContract | undefined;
  if (report) {
    errors.push(...report.problems, ...(report.inputProblems ?? []));
    warnings.push(...report.warnings);
    dirFormat = report.dirFormat ?? dirFormat;
    contract = report.contract;
    // atlas.hcl is the only HCL a run reads: free the parser before the layer is built.
    releaseHclParser();
  }

  const migrations = dir instanceof Error ? [] : selectMigrationFiles(dir.migrationFiles);
  if (!(dir instanceof Error)) {
    for (const file of migrations) {
      warnings.push(...directiveWarnings(posixJoin(dir.path, file.name), fileHead(file)));
    }
  }
  if (!(dir instanceof Error) && !cloud) {
    errors.push(...dir.problems);
    if (migrations.length === 0) {
      errors.push(
        new InputError(
          'migrations-dir',
          `${dir.path} holds no .sql migration files at its top level`,
          `${DIR_FIX}, or create the first migration with 'atlas migrate diff'`,
        ),
      );
    } else if (dirFormat === 'atlas') {
      // The other formats pick and hash their files differently; Atlas checks those itself.
      const sumPath = posixJoin(dir.path, SUM_FILE);
      try {
        for (const p of verifyAtlasSum(dir.migrationFiles, dir.sumText, sumPath)) {
          if (p.migration !== undefined && dir.unshipped.has(p.migration)) continue;
          errors.push(new FileProblem(p.location, p.message, p.fix));
        }
      } catch (error) {
        // Only a large file, read again from disk to be hashed, can fail here (it went away).
        errors.push(dirReadError(dir.path, error));
      }
    }
  }

  if (errors.length > 0 || config instanceof Error || dir instanceof Error) {
    throw new ValidationErrors(errors);
  }
  // atlas.hcl may itself sit in the migration directory.
  const files = new Map([config.file, ...dir.files].map((f) => [f.path, f]));
  return {
    files: [...files.values()].sort((a, b) => compareNames(a.path, b.path)),
    migrations: migrations.map((f) => f.name),
    dirFormat,
    warnings,
    ...(contract ? { contract } : {}),
  };
}

interface Config {
  readonly file: ProjectFile;
  readonly text: string;
}

async function readConfig(
  workspace: string,
  input: string,
  budget: KeepBudget,
): Promise<Config | InputError> {
  const located = await locate(workspace, input);
  if (located.kind === 'outside') {
    return new InputError('atlas-config', `'${input}' is outside the workspace`, CONFIG_FIX);
  }
  if (located.kind === 'missing') {
    return new InputError('atlas-config', `'${input}' does not exist in the workspace`, CONFIG_FIX);
  }
  try {
    const stats = await fs.stat(located.real);
    if (!stats.isFile()) {
      return new InputError('atlas-config', `'${located.relative}' is not a file`, CONFIG_FIX);
    }
    const bytes = await fs.readFile(located.real);
    const file = keep(projectFile(located.relative, located.real, stats), bytes, budget);
    return { file, text: bytes.toString('utf8') };
  } catch (error) {
    return new InputError(
      'atlas-config',
      `'${located.relative}' cannot be read: ${errorMessage(error)}`,
      'make the file readable by the user the workflow runs as',
    );
  }
}

interface MigrationDir {
  /** Workspace-relative, normalized. */
  readonly path: string;
  readonly files: ProjectFile[];
  /** The top-level `.sql` files, named relative to the directory. */
  readonly migrationFiles: MigrationSource[];
  readonly sumText: string | undefined;
  readonly problems: Error[];
  /** Top-level `.sql` entries left out (links leaving the workspace, ...), already reported. */
  readonly unshipped: ReadonlySet<string>;
}

async function readMigrationDir(
  workspace: string,
  input: string,
  warnings: ConfigWarning[],
  budget: KeepBudget,
): Promise<MigrationDir | InputError> {
  const located = await locate(workspace, input);
  if (located.kind === 'outside') {
    return new InputError('migrations-dir', `'${input}' is outside the workspace`, DIR_FIX);
  }
  if (located.kind === 'missing') {
    return new InputError('migrations-dir', `'${input}' does not exist in the workspace`, DIR_FIX);
  }
  const { relative, real } = located;
  try {
    if (!(await fs.stat(real)).isDirectory()) {
      return new InputError('migrations-dir', `'${relative}' is not a directory`, DIR_FIX);
    }
    const files: ProjectFile[] = [];
    const migrationFiles: MigrationSource[] = [];
    const problems: Error[] = [];
    let sumText: string | undefined;
    const unshipped = new Set<string>();
    const skip = (name: string, why: string): void => {
      const file = posixJoin(relative, name);
      if (!isMigrationName(name)) {
        warnings.push({ location: { file }, message: `${file} is not shipped: ${why}` });
        return;
      }
      // Atlas in the task would run without this migration, so this cannot be a mere warning.
      unshipped.add(name);
      problems.push(
        new FileProblem(
          { file },
          `${why}, so this migration cannot be shipped`,
          'replace the link with the file itself, or link to a file inside the repository',
        ),
      );
    };
    for (const entry of walk(workspace, real, [], new Set([real]), skip)) {
      const workspacePath = posixJoin(relative, entry.name);
      const topLevel = !entry.name.includes('/');
      const isMigration = isMigrationName(entry.name);
      if (entry.kind === 'directory') {
        if (isMigration) problems.push(sqlDirectoryProblem(workspacePath));
        continue;
      }
      let file = projectFile(workspacePath, entry.real, entry.stats);
      if (isMigration) {
        const content = migrationContent(file, budget);
        if (Buffer.isBuffer(content)) file = keep(file, content, budget);
        migrationFiles.push({ name: entry.name, content });
      } else if (topLevel && entry.name === SUM_FILE) {
        const bytes = readFileSync(entry.real);
        file = keep(file, bytes, budget);
        sumText = bytes.toString('utf8');
      }
      files.push(file);
    }
    return { path: relative, files, migrationFiles, sumText, problems, unshipped };
  } catch (error) {
    return dirReadError(relative, error);
  }
}

/** The directory of a project whose migrations are in Atlas Cloud: nothing to ship. */
function noMigrationDir(relative: string): MigrationDir {
  return {
    path: relative,
    files: [],
    migrationFiles: [],
    sumText: undefined,
    problems: [],
    unshipped: new Set(),
  };
}

function dirReadError(relative: string, error: unknown): InputError {
  return new InputError(
    'migrations-dir',
    `'${relative}' cannot be read: ${errorMessage(error)}`,
    'make the directory and its files readable by the user the workflow runs as',
  );
}

/**
 * A small migration file is read whole, for the caller to keep for the image, while the budget
 * allows. A large one, or one past the budget, stays on disk: only its first line is read now, to
 * find the `atlas:sum ignore` directive, and it is read again in chunks (into one reused buffer)
 * when it is hashed, so neither a large file nor a large directory sits in memory at once, nor
 * leaves its bytes behind as garbage.
 */
function migrationContent(file: ProjectFile, budget: KeepBudget): Buffer | StreamedContent {
  // Hashed as read even if it grew past what may be kept since it was listed.
  if (file.size < KEEP_BELOW && file.size <= budget.left) return readFileSync(file.absolutePath);
  const { absolutePath } = file;
  return {
    ignored: readIgnoreDirective(absolutePath),
    forEachChunk: (consume) => forEachChunk(absolutePath, consume),
  };
}

/**
 * The file with the bytes the checks read as its content, while the budget allows; past it, the
 * file as listed (the bytes become garbage once hashed, and the image reads them again).
 */
function keep(file: ProjectFile, bytes: Buffer, budget: KeepBudget): ProjectFile {
  if (bytes.length >= KEEP_BELOW || bytes.length > budget.left) return file;
  budget.left -= bytes.length;
  return { ...file, content: bytes };
}

/** Reads from the start of the file until the first line decides isSumIgnored. */
function readIgnoreDirective(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    let head = Buffer.allocUnsafe(FIRST_LINE_READ);
    let length = 0;
    for (;;) {
      if (length === head.length) {
        // Grown by doubling: a long first line costs linear time, not quadratic.
        const larger = Buffer.allocUnsafe(head.length * 2);
        head.copy(larger, 0, 0, length);
        head = larger;
      }
      const read = readSync(fd, head, length, head.length - length, null);
      const decided = sumIgnoredFromHead(head.subarray(0, length + read), read === 0, length);
      if (decided !== undefined) return decided;
      length += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** Passes the file's bytes in order, one reused chunk at a time. */
function forEachChunk(file: string, consume: (chunk: Buffer) => void): void {
  const fd = openSync(file, 'r');
  try {
    const chunk = (chunkBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE));
    for (;;) {
      const read = readSync(fd, chunk, 0, CHUNK_SIZE, null);
      if (read === 0) return;
      consume(chunk.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
}

/** Up to `limit` bytes from the start of the file (fewer when it is shorter). */
function readAtMost(file: string, limit: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const bytes = Buffer.allocUnsafe(limit);
    let length = 0;
    while (length < limit) {
      const read = readSync(fd, bytes, length, limit - length, null);
      if (read === 0) break;
      length += read;
    }
    return bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Atlas's migration files: `*.sql` at the top of the directory. */
function isMigrationName(name: string): boolean {
  return !name.includes('/') && name.endsWith('.sql');
}

function sqlDirectoryProblem(file: string): FileProblem {
  return new FileProblem(
    { file },
    'this directory ends in .sql, and Atlas reads every top-level *.sql entry as a migration file, so it would fail on it',
    'rename the directory so its name does not end in .sql',
  );
}

type WalkEntry =
  | { kind: 'directory'; name: string }
  | { kind: 'file'; name: string; real: string; stats: Stats };

/**
 * Every entry under `dir`, named relative to where the walk started. Symbolic links are followed
 * while their target stays inside the workspace (the image holds the target's content at the
 * link's path); other links, loops and special files are skipped with a warning.
 */
function walk(
  workspace: string,
  dir: string,
  prefix: readonly string[],
  ancestors: ReadonlySet<string>,
  skipped: (name: string, why: string) => void,
): WalkEntry[] {
  const entries: WalkEntry[] = [];
  for (const base of readdirSync(dir).sort(compareNames)) {
    const name = [...prefix, base].join('/');
    const skip = (why: string): void => skipped(name, why);
    const linkPath = path.join(dir, base);
    let real = linkPath;
    // Not a link: lstat already says what stat would.
    let stats = lstatSync(linkPath);
    if (stats.isSymbolicLink()) {
      const target = realTarget(linkPath);
      if (target === undefined) {
        skip('it is a symbolic link whose target does not exist');
        continue;
      }
      if (!isInside(workspace, target)) {
        skip('it is a symbolic link to a path outside the workspace');
        continue;
      }
      real = target;
      stats = statSync(real);
    }
    if (stats.isDirectory()) {
      if (ancestors.has(real)) {
        skip('it is a symbolic link to a directory that contains it');
        continue;
      }
      entries.push({ kind: 'directory', name });
      const nested = new Set(ancestors).add(real);
      for (const entry of walk(workspace, real, [...prefix, base], nested, skipped)) {
        entries.push(entry);
      }
    } else if (stats.isFile()) {
      entries.push({ kind: 'file', name, real, stats });
    } else {
      skip('it is neither a regular file nor a directory');
    }
  }
  return entries;
}

/** Like fs.promises.realpath (the native one), or undefined when the link leads nowhere. */
function realTarget(link: string): string | undefined {
  try {
    return realpathSync.native(link);
  } catch {
    return undefined;
  }
}

type Location =
  | { kind: 'found'; relative: string; real: string }
  | { kind: 'missing' }
  | { kind: 'outside' };

/** Resolves an input path, refusing one that leaves the workspace, literally or through a link. */
async function locate(workspace: string, input: string): Promise<Location> {
  const absolute = path.resolve(workspace, input);
  if (!isInside(workspace, absolute)) return { kind: 'outside' };
  const relative = toPosix(path.relative(workspace, absolute)) || '.';
  try {
    const real = await fs.realpath(absolute);
    return isInside(workspace, real) ? { kind: 'found', relative, real } : { kind: 'outside' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    // Unreadable rather than absent: let the caller's read report the actual error.
    return { kind: 'found', relative, real: absolute };
  }
}

function projectFile(relative: string, absolutePath: string, stats: Stats): ProjectFile {
  return {
    path: relative,
    absolutePath,
    size: stats.size,
    executable: (stats.mode & 0o100) !== 0,
  };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function posixJoin(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`;
}

/** The start of a migration file, where Atlas reads its directives. */
function fileHead(file: MigrationSource): string {
  const HEAD_BYTES = 4096;
  if (Buffer.isBuffer(file.content)) return file.content.subarray(0, HEAD_BYTES).toString('utf8');
  const chunks: Buffer[] = [];
  let kept = 0;
  file.content.forEachChunk((chunk) => {
    if (kept >= HEAD_BYTES) return;
    const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - kept));
    chunks.push(part);
    kept += part.length;
  });
  return Buffer.concat(chunks).toString('utf8');
}
