// A cause and a fix for the errors Atlas's `migrate apply` is known to raise, naming the input of
// this action that changes the outcome. Pure: error text in, hint out.
//
// The patterns follow Atlas's own messages (ariga/atlas):
// - sql/migrate/migrate.go: NotCleanError ("sql/migrate: connected database is not clean: <reason>",
//   with ". baseline version or allow-dirty is required" when apply refuses it),
//   HistoryNonLinearError ("migration file X was added out of order. See: …", "migration files X, Y
//   were added out of order"), HistoryChangedError ("sql/migrate: history changed: statement N from
//   file "X" changed"), MissingMigrationError ("sql/migrate: missing migration: revision "X" is
//   partially applied but migration file was not found");
// - sql/migrate/dir.go: "checksum mismatch", "checksum file not found", "checksum file format
//   invalid"; cmd/atlas/internal/cmdapi/migrate.go prints "You have a checksum error in your
//   migration directory." before them;
// - cmd/atlas/internal/cmdapi/migrate.go: "acquiring database lock: %w" around
//   sql/schema/migrate.go's ErrLocked, "sql/schema: lock is held by other session";
// - connection and login errors come from Go's net package and the drivers Atlas wraps
//   ("postgres: scanning system variables: …", "mysql: query system variables: …"): lib/pq's
//   "pq: password authentication failed for user …", go-sql-driver/mysql's "Error 1045 (28000):
//   Access denied for user '…'@'…' (using password: YES)", "dial tcp …: connect: connection
//   refused", "…: i/o timeout", "lookup …: no such host".

export type AtlasMode = 'sidecar' | 'run-task' | 'plan';

export interface AtlasHintContext {
  /** The `lock-timeout` input as given (e.g. `10m`). */
  readonly lockTimeout: string;
  readonly mode: AtlasMode;
}

export interface AtlasErrorHint {
  readonly cause: string;
  readonly fix: string;
}

export type AtlasErrorKind =
  | 'checksum'
  | 'not-clean'
  | 'out-of-order'
  | 'history-changed'
  | 'partially-applied'
  | 'authentication'
  | 'network'
  | 'lock';

/**
 * One known error. `cause` and `fix` take the match of `pattern` in the error text, or undefined
 * to describe the error in general (for a table of every known error).
 */
export interface AtlasErrorPattern {
  readonly kind: AtlasErrorKind;
  /** A few words naming the error, e.g. for a heading. */
  readonly title: string;
  /** Case-insensitive, not global: safe to reuse with exec(). */
  readonly pattern: RegExp;
  readonly cause: (context: AtlasHintContext, match?: RegExpExecArray) => string;
  readonly fix: (context: AtlasHintContext, match?: RegExpExecArray) => string;
}

function code(text: string): string {
  return `\`${text}\``;
}

function lockTimeoutNow(context: AtlasHintContext): string {
  const value = context.lockTimeout.trim();
  return value === '' ? '' : ` (now ${code(value)})`;
}

/** Where the migration runs, for the network hint. */
function migrationNetwork(context: AtlasHintContext): string {
  return context.mode === 'sidecar'
    ? "the service's tasks (the security groups and subnets of its `networkConfiguration.awsvpcConfiguration`)"
    : `the standalone task that ${code(`mode: ${context.mode}`)} starts (the action gives it the security groups and subnets of the service's \`networkConfiguration.awsvpcConfiguration\`)`;
}

/**
 * The known errors, in the order they are tried: the first that matches gives the hint. Network
 * and login errors come before the lock because Atlas wraps whatever the lock query returned in
 * "acquiring database lock: …", a lost connection included.
 */
export const ATLAS_ERROR_PATTERNS: readonly AtlasErrorPattern[] = [
  {
    kind: 'checksum',
    title: 'atlas.sum does not match the migration files',
    pattern:
      /checksum (?:mismatch|file (not found|format invalid))|checksum error in your migration directory/i,
    cause: (_context, match) => {
      if (match?.[1]?.toLowerCase() === 'not found') {
        return 'The migration directory in the image has no atlas.sum, and Atlas refuses to run a directory it cannot check.';
      }
      if (match?.[1] !== undefined) return 'The atlas.sum in the migration directory is malformed.';
      return 'atlas.sum does not match the migration files: a file was added, edited or removed without re-hashing the directory.';
    },
    fix: () =>
      `Run ${code('atlas migrate hash')} on the directory of the ${code('migrations-dir')} input and commit atlas.sum with the files; never edit a file that was already deployed, add a new one instead.`,
  },
  {
    kind: 'not-clean',
    title: 'the database is not clean',
    pattern:
      /connected database is not clean(?::\s*(.*?))?(?:\.\s*baseline version or allow-dirty|$)/im,
    cause: (_context, match) => {
      const found = match?.[1]?.trim();
      const what = found === undefined || found === '' ? '' : ` (${found})`;
      return `The database already holds objects${what} but no Atlas revision history, so Atlas will not run the first migration over them: this is the first deploy to a database that already has a schema.`;
    },
    fix: () =>
      `If the database already has the schema of your migrations, set the ${code('baseline')} input to the version of the last migration file it matches: Atlas records it as applied and runs only the later files. If the existing objects are unrelated to your migrations, set ${code('allow-dirty: true')} instead (never both). If earlier deploys kept their history in another schema, set ${code('revisions-schema')}.`,
  },
  {
    kind: 'out-of-order',
    title: 'a migration file was added out of order',
    pattern: /migration (files?) (.+?) (?:was|were) added out of order/i,
    cause: (_context, match) => {
      const files =
        match === undefined ? 'A migration file' : `${capitalise(match[1]!)} ${match[2]}`;
      const verb = match?.[1]?.toLowerCase() === 'files' ? 'have versions' : 'has a version';
      return `${files} ${verb} lower than the last version applied to the database: it was added after a later migration had been deployed (for example, merged from an older branch).`;
    },
    fix: () =>
      `Rename the file to a version after the last applied one and run ${code('atlas migrate hash')}; or set the ${code('exec-order')} input to ${code('non-linear')} to apply it anyway, or to ${code('linear-skip')} to skip it.`,
  },
  {
    kind: 'history-changed',
    title: 'a partly applied migration file was edited',
    pattern: /history changed: statement (\d+) from file "([^"]*)" changed/i,
    cause: (_context, match) => {
      const file = match === undefined ? 'a migration file' : match[2];
      const where = match === undefined ? '' : ` (statement ${match[1]} differs)`;
      return `A previous run applied ${file} only in part, and the statements it already ran have changed since${where}.`;
    },
    fix: (_context, match) =>
      `Restore ${match === undefined ? 'the file' : match[2]} in ${code('migrations-dir')} to the content that was partly applied and deploy again, so Atlas resumes it; put the new changes in a new migration file. Or finish the file by hand and record it with ${code('atlas migrate set')}.`,
  },
  {
    kind: 'partially-applied',
    title: 'a partly applied migration file is missing',
    pattern: /(?:revision "([^"]*)" )?is partially applied|partially applied/i,
    cause: (_context, match) => {
      const file = match?.[1] === undefined ? 'a migration file' : match[1];
      return `The database's revision history says ${file} was applied only in part by a previous run, but that file is no longer in the migration directory, so Atlas cannot resume it.`;
    },
    fix: (_context, match) =>
      `Put ${match?.[1] === undefined ? 'the file' : match[1]} back in ${code('migrations-dir')} with its original content so Atlas can finish it; or complete or undo its statements by hand and record the result with ${code('atlas migrate set')}.`,
  },
  {
    kind: 'authentication',
    title: 'the database rejected the credentials',
    pattern:
      /password authentication failed for user|Access denied for user [^\n]*\(using password|authentication failed|Login failed for user/i,
    cause: () =>
      'The database rejected the user name or password of DATABASE_URL: the value of the secret is wrong or out of date.',
    fix: () =>
      `Correct the value of the secret that ${code('database-url-secret')} names (the user and password in the URL, with special characters of the password percent-encoded), then deploy again: ECS reads the secret when each task starts.`,
  },
  {
    kind: 'network',
    title: 'the task cannot reach the database',
    pattern:
      /connect: (connection refused)|(i\/o timeout)|(no such host)|(network is unreachable|no route to host)/i,
    cause: (_context, match) => {
      if (match?.[1] !== undefined) {
        return "The database's address answered but refused the connection: the host or port in DATABASE_URL is wrong, the database is not running, or something in the network rejects the port.";
      }
      if (match?.[3] !== undefined) {
        return "The database's host name in DATABASE_URL does not resolve from the task: it is misspelt, or it is a private name the task's VPC cannot resolve.";
      }
      return "The migration could not reach the database: a security group or the subnets' routes keep the task from the database's port.";
    },
    fix: (context) =>
      `Let ${migrationNetwork(context)} reach the database: the database's security group must allow its port from those security groups, and the subnets must route to the database. Check the host and port in the value of ${code('database-url-secret')}.`,
  },
  {
    kind: 'lock',
    title: "another session held Atlas's migration lock",
    pattern: /lock is held by (?:an)?other session|acquiring database lock/i,
    cause: (context) => {
      const why =
        context.mode === 'sidecar'
          ? 'in `mode: sidecar` every task that starts runs the migration, and the tasks waiting behind the one migrating give up when the lock timeout passes'
          : context.mode === 'run-task'
            ? 'another migration held it: a concurrent deploy, or the migration container of a service still on a sidecar revision'
            : 'a deploy was migrating this database while the dry run waited for it';
      return `Atlas waited longer than ${code('lock-timeout')}${lockTimeoutNow(context)} for the database's migration lock: ${why}.`;
    },
    fix: (context) =>
      context.mode === 'sidecar'
        ? `Raise ${code('lock-timeout')}${lockTimeoutNow(context)} above the time your longest migration takes, or set ${code('mode: run-task')} so that a single task migrates before the service is updated.`
        : `Wait for the other migration to finish and run again, or raise ${code('lock-timeout')}${lockTimeoutNow(context)} so that this run waits for it.`,
  },
];

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The known error `errorText` shows, with its match, or undefined. */
export function matchAtlasError(
  errorText: string,
): { pattern: AtlasErrorPattern; match: RegExpExecArray } | undefined {
  for (const pattern of ATLAS_ERROR_PATTERNS) {
    const match = pattern.pattern.exec(errorText);
    if (match !== null) return { pattern, match };
  }
  return undefined;
}

/**
 * A hint for Atlas's error (one `Error: …` line, a report's Error or a file's error text, or
 * several lines joined): the first known error it shows, or undefined for any other error, such
 * as a failed SQL statement.
 */
export function atlasErrorHint(
  errorText: string,
  context: AtlasHintContext,
): AtlasErrorHint | undefined {
  const found = matchAtlasError(errorText);
  if (found === undefined) return undefined;
  return {
    cause: found.pattern.cause(context, found.match),
    fix: found.pattern.fix(context, found.match),
  };
}

/** Every known error with its general cause and fix, in matching order: for a troubleshooting table. */
export function describeAtlasErrors(
  context: AtlasHintContext,
): { kind: AtlasErrorKind; title: string; cause: string; fix: string }[] {
  return ATLAS_ERROR_PATTERNS.map((p) => ({
    kind: p.kind,
    title: p.title,
    cause: p.cause(context),
    fix: p.fix(context),
  }));
}
