// Atlas's part in the migration container, for tests: no Atlas binary can run here, so the loopback
// ECS plays `atlas migrate apply` from the command the task definition gives the container, against
// a simulated database the test owns, with the project files read back from the image the action
// pushed (or given by the test).
//
//   const db = new FakeDatabase({ applied: ['20240101120000'] });
//   const run = runAtlas(['migrate', 'apply', '--env', 'deploy', '--format', '{{ json . }}'],
//     projectFromDirectory('examples'), db);
//   run.lines; // [<one JSON report line>] ; run.exitCode === 0
//
// What it follows from Atlas (ariga/atlas sql/migrate and cmd/atlas/internal/cmdapi, cmdlog):
// - version = the file name before the first `_`, description = the rest without `.sql`; only
//   top-level `*.sql` files count, sorted by name; atlas.sum is checked first (a mismatch prints the
//   checksum banner and `Error: checksum mismatch`);
// - pending files: the revisions table decides (first run: a dirty database needs --baseline or
//   --allow-dirty; later runs: files after the last revision, with the exec-order rules for files
//   added below it); --baseline writes a baseline revision; --to-version stops at that version;
// - errors raised before a report exists (flags, project file, checksum, connection, lock, pending
//   files) are printed only as `Error: <text>`;
// - the report: `--format '{{ json . }}'` prints cmdlog's MigrateApply as Go's encoding/json does
//   (field order, omitempty, HTML escaping, RFC 3339 times with trimmed nanoseconds, the URL as
//   sqlclient.URL with its DSN and password); without it, the default text template. On failure
//   the `Error: ...` line follows (stderr). Exit 1 on every failure, 0 otherwise.
// - --tx-mode: `file` (default) rolls the failed file back, `all` the whole run, `none` keeps the
//   statements that ran and records the file as partially applied (the next run resumes there).
// - --dry-run: the same report with the statements listed; the database does not change.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { FakeTaskDefinition } from './fake-aws/ecs';

// ---------------------------------------------------------------------------------------------
// The simulated database

/** What the simulated database answers for one statement (its error text, e.g. `pq: ...`). */
export interface StatementFault {
  readonly version: string;
  /** 0-based index of the statement in its file (comments and blank lines do not count). */
  readonly statementIndex: number;
  readonly text: string;
}

export interface FakeDatabaseOptions {
  /** Versions already applied (complete revisions in the revisions table). */
  applied?: readonly string[];
  /**
   * The database has tables besides the revisions table (and none of its revisions are seen):
   * `true` means table "users" in the URL's schema (or "public").
   */
  dirty?: boolean | { table?: string; schema?: string };
  /** Default DEFAULT_DATABASE_URL (FakeSecrets' default value). */
  url?: string;
  /** The schema its revisions table lives in. Default `atlas_schema_revisions`. */
  revisionsSchema?: string;
  failStatement?: StatementFault;
  beforeReport?: string;
}

/** The value FakeSecrets gives a secret by default: what DATABASE_URL holds in the container. */
export const DEFAULT_DATABASE_URL = 'postgres://app:fake-password@db.internal:5432/app';
export const DEFAULT_REVISIONS_SCHEMA = 'atlas_schema_revisions';

export interface FakeRevision {
  version: string;
  description: string;
  type: 'baseline' | 'execute';
  /** Statements applied; equal to `total` for a complete revision. */
  applied: number;
  total: number;
  error?: string;
  errorStmt?: string;
}

/** Nanoseconds at 2024-03-10T17:00:00Z, the fake AWS clock's start. */
const CLOCK_START_NS = BigInt(Date.UTC(2024, 2, 10, 17, 0, 0)) * 1_000_000n;
/** What one step of a run costs on the deterministic clock: 1.234567ms. */
const CLOCK_STEP_NS = 1_234_567n;

export class FakeDatabase {
  url: string;
  /** The database's error for one statement; it stays until the test clears it. */
  failStatement: StatementFault | undefined;
  /**
   * An error raised before any report exists (connection refused, a lock held by another
   * session...): printed only as `Error: <text>`; it stays until the test clears it.
   */
  beforeReport: string | undefined;
  dirty: boolean | { table?: string; schema?: string };
  /** The schema of the revisions table `revisions` and `applied` describe. */
  readonly revisionsSchema: string;
  /** Revisions tables by schema, each ordered by version. */
  readonly revisionTables = new Map<string, FakeRevision[]>();
  /** Statements executed for real (not in a dry run), in order, rolled-back ones included. */
  readonly executed: string[] = [];
  /** Migration files applied for real, over all runs. */
  applyCount = 0;
  /** runAtlas calls against this database. */
  runs = 0;
  private clockNs = CLOCK_START_NS;

  constructor(options: FakeDatabaseOptions = {}) {
    this.url = options.url ?? DEFAULT_DATABASE_URL;
    this.dirty = options.dirty ?? false;
    this.revisionsSchema = options.revisionsSchema ?? DEFAULT_REVISIONS_SCHEMA;
    this.failStatement = options.failStatement;
    this.beforeReport = options.beforeReport;
    for (const version of options.applied ?? []) {
      this.writeRevision(this.revisionsSchema, {
        version,
        description: '',
        type: 'execute',
        applied: 0,
        total: 0,
      });
    }
  }

  /** The revisions table (in `revisionsSchema`), ordered by version. */
  get revisions(): readonly FakeRevision[] {
    return this.revisionsIn(this.revisionsSchema);
  }

  /** A schema's revisions table, ordered by version (empty when it has none). */
  revisionsIn(schema: string): readonly FakeRevision[] {
    return this.revisionTables.get(schema) ?? [];
  }

  /** Versions fully applied (baseline included), in order. */
  get applied(): string[] {
    return this.revisions.filter((r) => r.applied === r.total && !r.error).map((r) => r.version);
  }

  /** The last revision's version, as Atlas reports Current. */
  get current(): string | undefined {
    return this.revisions.at(-1)?.version;
  }

  /** Inserts or replaces the revision of that version. */
  writeRevision(schema: string, revision: FakeRevision): void {
    const table = this.revisionTables.get(schema) ?? [];
    this.revisionTables.set(schema, table);
    const at = table.findIndex((r) => r.version === revision.version);
    if (at === -1) table.push(revision);
    else table[at] = revision;
    table.sort((a, b) => compareBytes(a.version, b.version));
  }

  /** Has it tables besides the revisions table in `schema`? */
  hasTablesBesides(schema: string): boolean {
    if (this.dirty !== false) return true;
    return [...this.revisionTables].some(([s, table]) => s !== schema && table.length > 0);
  }

  /** The deterministic clock: every call is one step later. */
  tick(): bigint {
    this.clockNs += CLOCK_STEP_NS;
    return this.clockNs;
  }
}

// ---------------------------------------------------------------------------------------------
// The project

export interface AtlasFile {
  readonly name: string;
  readonly content: string;
}

export interface AtlasProject {
  /** The migration directory's files: its `*.sql` and `atlas.sum` (others are ignored). */
  files: AtlasFile[];
  /** The migration directory's URL as Atlas reports it (`Dir`). Default `file://migrations`. */
  dirUrl?: string;
  /**
   * The project files (atlas.hcl...) by path relative to the working directory. When given,
   * `--config` must name one of them and `--env` must be an env block of it.
   */
  configs?: Record<string, string>;
}

/**
 * A project from files by path relative to the working directory: the migration directory is the
 * one holding atlas.sum (the one the project file's `dir = "file://..."` names, when several do).
 */
export function projectFromFiles(files: ReadonlyMap<string, string>): AtlasProject {
  const sums = [...files.keys()]
    .filter((p) => path.posix.basename(p) === 'atlas.sum')
    .map((p) => path.posix.dirname(p))
    .sort(compareBytes);
  const configs: Record<string, string> = {};
  for (const [name, content] of files) if (name.endsWith('.hcl')) configs[name] = content;
  const named = Object.values(configs)
    .flatMap((text) => [...text.matchAll(/\bdir\s*=\s*"file:\/\/([^"?]+)/g)].map((m) => m[1]!))
    .map((dir) => path.posix.normalize(dir).replace(/\/$/, ''));
  const dir = sums.find((d) => named.includes(d)) ?? sums[0];
  if (dir === undefined) throw new Error('fake atlas: no atlas.sum among the project files');
  const prefix = dir === '.' ? '' : `${dir}/`;
  const dirFiles: AtlasFile[] = [];
  for (const [name, content] of files) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (rest.includes('/')) continue;
    if (rest.endsWith('.sql') || rest === 'atlas.sum') dirFiles.push({ name: rest, content });
  }
  return { files: dirFiles, dirUrl: `file://${dir}`, configs };
}

/** A project from a directory laid out as the image's working directory (e.g. `examples`). */
export function projectFromDirectory(root: string): AtlasProject {
  const files = new Map<string, string>();
  const walk = (rel: string, depth: number): void => {
    for (const name of readdirSync(path.join(root, rel))) {
      if (name === 'node_modules' || name === '.git') continue;
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const stat = statSync(path.join(root, relPath));
      if (stat.isDirectory() && depth < 4) walk(relPath, depth + 1);
      else if (stat.isFile() && /\.(sql|sum|hcl)$/.test(name)) {
        files.set(relPath, readFileSync(path.join(root, relPath), 'utf8'));
      }
    }
  };
  walk('', 0);
  return projectFromFiles(files);
}

/** The migration files as Atlas orders them: top-level `*.sql`, byte-wise by name. */
function migrationFiles(project: AtlasProject): AtlasFile[] {
  return project.files
    .filter((f) => f.name.endsWith('.sql') && !f.name.includes('/'))
    .sort((a, b) => compareBytes(a.name, b.name));
}

export function fileVersion(name: string): string {
  return name.replace(/\.sql$/, '').split('_')[0]!;
}

export function fileDescription(name: string): string {
  const at = name.indexOf('_');
  return at === -1 ? '' : name.slice(at + 1).replace(/\.sql$/, '');
}

/**
 * A file's statements: split on `;` at the end of a line, each kept with its `;`; comment-only and
 * blank lines between statements are not part of any.
 */
export function splitStatements(content: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    const comment = isCommentLine(trimmed);
    if (current.length === 0 && (trimmed === '' || comment)) continue;
    current.push(line);
    if (!comment && trimmed.endsWith(';')) {
      statements.push(current.join('\n').trim());
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest !== '') statements.push(rest);
  return statements;
}

function isCommentLine(trimmed: string): boolean {
  return (
    trimmed.startsWith('--') ||
    trimmed.startsWith('#') ||
    (trimmed.startsWith('/*') && trimmed.endsWith('*/'))
  );
}

// ---------------------------------------------------------------------------------------------
// atlas.sum, as Atlas computes and checks it

/** `atlas:sum ignore` on the first line: the file is hashed by name only and not listed. */
function sumIgnored(content: string): boolean {
  const m = /^[ -~]*?atlas:(\w+)(?: +([ -~]*))?/.exec(content);
  return m !== null && m[1] === 'sum' && m[2] === 'ignore';
}

/** The atlas.sum Atlas would write for these files. */
export function atlasSum(files: readonly AtlasFile[]): string {
  const running = createHash('sha256');
  const entries: { name: string; hash: string }[] = [];
  for (const file of [...files]
    .filter((f) => f.name.endsWith('.sql'))
    .sort((a, b) => compareBytes(a.name, b.name))) {
    running.update(file.name);
    if (sumIgnored(file.content)) continue;
    running.update(file.content);
    entries.push({ name: file.name, hash: running.copy().digest('base64') });
  }
  return `h1:${sumOf(entries)}\n${entries.map((e) => `${e.name} h1:${e.hash}\n`).join('')}`;
}

function sumOf(entries: readonly { name: string; hash: string }[]): string {
  const total = createHash('sha256');
  for (const e of entries) {
    total.update(e.name);
    total.update(e.hash);
  }
  return total.digest('base64');
}

/** Atlas's migrate.Validate: undefined when the directory matches its atlas.sum. */
function checksumError(project: AtlasProject): string | undefined {
  const sum = project.files.find((f) => f.name === 'atlas.sum');
  const files = migrationFiles(project);
  if (!sum) return files.length > 0 ? 'checksum file not found' : undefined;
  const lines = sum.content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const total = (lines.shift() ?? '').replace(/^h1:/, '');
  const listed: { name: string; hash: string }[] = [];
  for (const line of lines) {
    const at = line.indexOf('h1:');
    if (at === -1) return 'checksum file format invalid';
    listed.push({ name: line.slice(0, at).trim(), hash: line.slice(at + 3) });
  }
  if (total !== sumOf(listed)) return 'checksum mismatch';
  const computed = atlasSum(files).split('\n')[0]!.slice(3);
  return computed === total ? undefined : 'checksum mismatch';
}

// ---------------------------------------------------------------------------------------------
// The run

export interface AtlasRunOptions {
  /**
   * Print the `Error: ...` line after a report printed with `--format` (default true, as the
   * project's contract describes). Atlas's OSS source sets cobra's SilenceErrors once a custom
   * format printed the report, so a real binary may leave it out: false plays that.
   */
  errorLineAfterReport?: boolean;
}

export interface AtlasRun {
  /** What the container logs: stdout's lines, then stderr's. */
  readonly lines: string[];
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exitCode: number;
  /** The report as printed (parsed back from the JSON, or as it would be), when one was. */
  readonly report?: Record<string, unknown>;
  /** `--var` values given. */
  readonly vars: Record<string, string>;
}

interface Flags {
  env?: string;
  lockTimeout?: string;
  config: string;
  format?: string;
  dryRun: boolean;
  baseline?: string;
  allowDirty: boolean;
  execOrder: 'linear' | 'linear-skip' | 'non-linear';
  txMode: 'file' | 'all' | 'none';
  revisionsSchema: string;
  toVersion?: string;
  url?: string;
  dir?: string;
  vars: Record<string, string>;
  count?: number;
}

/** An error that ends the run: printed as `Error: <message>` after `before` (stderr lines). */
class AtlasError extends Error {
  constructor(
    message: string,
    readonly before: readonly string[] = [],
  ) {
    super(message);
  }
}

const VALUE_FLAGS = new Set([
  'env',
  'lock-timeout',
  'config',
  'format',
  'baseline',
  'exec-order',
  'tx-mode',
  'revisions-schema',
  'to-version',
  'var',
  'url',
  'u',
  'dir',
  'dir-format',
]);
const BOOL_FLAGS = new Set(['dry-run', 'allow-dirty']);

/**
 * Plays `atlas migrate apply <args>` (args as the container's command gives them, after the
 * entrypoint) on `db` with the project's files.
 */
export function runAtlas(
  args: readonly string[],
  project: AtlasProject,
  db: FakeDatabase,
  options: AtlasRunOptions = {},
): AtlasRun {
  db.runs++;
  let flags: Flags | undefined;
  try {
    flags = parseArgs(args);
    return execute(flags, project, db, options);
  } catch (error) {
    if (!(error instanceof AtlasError)) throw error;
    return finish([], [...error.before, ...errorLines(error.message)], 1, undefined, flags);
  }
}

function finish(
  stdout: string[],
  stderr: string[],
  exitCode: number,
  report: Record<string, unknown> | undefined,
  flags: Flags | undefined,
): AtlasRun {
  return {
    lines: [...stdout, ...stderr],
    stdout,
    stderr,
    exitCode,
    ...(report ? { report } : {}),
    vars: flags?.vars ?? {},
  };
}

function errorLines(message: string): string[] {
  return `Error: ${message.replace(/\n+$/, '')}`.split('\n');
}

function parseArgs(input: readonly string[]): Flags {
  const args = [...input];
  if (args[0] !== undefined && /(^|\/)atlas$/.test(args[0])) args.shift();
  if (args[0] !== 'migrate') {
    throw new AtlasError(
      args[0] === undefined ? 'fake atlas: no command' : `unknown command "${args[0]}" for "atlas"`,
    );
  }
  if (args[1] !== 'apply') {
    throw new AtlasError(`unknown command "${String(args[1])}" for "atlas migrate"`);
  }
  const flags: Flags = {
    config: 'file://atlas.hcl',
    dryRun: false,
    allowDirty: false,
    execOrder: 'linear',
    txMode: 'file',
    revisionsSchema: DEFAULT_REVISIONS_SCHEMA,
    vars: {},
  };
  const positional: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const dashes = arg.startsWith('--') ? 2 : 1;
    const eq = arg.indexOf('=');
    const name = arg.slice(dashes, eq === -1 ? undefined : eq);
    const shown = `${'-'.repeat(dashes)}${name}`;
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (BOOL_FLAGS.has(name)) {
      const on = value === undefined || value === 'true';
      if (value !== undefined && value !== 'true' && value !== 'false') {
        throw new AtlasError(
          `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`,
        );
      }
      if (name === 'dry-run') flags.dryRun = on;
      else flags.allowDirty = on;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new AtlasError(`unknown flag: ${shown}`);
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new AtlasError(`flag needs an argument: ${shown}`);
    }
    setFlag(flags, name, shown, value);
  }
  if (positional.length > 1) {
    throw new AtlasError(`accepts at most 1 arg(s), received ${positional.length}`);
  }
  if (positional[0] !== undefined) {
    const n = Number(positional[0]);
    if (!/^-?\d+$/.test(positional[0])) {
      throw new AtlasError(
        `invalid amount argument ${goQuote(positional[0])} (invalid syntax). Omit the argument or pass a valid integer instead`,
      );
    }
    if (n < 1) throw new AtlasError(`cannot apply '${n}' migration files`);
    flags.count = n;
  }
  return flags;
}

function setFlag(flags: Flags, name: string, shown: string, value: string): void {
  const invalid = (why: string) =>
    new AtlasError(`invalid argument ${goQuote(value)} for "${shown}" flag: ${why}`);
  switch (name) {
    case 'env':
      flags.env = value;
      return;
    case 'lock-timeout':
      if (!/^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$/.test(value)) {
        throw invalid(`time: invalid duration ${goQuote(value)}`);
      }
      flags.lockTimeout = value;
      return;
    case 'config':
      flags.config = value;
      return;
    case 'format':
      flags.format = value;
      return;
    case 'baseline':
      flags.baseline = value;
      return;
    case 'exec-order':
      if (value !== 'linear' && value !== 'linear-skip' && value !== 'non-linear') {
        throw invalid('must be one of "linear", "linear-skip" or "non-linear"');
      }
      flags.execOrder = value;
      return;
    case 'tx-mode':
      if (value !== 'file' && value !== 'all' && value !== 'none') {
        throw new AtlasError(`unknown tx-mode ${goQuote(value)}`);
      }
      flags.txMode = value;
      return;
    case 'revisions-schema':
      flags.revisionsSchema = value;
      return;
    case 'to-version':
      flags.toVersion = value;
      return;
    case 'var': {
      const eq = value.indexOf('=');
      if (eq <= 0) throw invalid(`variables must be format as key=value, got: ${goQuote(value)}`);
      flags.vars[value.slice(0, eq)] = value.slice(eq + 1);
      return;
    }
    case 'url':
    case 'u':
      flags.url = value;
      return;
    case 'dir':
      flags.dir = value;
      return;
    default:
      return;
  }
}

interface PlannedFile {
  readonly file: AtlasFile;
  readonly version: string;
  readonly description: string;
  readonly statements: string[];
}

interface AppliedFileReport {
  file: PlannedFile;
  start: bigint;
  end: bigint;
  skipped: number;
  applied: string[];
  error?: { stmt: string; text: string };
}

interface ApplyReport {
  driver: string;
  url: Record<string, unknown>;
  dir: string;
  pending: PlannedFile[];
  applied: AppliedFileReport[];
  current: string;
  target: string;
  start: bigint;
  end: bigint;
  error: string;
}

function execute(
  flags: Flags,
  project: AtlasProject,
  db: FakeDatabase,
  options: AtlasRunOptions,
): AtlasRun {
  const json = jsonFormat(flags.format);
  checkConfig(flags, project);
  if (flags.baseline !== undefined && flags.allowDirty) {
    throw new AtlasError('sql/migrate: baseline and allow-dirty are mutually exclusive');
  }
  const invalidDir = checksumError(project);
  if (invalidDir !== undefined) {
    throw new AtlasError(invalidDir, [
      'You have a checksum error in your migration directory.',
      "Please check your migration files and run 'atlas migrate hash' to re-hash the contents",
      '',
    ]);
  }
  if (db.beforeReport !== undefined) throw new AtlasError(db.beforeReport);

  const urlText = flags.url ?? db.url;
  const { driver, url } = sqlclientUrl(urlText);
  const report: ApplyReport = {
    driver,
    url,
    dir: flags.dir ?? project.dirUrl ?? 'file://migrations',
    pending: [],
    applied: [],
    current: '',
    target: '',
    start: db.tick(),
    end: 0n,
    error: '',
  };
  const migrations = migrationFiles(project).map(
    (file): PlannedFile => ({
      file,
      version: fileVersion(file.name),
      description: fileDescription(file.name),
      statements: splitStatements(file.content),
    }),
  );
  // Revisions the run sees: those in its revisions schema (a baseline written in a dry run only
  // lives for the run).
  const revisions = [...db.revisionsIn(flags.revisionsSchema)];
  let pending = pendingFiles(flags, db, migrations, revisions, url);
  if (pending.length > 0 && flags.toVersion !== undefined) {
    const at = lastIndex(pending, (f) => f.version === flags.toVersion);
    if (at !== -1) pending = pending.slice(0, at + 1);
    else if (revisions.some((r) => r.version === flags.toVersion)) pending = [];
    else {
      throw new AtlasError(
        `sql/migrate: migration with version ${goQuote(flags.toVersion)} not found`,
      );
    }
  } else if (pending.length === 0 && flags.toVersion !== undefined) {
    if (!migrations.some((f) => f.version === flags.toVersion)) {
      throw new AtlasError(
        `sql/migrate: migration with version ${goQuote(flags.toVersion)} not found`,
      );
    }
  }
  if (flags.count !== undefined) pending = pending.slice(0, flags.count);
  report.current = revisions.at(-1)?.version ?? '';
  if (pending.length > 0) {
    report.pending = pending;
    report.target = pending.at(-1)!.version;
    applyFiles(flags, db, pending, revisions, report);
  } else {
    report.end = db.tick();
  }
  const ok = report.error === '';
  const printed = json ? [encodeReport(report)] : renderText(report).replace(/\n$/, '').split('\n');
  const parsed = JSON.parse(encodeReport(report)) as Record<string, unknown>;
  const errorAfter = !ok && (!json || options.errorLineAfterReport !== false);
  return finish(printed, errorAfter ? errorLines(report.error) : [], ok ? 0 : 1, parsed, flags);
}

function jsonFormat(format: string | undefined): boolean {
  if (format === undefined) return false;
  if (/^\{\{-?\s*json\s+\.\s*-?\}\}$/.test(format.trim())) return true;
  throw new Error(`fake atlas: --format ${JSON.stringify(format)} is not supported`);
}

function checkConfig(flags: Flags, project: AtlasProject): void {
  let configPath: string;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(flags.config);
  if (!scheme) {
    throw new AtlasError(`missing scheme for config file. Did you mean file://${flags.config}?`);
  }
  if (scheme[1] !== 'file') {
    throw new AtlasError(`unsupported config file driver ${goQuote(scheme[1]!)}`);
  }
  configPath = path.posix.normalize(scheme[2]!.replace(/\?.*$/, ''));
  if (configPath.startsWith('./')) configPath = configPath.slice(2);
  if (!project.configs) return;
  const text = project.configs[configPath];
  if (text === undefined) {
    throw new AtlasError(
      `config file ${goQuote(configPath)} was not found: stat ${configPath}: no such file or directory`,
    );
  }
  if (flags.env === undefined) return;
  const named = new RegExp(`\\benv\\s+"${escapeRegExp(flags.env)}"\\s*\\{`).test(text);
  const unnamed = /\benv\s*\{/.test(text);
  if (!named && !unnamed) {
    throw new AtlasError(`env ${goQuote(flags.env)} not defined in project file`);
  }
}

/** Executor.Pending, for the simulated database. Writes the baseline revision (not in a dry run). */
function pendingFiles(
  flags: Flags,
  db: FakeDatabase,
  migrations: PlannedFile[],
  revisions: FakeRevision[],
  url: Record<string, unknown>,
): PlannedFile[] {
  if (revisions.length === 0) {
    if (
      db.hasTablesBesides(flags.revisionsSchema) &&
      !flags.allowDirty &&
      flags.baseline === undefined
    ) {
      const spec = typeof db.dirty === 'object' ? db.dirty : {};
      const schema = spec.schema ?? (String(url.Schema) || 'public');
      throw new AtlasError(
        `sql/migrate: connected database is not clean: found table ${goQuote(spec.table ?? 'users')} in schema ${goQuote(schema)}. baseline version or allow-dirty is required`,
      );
    }
    if (flags.baseline === undefined) return migrations;
    const at = lastIndex(migrations, (f) => f.version === flags.baseline);
    if (at === -1) throw new AtlasError(`baseline version ${goQuote(flags.baseline)} not found`);
    const base = migrations[at]!;
    const revision: FakeRevision = {
      version: base.version,
      description: base.description,
      type: 'baseline',
      applied: 0,
      total: 0,
    };
    revisions.push(revision);
    if (!flags.dryRun) db.writeRevision(flags.revisionsSchema, revision);
    return migrations.slice(at + 1);
  }
  if (migrations.length === 0) return [];
  const last = revisions.at(-1)!;
  const partially = last.applied !== last.total;
  let at = lastIndex(migrations, (f) =>
    partially ? f.version === last.version : compareBytes(f.version, last.version) <= 0,
  );
  if (at === -1) {
    if (partially) {
      throw new AtlasError(
        `sql/migrate: missing migration: revision ${goQuote(`${last.version}_${last.description}.sql`)} is partially applied but migration file was not found`,
      );
    }
    return migrations;
  }
  if (!partially) at++;
  let pending = migrations.slice(at);
  const first = migrations
    .slice(0, at)
    .findIndex((f) => compareBytes(f.version, revisions[0]!.version) >= 0);
  if (first !== -1 && first < at && flags.execOrder !== 'linear-skip') {
    const known = new Set(revisions.map((r) => r.version));
    const skipped = migrations.slice(first, at).filter((f) => !known.has(f.version));
    if (skipped.length > 0 && flags.execOrder === 'non-linear') pending = [...skipped, ...pending];
    else if (skipped.length > 0) {
      const names = skipped.map((f) => f.file.name);
      const what = names.length === 1 ? `file ${names[0]!} was` : `files ${names.join(', ')} were`;
      throw new AtlasError(
        `migration ${what} added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error`,
      );
    }
  }
  return pending;
}

function applyFiles(
  flags: Flags,
  db: FakeDatabase,
  pending: PlannedFile[],
  revisions: FakeRevision[],
  report: ApplyReport,
): void {
  const live = !flags.dryRun;
  const schema = flags.revisionsSchema;
  const before = db.revisionsIn(schema).map((r) => ({ ...r }));
  const appliedBefore = db.applyCount;
  for (const planned of pending) {
    const existing = revisions.find((r) => r.version === planned.version);
    const skip = existing && existing.applied < existing.total ? existing.applied : 0;
    const entry: AppliedFileReport = {
      file: planned,
      start: db.tick(),
      end: 0n,
      skipped: skip,
      applied: [],
    };
    report.applied.push(entry);
    let done = skip;
    let failure: string | undefined;
    for (let i = skip; i < planned.statements.length; i++) {
      const stmt = planned.statements[i]!;
      entry.applied.push(stmt);
      db.tick();
      const fault = db.failStatement;
      if (live && fault && fault.version === planned.version && fault.statementIndex === i) {
        entry.end = db.tick();
        report.end = entry.end;
        entry.error = { stmt, text: fault.text };
        failure = `sql/migrate: executing statement ${goQuote(stmt)} from version ${goQuote(planned.version)}: ${fault.text}`;
        break;
      }
      if (live) db.executed.push(stmt);
      done++;
    }
    if (failure !== undefined) {
      report.error = failure;
      if (!live) return;
      if (flags.txMode === 'all') {
        db.revisionTables.set(schema, before);
        db.applyCount = appliedBefore;
      } else if (flags.txMode === 'none') {
        const stmt = entry.error!.stmt;
        db.writeRevision(schema, {
          version: planned.version,
          description: planned.description,
          type: 'execute',
          applied: done,
          total: planned.statements.length,
          error: entry.error!.text,
          errorStmt: stmt,
        });
      }
      return;
    }
    entry.end = db.tick();
    if (live) {
      db.writeRevision(schema, {
        version: planned.version,
        description: planned.description,
        type: 'execute',
        applied: planned.statements.length,
        total: planned.statements.length,
      });
      db.applyCount++;
    }
  }
  report.end = db.tick();
}

// ---------------------------------------------------------------------------------------------
// The report

/** cmdlog.MigrateApply's MarshalJSON, byte for byte as Go's encoding/json writes it. */
function encodeReport(r: ApplyReport): string {
  const v: Record<string, unknown> = {};
  if (r.driver) v.Driver = r.driver;
  v.URL = r.url;
  if (r.dir) v.Dir = r.dir;
  if (r.pending.length > 0) {
    v.Pending = r.pending.map((f) => ({
      Name: f.file.name,
      Version: f.version,
      ...(f.description ? { Description: f.description } : {}),
    }));
  }
  if (r.applied.length > 0) {
    v.Applied = r.applied.map((f) => ({
      Name: f.file.file.name,
      Version: f.file.version,
      ...(f.file.description ? { Description: f.file.description } : {}),
      Start: rfc3339Nano(f.start),
      End: rfc3339Nano(f.end),
      ...(f.skipped ? { Skipped: f.skipped } : {}),
      ...(f.applied.length > 0 ? { Applied: f.applied } : {}),
      ...(f.error
        ? {
            Error: {
              ...(f.error.stmt ? { Stmt: f.error.stmt } : {}),
              ...(f.error.text ? { Text: f.error.text } : {}),
            },
          }
        : {}),
    }));
  }
  if (r.current) v.Current = r.current;
  if (r.target) v.Target = r.target;
  v.Start = rfc3339Nano(r.start);
  v.End = rfc3339Nano(r.end);
  if (r.error) v.Error = r.error;
  else if (r.applied.length === 0) v.Message = 'No migration files to execute';
  else {
    v.Message = `Migrated to version ${r.target} from ${r.current} (${r.pending.length} migrations in total)`;
  }
  return goJson(v);
}

/** cmdlog's MigrateApplyTemplate (colours off: the container has no terminal). */
function renderText(r: ApplyReport): string {
  if (r.pending.length === 0) return 'No migration files to execute\n';
  let out = `Migrating to version ${r.target}${r.current ? ` from ${r.current}` : ''} (${r.pending.length} migrations in total):\n`;
  if (r.applied.length > 0) {
    for (const f of r.applied) {
      out += '\n';
      out += `  -- migrating version ${f.file.version}\n`;
      for (const stmt of f.applied) out += `    -> ${stmt.replace(/\n/g, '\n       ')}\n`;
      if (f.error) out += `    ${f.error.text}\n`;
      else out += `  -- ok (${goDuration(f.end - f.start)})\n`;
    }
  } else {
    out += '\n';
    if (r.error) out += `    ${r.error}\n`;
  }
  out += '\n';
  out += '  -------------------------\n';
  out += `  ${summary(r, '  ')}\n`;
  return out;
}

function summary(r: ApplyReport, indent: string): string {
  let passedF = 0;
  let failedF = 0;
  let passedS = 0;
  let failedS = 0;
  for (const f of r.applied) {
    passedS += f.applied.length;
    if (f.error) {
      failedF++;
      passedS--;
      failedS++;
    } else passedF++;
  }
  const plural = (n: number) => (n > 1 ? 's' : '');
  const lines = [goDuration(r.end - r.start)];
  if (passedF > 0 && failedF > 0) {
    lines.push(`${passedF} migration${plural(passedF)} ok, ${failedF} with errors`);
  } else if (passedF > 0) lines.push(`${passedF} migration${plural(passedF)}`);
  else if (failedF > 0) lines.push(`${failedF} migration${plural(failedF)} with errors`);
  if (passedS > 0 && failedS > 0) {
    lines.push(`${passedS} sql statement${plural(passedS)} ok, ${failedS} with errors`);
  } else if (passedS > 0) lines.push(`${passedS} sql statement${plural(passedS)}`);
  else if (failedS > 0) lines.push(`${failedS} sql statement${plural(failedS)} with errors`);
  return lines.map((l) => `-- ${l}`).join(`\n${indent}`);
}

/**
 * The database URL as Atlas's sqlclient.URL marshals: the embedded url.URL's fields (User is `{}`
 * when there is userinfo: its fields are unexported), then DSN, with the password, and Schema.
 */
export function sqlclientUrl(raw: string): { driver: string; url: Record<string, unknown> } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`fake atlas: cannot parse the database URL ${raw}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const query = u.search.replace(/^\?/, '');
  const driver =
    scheme === 'postgresql'
      ? 'postgres'
      : scheme === 'maria' || scheme === 'mariadb'
        ? 'mysql'
        : scheme === 'sqlite' || scheme === 'sqlite3'
          ? 'sqlite3'
          : scheme;
  let dsn = raw;
  let schema = '';
  if (driver === 'postgres') schema = new URLSearchParams(query).get('search_path') ?? '';
  else if (driver === 'mysql') {
    schema = decodeURIComponent(u.pathname.replace(/^\//, ''));
    const user = u.username || u.password ? `${u.username}:${u.password}@` : '';
    dsn = `${user}tcp(${u.host})/${schema}?${query ? `${query}&` : ''}parseTime=true`;
  } else if (driver === 'sqlite3') {
    schema = 'main';
    dsn = raw.replace(/^[a-z0-9]+:\/\//i, '');
  }
  return {
    driver,
    url: {
      Scheme: scheme,
      Opaque: '',
      User: u.username || u.password ? {} : null,
      Host: u.host,
      Path: safeDecode(u.pathname),
      RawPath: '',
      OmitHost: false,
      ForceQuery: query === '' && /\?(#|$)/.test(raw),
      RawQuery: query,
      Fragment: safeDecode(u.hash.replace(/^#/, '')),
      RawFragment: '',
      DSN: dsn,
      Schema: schema,
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Go's formatting

/** encoding/json's output: JSON with <, >, & and U+2028/U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** fmt's %q for a string (strconv.Quote, for the characters migration files hold). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** time.Time's MarshalJSON (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC. */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  return `${base}${fraction ? `.${fraction}` : ''}Z`;
}

/** time.Duration's String(). */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const negative = ns < 0n;
  let n = negative ? -ns : ns;
  const sign = negative ? '-' : '';
  const frac = (value: bigint, digits: number): string => {
    const unit = 10n ** BigInt(digits);
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (n < 1_000n) return `${sign}${n}ns`;
  if (n < 1_000_000n) return `${sign}${frac(n, 3)}µs`;
  if (n < 1_000_000_000n) return `${sign}${frac(n, 6)}ms`;
  let out = '';
  const hours = n / 3_600_000_000_000n;
  n %= 3_600_000_000_000n;
  const minutes = n / 60_000_000_000n;
  n %= 60_000_000_000n;
  if (hours > 0n) out += `${hours}h`;
  if (hours > 0n || minutes > 0n) out += `${minutes}m`;
  return `${sign}${out}${frac(n, 9)}s`;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function lastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Project files from the pushed image

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

interface ParsedImage {
  host: string;
  repository: string;
  reference: string;
}

/** `host[:port]/repo[:tag|@digest]` on loopback (localhost, 127.0.0.0/8, [::1]), else undefined. */
export function loopbackImage(image: string): ParsedImage | undefined {
  const slash = image.indexOf('/');
  if (slash === -1) return undefined;
  const host = image.slice(0, slash);
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  if (hostname !== 'localhost' && hostname !== '[::1]' && !/^127\.\d+\.\d+\.\d+$/.test(hostname!)) {
    return undefined;
  }
  const rest = image.slice(slash + 1);
  const at = rest.indexOf('@');
  if (at !== -1) return { host, repository: rest.slice(0, at), reference: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { host, repository: rest.slice(0, colon), reference: rest.slice(colon + 1) };
  }
  return { host, repository: rest, reference: 'latest' };
}

/**
 * Reads the migration project back from images on loopback registries: the manifest (an index's
 * entry for the task's platform), the config's WorkingDir, and the LAST layer (the action's own),
 * gunzipped and untarred; the project is the directory holding atlas.sum, relative to WorkingDir.
 * Cached by manifest digest. ECS handlers are synchronous, so FakeAws awaits `prefetch` while it
 * answers RegisterTaskDefinition, and scenarios read the cache with `get`.
 */
export class ImageProjects {
  /** Prefetch on every RegisterTaskDefinition, even when no scenario reads images. */
  always = false;
  /** Loading errors by image reference (the scenario reports them when it needs the image). */
  readonly errors = new Map<string, string>();
  private readonly byDigest = new Map<string, AtlasProject>();
  private readonly byImage = new Map<string, string>();
  private readonly credentials = new Map<string, { username: string; password: string }>();
  private readonly given = new Map<string, AtlasProject>();

  /** Basic-auth credentials for a registry host (`127.0.0.1:5000`). */
  setCredentials(host: string, username: string, password: string): void {
    this.credentials.set(host, { username, password });
  }

  /** Uses `project` for `image` without reading any registry. */
  set(image: string, project: AtlasProject): void {
    this.given.set(image, project);
  }

  get(image: string): AtlasProject | undefined {
    const given = this.given.get(image);
    if (given) return given;
    const digest = this.byImage.get(image);
    return digest ? this.byDigest.get(digest) : undefined;
  }

  /** Loads every loopback image of a task definition (RegisterTaskDefinition's body). */
  async prefetch(taskDefinition: Record<string, unknown>): Promise<void> {
    const containers = Array.isArray(taskDefinition.containerDefinitions)
      ? (taskDefinition.containerDefinitions as Record<string, unknown>[])
      : [];
    const platform = (taskDefinition.runtimePlatform as Record<string, unknown> | undefined)
      ?.cpuArchitecture;
    const architecture = platform === 'ARM64' ? 'arm64' : 'amd64';
    await Promise.all(
      containers
        .map((c) => c.image)
        .filter((image): image is string => typeof image === 'string')
        .map((image) => this.load(image, architecture).catch(() => undefined)),
    );
  }

  /** Loads one image's project (errors are also kept in `errors`). */
  async load(image: string, architecture = 'amd64'): Promise<AtlasProject | undefined> {
    const given = this.given.get(image);
    if (given) return given;
    const ref = loopbackImage(image);
    if (!ref) return undefined;
    const known = this.byDigest.get(this.byImage.get(image) ?? '');
    if (known && ref.reference.startsWith('sha256:')) return known;
    try {
      const project = await this.fetchProject(ref, architecture, image);
      this.errors.delete(image);
      return project;
    } catch (error) {
      this.errors.set(image, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private async fetchProject(
    ref: ParsedImage,
    architecture: string,
    image: string,
  ): Promise<AtlasProject> {
    const base = `http://${ref.host}/v2/${ref.repository}`;
    let manifest = await this.get2(`${base}/manifests/${ref.reference}`, ref.host, MANIFEST_ACCEPT);
    let digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    let parsed = JSON.parse(manifest.toString('utf8')) as {
      manifests?: { digest: string; platform?: { architecture?: string; os?: string } }[];
      config?: { digest: string };
      layers?: { digest: string; mediaType?: string }[];
    };
    if (parsed.manifests) {
      const entry =
        parsed.manifests.find(
          (m) => m.platform?.architecture === architecture && m.platform.os === 'linux',
        ) ?? parsed.manifests[0];
      if (!entry) throw new Error(`fake atlas: ${image}: empty index`);
      manifest = await this.get2(`${base}/manifests/${entry.digest}`, ref.host, MANIFEST_ACCEPT);
      digest = entry.digest;
      parsed = JSON.parse(manifest.toString('utf8')) as typeof parsed;
    }
    this.byImage.set(image, digest);
    const cached = this.byDigest.get(digest);
    if (cached) return cached;
    const layer = parsed.layers?.at(-1);
    if (!parsed.config || !layer) throw new Error(`fake atlas: ${image}: no config or no layer`);
    const config = JSON.parse(
      (await this.get2(`${base}/blobs/${parsed.config.digest}`, ref.host)).toString('utf8'),
    ) as { config?: { WorkingDir?: string } };
    const workingDir = (config.config?.WorkingDir ?? '/').replace(/^\/+|\/+$/g, '');
    const bytes = await this.get2(`${base}/blobs/${layer.digest}`, ref.host);
    const files = await untar(layer.mediaType?.endsWith('tar') ? bytes : gunzipSync(bytes));
    const relative = new Map<string, string>();
    const prefix = workingDir === '' ? '' : `${workingDir}/`;
    for (const [name, content] of files) {
      if (name.startsWith(prefix)) relative.set(name.slice(prefix.length), content);
    }
    const project = projectFromFiles(relative);
    this.byDigest.set(digest, project);
    return project;
  }

  private async get2(url: string, host: string, accept?: string): Promise<Buffer> {
    const headers: Record<string, string> = accept ? { accept } : {};
    const credentials = this.credentials.get(host);
    if (credentials) {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`fake atlas: GET ${url}: ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }
}

async function untar(bytes: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        const name = entry.header.name.replace(/^(\.\/|\/)+/, '');
        files.set(name, Buffer.concat(chunks).toString('utf8'));
      }
    }
  })();
  await pipeline(Readable.from([bytes]), extract);
  await reading;
  return files;
}

// ---------------------------------------------------------------------------------------------
// The migration container, for the scenarios

/** The container's command from the registered task definition (the image's entrypoint is atlas). */
export function migrationCommand(td: FakeTaskDefinition, container: string): string[] {
  const definitions = (td.body.containerDefinitions as Record<string, unknown>[] | undefined) ?? [];
  const definition = definitions.find((c) => c.name === container);
  if (!definition) throw new Error(`fake atlas: no container ${container} in ${td.arn}`);
  const entryPoint = Array.isArray(definition.entryPoint)
    ? (definition.entryPoint as string[])
    : [];
  const command = Array.isArray(definition.command) ? (definition.command as string[]) : [];
  return [...entryPoint, ...command];
}

/** The container's image, from the registered task definition. */
export function migrationImage(td: FakeTaskDefinition, container: string): string {
  const definitions = (td.body.containerDefinitions as Record<string, unknown>[] | undefined) ?? [];
  return String(definitions.find((c) => c.name === container)?.image ?? '');
}

export interface MigrationContainerOptions extends AtlasRunOptions {
  /**
   * The project when the image cannot be read (not on a loopback registry, or a fixture task
   * definition nobody registered): a project, or a directory laid out as the working directory.
   */
  project?: AtlasProject | string;
}

/** What a migration container of `td` prints and exits with, run on `db`. */
export function runMigrationContainer(
  td: FakeTaskDefinition,
  container: string,
  db: FakeDatabase,
  images: ImageProjects | undefined,
  options: MigrationContainerOptions,
): AtlasRun {
  const image = migrationImage(td, container);
  let project = images?.get(image);
  if (!project && options.project !== undefined) {
    project =
      typeof options.project === 'string' ? projectFromDirectory(options.project) : options.project;
  }
  if (!project) {
    const why = images?.errors.get(image) ?? 'it was not read (not on a loopback registry?)';
    throw new Error(
      `fake atlas: no project files for image ${image}: ${why}; give the scenario a project`,
    );
  }
  return runAtlas(migrationCommand(td, container), project, db, options);
}
