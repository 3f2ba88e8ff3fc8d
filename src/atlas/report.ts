// Atlas's `migrate apply --format '{{ json . }}'` report, read from a container's log lines. Pure:
// lines in, typed reports out.
//
// Atlas (cmd/atlas/internal/cmdlog, `MigrateApply`) prints one JSON object per target database:
//   {"Driver":"postgres","URL":{…},"Dir":"file://migrations","Pending":[{"Name","Version",
//    "Description"}],"Applied":[{"Name","Version","Description","Start","End","Skipped",
//    "Applied":[statements],"Error":{"Stmt","Text"}}],"Current":"…","Target":"…","Start":"…",
//    "End":"…","Error":"…","Message":"…"}
// Every field is `omitempty` except Start and End, which may hold Go's zero time
// (`0001-01-01T00:00:00Z`). `Message` is derived by Atlas: absent when `Error` is set, "No migration
// files to execute" when nothing was applied, else "Migrated to version …", even when the last
// applied file failed (a file's own `Error` is the only sign of that). With `--dry-run` the report
// has the same shape, so whether anything ran is not knowable from it: the caller knows the mode.
//
// Nothing this module returns carries the `URL` object: it holds the connection's user and, in
// Atlas releases before late 2022, the whole DSN with its password. Every string kept from a
// report also goes through redactPasswordsInText, because Atlas quotes URLs in its errors and Go's
// encoder escapes `&` as `\u0026`, which hides a `…&password=…` query from a scan of the raw line.
import { redactPasswordsInText } from '../migrations/url-password';

/** A migration file as Atlas names it. */
export interface AtlasFile {
  readonly name: string;
  readonly version: string;
  readonly description: string;
}

/** The statement of a file that failed, and the database's error. */
export interface AtlasStatementError {
  readonly statement: string;
  readonly text: string;
}

/** A file Atlas started applying (or, with `--dry-run`, listed). */
export interface AtlasAppliedFile extends AtlasFile {
  /** Atlas's RFC 3339 timestamp as written (nanoseconds kept); absent for a zero or missing time. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** End minus start, in (fractional) milliseconds; absent when either time is unknown. */
  readonly durationMs?: number;
  /**
   * The statements as Atlas lists them, each whole (a statement may span lines). When the file
   * failed, Atlas's list ends with the statement that failed.
   */
  readonly statements: readonly string[];
  /** Statements skipped because an earlier attempt had applied them (a partly applied file). */
  readonly skipped: number;
  /** Set when a statement of this file failed: the file is then not applied. */
  readonly error?: AtlasStatementError;
}

/** One target database's report, normalised, with every password removed. */
export interface AtlasReport {
  readonly driver?: string;
  /** `scheme://host[:port]/path` of the database: no user, password or query (see safeUrl). */
  readonly url?: string;
  readonly dir?: string;
  /** The database's version before the run; absent on a fresh database. */
  readonly current?: string;
  readonly target?: string;
  readonly pending: readonly AtlasFile[];
  readonly applied: readonly AtlasAppliedFile[];
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  /** An error not caused by a statement (one raised before or after the files ran). */
  readonly error?: string;
  readonly message?: string;
}

/** Longest report rebuilt from consecutive log lines (see parseAtlasReports). */
export const MAX_REPORT_CHARS = 8 * 1024 * 1024;
/** Most log lines one report may span. */
export const MAX_REPORT_LINES = 1024;

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
/** An RFC 3339 timestamp that a log router may prepend, as in src/deploy/atlas-log.ts. */
const TIMESTAMP_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?\s+/;
/**
 * How a report line begins: Go writes the fields in declaration order, Start is never omitted, so
 * the first key is one of these. Only such a line is worth joining with the lines after it.
 */
const REPORT_START = /^\{"(?:Driver|URL|Dir|Pending|Applied|Current|Target|Start)":/;

/** Fields that say what happened; a report has at least one. */
const OUTCOME_KEYS = ['Pending', 'Applied', 'Current', 'Target', 'Message', 'Error'] as const;
/** Fields that every `migrate apply` report has (Start always; Driver and Dir in practice). */
const CONTEXT_KEYS = ['Start', 'Dir', 'Driver'] as const;
const STRING_KEYS = ['Driver', 'Dir', 'Current', 'Target', 'Start', 'End', 'Error', 'Message'];

type Json = Record<string, unknown>;

/**
 * Every `migrate apply` JSON report in `lines` (log lines, as logLines gives them), in order.
 *
 * A line is a report when, after optional colour codes and a log router's timestamp, it is one
 * JSON object that:
 * - has at least one of Pending, Applied, Current, Target, Message or Error, and at least one of
 *   Start, Dir or Driver (so `migrate status` JSON, which nests these under "Env", is not one);
 * - gives each field Atlas writes the type Atlas gives it (strings, arrays of file objects, a
 *   statement-error object); `null` counts as absent.
 * Other lines, malformed JSON included, are ignored. A line that starts like a report but does not
 * parse is joined with the lines after it until the whole parses (a log pipeline may split a long
 * line into several events: Docker hands lines over 16 KiB to its log drivers in parts), up to
 * MAX_REPORT_LINES lines and
 * MAX_REPORT_CHARS characters, and not past a line that starts another report; if it never does,
 * it is ignored and reading resumes after it.
 */
export function parseAtlasReports(lines: readonly string[]): AtlasReport[] {
  const reports: AtlasReport[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = stripPrefix(lines[i]!);
    if (!text.startsWith('{')) continue;
    const whole = text.endsWith('}') ? toReport(parseObject(text)) : undefined;
    if (whole !== undefined) {
      reports.push(whole);
      continue;
    }
    if (!REPORT_START.test(text)) continue;
    const joined = joinSplitReport(lines, i, text);
    if (joined !== undefined) {
      reports.push(joined.report);
      i = joined.last;
    }
  }
  return reports;
}

function stripPrefix(line: string): string {
  return line.replace(ANSI_ESCAPE, '').trim().replace(TIMESTAMP_PREFIX, '');
}

function joinSplitReport(
  lines: readonly string[],
  first: number,
  start: string,
): { report: AtlasReport; last: number } | undefined {
  let text = start;
  const end = Math.min(lines.length, first + MAX_REPORT_LINES);
  for (let j = first + 1; j < end; j++) {
    const piece = lines[j]!;
    // The next report begins: the one being joined was cut short for good.
    if (REPORT_START.test(stripPrefix(piece))) return undefined;
    text += piece;
    if (text.length > MAX_REPORT_CHARS) return undefined;
    // Only a text that ends with `}` can be the whole object: parse nothing else.
    if (!piece.trimEnd().endsWith('}')) continue;
    const report = toReport(parseObject(text));
    if (report !== undefined) return { report, last: j };
  }
  return undefined;
}

function parseObject(text: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The report `raw` holds, or undefined when it does not have a report's shape. */
function toReport(raw: Json | undefined): AtlasReport | undefined {
  if (raw === undefined) return undefined;
  const has = (key: string): boolean => raw[key] !== undefined && raw[key] !== null;
  if (!OUTCOME_KEYS.some(has) || !CONTEXT_KEYS.some(has)) return undefined;
  if (STRING_KEYS.some((key) => has(key) && typeof raw[key] !== 'string')) return undefined;
  if (has('URL') && !isObject(raw.URL)) return undefined;
  const pending = list(raw.Pending, toFile);
  const applied = list(raw.Applied, toAppliedFile);
  if (pending === undefined || applied === undefined) return undefined;

  const startedAt = timestamp(raw.Start);
  const endedAt = timestamp(raw.End);
  return compact({
    driver: text(raw.Driver),
    url: isObject(raw.URL) ? safeUrl(raw.URL) : undefined,
    dir: text(raw.Dir),
    current: text(raw.Current),
    target: text(raw.Target),
    pending,
    applied,
    startedAt,
    endedAt,
    durationMs: durationBetween(startedAt, endedAt),
    error: text(raw.Error),
    message: text(raw.Message),
  });
}

/** `value`'s elements converted by `convert`; [] when absent, undefined when any is malformed. */
function list<T>(value: unknown, convert: (item: unknown) => T | undefined): T[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const items: T[] = [];
  for (const item of value) {
    const converted = convert(item);
    if (converted === undefined) return undefined;
    items.push(converted);
  }
  return items;
}

function toFile(item: unknown): AtlasFile | undefined {
  if (!isObject(item)) return undefined;
  for (const key of ['Name', 'Version', 'Description']) {
    if (item[key] !== undefined && item[key] !== null && typeof item[key] !== 'string') {
      return undefined;
    }
  }
  return {
    name: text(item.Name) ?? '',
    version: text(item.Version) ?? '',
    description: text(item.Description) ?? '',
  };
}

function toAppliedFile(item: unknown): AtlasAppliedFile | undefined {
  const file = toFile(item);
  if (file === undefined || !isObject(item)) return undefined;
  const { Start, End, Skipped, Applied, Error: failure } = item;
  if (!optional(Start, 'string') || !optional(End, 'string')) return undefined;
  if (!optional(Skipped, 'number')) return undefined;
  const statements = list(Applied, (s) => (typeof s === 'string' ? redact(s) : undefined));
  if (statements === undefined) return undefined;
  let error: AtlasStatementError | undefined;
  if (failure !== undefined && failure !== null) {
    if (!isObject(failure) || !optional(failure.Stmt, 'string')) return undefined;
    if (!optional(failure.Text, 'string')) return undefined;
    error = { statement: text(failure.Stmt) ?? '', text: text(failure.Text) ?? '' };
  }
  const startedAt = timestamp(Start);
  const endedAt = timestamp(End);
  return compact({
    ...file,
    startedAt,
    endedAt,
    durationMs: durationBetween(startedAt, endedAt),
    statements,
    skipped: typeof Skipped === 'number' && Number.isFinite(Skipped) ? Skipped : 0,
    error,
  });
}

function optional(value: unknown, type: 'string' | 'number'): boolean {
  return value === undefined || value === null || typeof value === type;
}

/** A non-empty string, redacted; undefined for anything else (Atlas omits empty strings). */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? redact(value) : undefined;
}

function redact(value: string): string {
  return redactPasswordsInText(value);
}

/** `value` without its undefined properties, so that absent fields stay absent. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The database's address from Atlas's `URL` object (Go's url.URL fields plus Schema), reduced to
 * `scheme://host[:port]/path`. The user name is left out as well as the password (Go's encoder
 * writes url.Userinfo as `{}`, so a user name seen here would not come from Atlas), and so are the
 * query (`?password=…`, key file paths) and the DSN. Undefined without a scheme and a host.
 */
function safeUrl(url: Json): string | undefined {
  const scheme = typeof url.Scheme === 'string' ? url.Scheme : '';
  let host = typeof url.Host === 'string' ? url.Host : '';
  // url.URL.Host never holds user info, but a hand-written report might: keep what follows it.
  host = host.slice(host.lastIndexOf('@') + 1);
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme) || host === '') return undefined;
  let path = typeof url.Path === 'string' ? url.Path : '';
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  // A path holds no password in any URL Atlas accepts, but a `;password=…` one would be removed.
  return redact(`${scheme}://${host}${path}`.replace(/[?#].*$/, ''));
}

const RFC3339 =
  /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):(\d\d))$/;

/** Atlas's timestamp as written, or undefined for Go's zero time, a missing or malformed one. */
function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && instantNs(value) !== undefined ? value : undefined;
}

/**
 * Nanoseconds since the epoch of an RFC 3339 timestamp (Go's time.Time JSON form). JS Dates keep
 * only milliseconds, so the fraction is added separately. Undefined for a malformed or impossible
 * date, and for years before 1000, which covers Go's zero time (year 1).
 */
export function instantNs(value: string): bigint | undefined {
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1000 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const hours = Number(m[10]);
    const minutes = Number(m[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  return BigInt(date.getTime() - offsetMinutes * 60_000) * 1_000_000n + fraction;
}

/** Milliseconds from `start` to `end` (fractional, exact to the nanosecond for any real run). */
function durationBetween(start: string | undefined, end: string | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const from = instantNs(start);
  const to = instantNs(end);
  if (from === undefined || to === undefined || to < from) return undefined;
  return Number(to - from) / 1e6;
}

/** The JSON the action publishes for one report, under Atlas's own field names. */
export interface AtlasReportOutput {
  readonly Driver?: string;
  /** The password-free address of AtlasReport.url: never Atlas's URL object. */
  readonly URL?: string;
  readonly Dir?: string;
  readonly Pending?: readonly { Name?: string; Version?: string; Description?: string }[];
  readonly Applied?: readonly AtlasAppliedFileOutput[];
  readonly Current?: string;
  readonly Target?: string;
  readonly Start?: string;
  readonly End?: string;
  readonly Error?: string;
  readonly Message?: string;
}

export interface AtlasAppliedFileOutput {
  readonly Name?: string;
  readonly Version?: string;
  readonly Description?: string;
  readonly Start?: string;
  readonly End?: string;
  readonly Skipped?: number;
  readonly Applied?: readonly string[];
  readonly Error?: { readonly Stmt?: string; readonly Text?: string };
}

/**
 * `report` in the shape of the `migration-report` output: Atlas's field names, its omit-empty
 * rule, and `URL` as the string `scheme://host[:port]/path` (no user, password or query). Zero
 * times are left out rather than written as `0001-01-01T00:00:00Z`. Built from the normalised
 * report only, so nothing of Atlas's URL object (DSN, User, RawQuery) can reach it.
 */
export function reportForOutput(report: AtlasReport): AtlasReportOutput {
  const nonEmpty = (value: string): string | undefined => (value === '' ? undefined : value);
  return compact({
    Driver: report.driver,
    URL: report.url,
    Dir: report.dir,
    Pending:
      report.pending.length === 0
        ? undefined
        : report.pending.map((f) =>
            compact({
              Name: nonEmpty(f.name),
              Version: nonEmpty(f.version),
              Description: nonEmpty(f.description),
            }),
          ),
    Applied:
      report.applied.length === 0
        ? undefined
        : report.applied.map((f) =>
            compact({
              Name: nonEmpty(f.name),
              Version: nonEmpty(f.version),
              Description: nonEmpty(f.description),
              Start: f.startedAt,
              End: f.endedAt,
              Skipped: f.skipped === 0 ? undefined : f.skipped,
              Applied: f.statements.length === 0 ? undefined : [...f.statements],
              Error:
                f.error === undefined
                  ? undefined
                  : compact({ Stmt: nonEmpty(f.error.statement), Text: nonEmpty(f.error.text) }),
            }),
          ),
    Current: report.current,
    Target: report.target,
    Start: report.startedAt,
    End: report.endedAt,
    Error: report.error,
    Message: report.message,
  });
}

/**
 * Most bytes the `migration-report` output holds. GitHub keeps at most 1 MB per output (and 50 MB
 * per run); a data migration's statements can be more, so past this the statements are left out
 * of the output (the summary still lists them) and each file says how many it had.
 */
export const MAX_REPORT_OUTPUT_BYTES = 512 * 1024;

/** The `migration-report` output's value: a JSON array, one element per target database. */
export function migrationReportOutput(reports: readonly AtlasReport[]): string {
  const full = JSON.stringify(reports.map(reportForOutput));
  if (Buffer.byteLength(full) <= MAX_REPORT_OUTPUT_BYTES) return full;
  const trimmed = reports.map((report) => {
    const output = reportForOutput(report);
    return {
      ...output,
      ...(output.Applied
        ? {
            Applied: output.Applied.map(({ Applied, Error, ...file }) => ({
              ...file,
              ...(Applied ? { Statements: Applied.length } : {}),
              ...(Error ? { Error: { Text: Error.Text } } : {}),
            })),
          }
        : {}),
    };
  });
  return JSON.stringify(trimmed);
}

/** What went wrong first: the file and statement when a statement failed. */
export interface AtlasFailure {
  readonly file?: string;
  readonly statement?: string;
  readonly text: string;
}

export interface AtlasSummary {
  readonly currentVersion: string | undefined;
  readonly targetVersion: string | undefined;
  readonly appliedCount: number;
  readonly pendingCount: number;
  readonly statementCount: number;
  readonly durationMs: number | undefined;
  readonly failed: AtlasFailure | undefined;
}

/**
 * The figures the outputs and the summary show, over the reports of one run. With several target
 * databases (an `env` with `for_each`, one report each):
 * - currentVersion and targetVersion are the first report's: the targets share one migration
 *   directory, and the first is the one Atlas names first in its output;
 * - appliedCount, pendingCount and statementCount are summed over the targets;
 * - durationMs is the sum of the known report durations (Atlas runs the targets one after the
 *   other), undefined when none is known;
 * - failed is the first failure in report order: a failed file's statement error, else the
 *   report's own Error.
 * appliedCount counts the files applied in full: a file with an error is not applied (Atlas's
 * Message still says "Migrated to version …" then). statementCount counts the statements that ran
 * without error, so the failed statement Atlas lists last in a failed file is not counted; with
 * `--dry-run` these are the statements that would run.
 */
export function summariseReports(reports: readonly AtlasReport[]): AtlasSummary {
  let appliedCount = 0;
  let pendingCount = 0;
  let statementCount = 0;
  let durationMs: number | undefined;
  let failed: AtlasFailure | undefined;
  for (const report of reports) {
    pendingCount += report.pending.length;
    if (report.durationMs !== undefined) durationMs = (durationMs ?? 0) + report.durationMs;
    for (const file of report.applied) {
      statementCount += succeededStatements(file);
      if (file.error === undefined) {
        appliedCount++;
        continue;
      }
      failed ??= compact({
        file: file.name === '' ? undefined : file.name,
        statement: file.error.statement === '' ? undefined : file.error.statement,
        text: file.error.text,
      });
    }
    if (report.error !== undefined) failed ??= { text: report.error };
  }
  return {
    currentVersion: reports[0]?.current,
    targetVersion: reports[0]?.target,
    appliedCount,
    pendingCount,
    statementCount,
    durationMs,
    failed,
  };
}

/** As Atlas's own summary counts them: the statement that failed is listed but did not run. */
function succeededStatements(file: AtlasAppliedFile): number {
  const count = file.statements.length;
  if (file.error === undefined || count === 0) return count;
  return file.statements[count - 1] === file.error.statement ? count - 1 : count;
}
