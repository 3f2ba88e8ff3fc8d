import {
  ATLAS_ERROR_PATTERNS,
  atlasErrorHint,
  describeAtlasErrors,
  matchAtlasError,
  type AtlasErrorKind,
  type AtlasHintContext,
  type AtlasMode,
} from '../../src/atlas/error-hints';

const SIDECAR: AtlasHintContext = { lockTimeout: '10m', mode: 'sidecar' };
const MODES: AtlasMode[] = ['sidecar', 'run-task', 'plan'];

function kindOf(text: string): AtlasErrorKind | undefined {
  return matchAtlasError(text)?.pattern.kind;
}

function hint(text: string, context: AtlasHintContext = SIDECAR): { cause: string; fix: string } {
  const found = atlasErrorHint(text, context);
  if (found === undefined) throw new Error(`no hint for: ${text}`);
  return found;
}

describe('checksum errors', () => {
  it('explains a mismatch and asks for `atlas migrate hash`', () => {
    // cmd/atlas/internal/cmdapi/migrate.go printChecksumError, then sql/migrate/dir.go
    // ErrChecksumMismatch; internal/integration/testdata/sqlite/cli-migrate-project.txtar expects
    // "Error: checksum mismatch" on stderr.
    const text = [
      'You have a checksum error in your migration directory.',
      '',
      '\tL2: 20240310170000_add_name.sql was edited',
      '',
      "Please check your migration files and run 'atlas migrate hash' to re-hash the contents",
      '',
      'Error: checksum mismatch',
    ].join('\n');
    expect(kindOf(text)).toBe('checksum');
    expect(kindOf('Error: checksum mismatch')).toBe('checksum');
    const { cause, fix } = hint(text);
    expect(cause).toMatch(/atlas\.sum does not match/);
    expect(fix).toContain('`atlas migrate hash`');
    expect(fix).toContain('commit atlas.sum');
    expect(fix).toContain('`migrations-dir`');
  });

  it('explains a missing atlas.sum', () => {
    // internal/integration/testdata/postgres/cli-migrate-apply.txtar: stderr 'Error: checksum file not found'
    const { cause, fix } = hint('Error: checksum file not found');
    expect(cause).toMatch(/no atlas\.sum/);
    expect(fix).toContain('`atlas migrate hash`');
  });

  it('explains a malformed atlas.sum', () => {
    // sql/migrate/dir.go ErrChecksumFormat
    expect(hint('Error: checksum file format invalid').cause).toMatch(/malformed/);
  });
});

describe('a database that is not clean', () => {
  // sql/migrate/migrate.go: NotCleanError.Error() and Executor.Pending's
  // "%w. baseline version or allow-dirty is required"; the reason is sql/postgres/driver.go's.
  const TEXT =
    'Error: sql/migrate: connected database is not clean: found table "users" in schema "public". baseline version or allow-dirty is required';

  it('names the input baseline and allow-dirty, and what Atlas found', () => {
    const { cause, fix } = hint(TEXT);
    expect(cause).toContain('(found table "users" in schema "public")');
    expect(cause).toMatch(/first deploy/);
    expect(fix).toContain('`baseline`');
    expect(fix).toContain('`allow-dirty: true`');
    expect(fix).toContain('never both');
  });

  it('matches the short forms too', () => {
    // sql/migrate/migrate_test.go: "…is not clean: found table. baseline version or allow-dirty is required"
    expect(
      hint(
        'sql/migrate: connected database is not clean: found table. baseline version or allow-dirty is required',
      ).cause,
    ).toContain('(found table)');
    // sql/mysql/driver_test.go: `…is not clean: found multiple tables: 2`
    expect(
      hint('sql/migrate: connected database is not clean: found multiple tables: 2').cause,
    ).toContain('(found multiple tables: 2)');
    expect(hint('sql/migrate: connected database is not clean').cause).toMatch(
      /already holds objects but/,
    );
  });
});

describe('files added out of order', () => {
  it('names the file and the input exec-order', () => {
    // sql/migrate/migrate.go HistoryNonLinearError; cmd/atlas/internal/cmdapi/migrate_test.go:
    // "migration file 2.sql was added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error"
    const { cause, fix } = hint(
      'Error: migration file 20240305120000_add_index.sql was added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error',
    );
    expect(cause).toMatch(/^File 20240305120000_add_index\.sql has a version lower/);
    expect(fix).toContain('`exec-order`');
    expect(fix).toContain('`non-linear`');
    expect(fix).toContain('`linear-skip`');
    expect(fix).toContain('`atlas migrate hash`');
  });

  it('names several files', () => {
    // cmd/atlas/internal/cmdlog/cmdlog_test.go: "migration files 1.5.sql, 1.6.sql were added out of order"
    const { cause } = hint(
      'Error: migration files 1.5.sql, 1.6.sql were added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error',
    );
    expect(cause).toMatch(/^Files 1\.5\.sql, 1\.6\.sql have versions lower/);
  });
});

describe('a partly applied file', () => {
  it('explains an edit to a partly applied file', () => {
    // sql/migrate/migrate.go HistoryChangedError.Error()
    const { cause, fix } = hint(
      'Error: sql/migrate: history changed: statement 3 from file "20240310170000_add_name.sql" changed',
    );
    expect(cause).toContain('applied 20240310170000_add_name.sql only in part');
    expect(cause).toContain('statement 3');
    expect(fix).toContain('Restore 20240310170000_add_name.sql in `migrations-dir`');
    expect(fix).toContain('`atlas migrate set`');
  });

  it('explains a partly applied file that is gone', () => {
    // sql/migrate/migrate.go MissingMigrationError.Error()
    const { cause, fix } = hint(
      'Error: sql/migrate: missing migration: revision "20240310170000_add_name.sql" is partially applied but migration file was not found',
    );
    expect(cause).toContain('says 20240310170000_add_name.sql was applied only in part');
    expect(cause).toContain('no longer in the migration directory');
    expect(fix).toContain('Put 20240310170000_add_name.sql back in `migrations-dir`');
  });

  it('still explains "partially applied" without a file name', () => {
    expect(kindOf('the last migration is partially applied')).toBe('partially-applied');
    expect(hint('the last migration is partially applied').fix).toContain('Put the file back');
  });
});

describe("Atlas's migration lock", () => {
  // cmd/atlas/internal/cmdapi/migrate.go: fmt.Errorf("acquiring database lock: %w", err) around
  // sql/schema/migrate.go ErrLocked; cmd/atlas/internal/cmdapi/migrate_test.go checks the
  // "Error: acquiring database lock: " prefix.
  const TEXT = 'Error: acquiring database lock: sql/schema: lock is held by other session';

  it('in sidecar mode, names lock-timeout with its value and mode: run-task', () => {
    const { cause, fix } = hint(TEXT, { lockTimeout: '10s', mode: 'sidecar' });
    expect(cause).toContain('`lock-timeout` (now `10s`)');
    expect(cause).toContain('`mode: sidecar` every task');
    expect(fix).toContain('Raise `lock-timeout` (now `10s`)');
    expect(fix).toContain('`mode: run-task`');
  });

  it('in run-task and plan mode, points at the other migration', () => {
    const runTask = hint(TEXT, { lockTimeout: '15m', mode: 'run-task' });
    expect(runTask.cause).toMatch(/another migration held it/);
    expect(runTask.fix).toContain('raise `lock-timeout` (now `15m`)');
    expect(runTask.fix).not.toContain('mode: run-task');
    const plan = hint(TEXT, { lockTimeout: '15m', mode: 'plan' });
    expect(plan.cause).toMatch(/while the dry run waited/);
    expect(plan.fix).toContain('`lock-timeout` (now `15m`)');
  });

  it('leaves the value out when the input is empty', () => {
    expect(hint(TEXT, { lockTimeout: ' ', mode: 'sidecar' }).fix).toContain(
      'Raise `lock-timeout` above',
    );
  });

  it('matches either half of the message', () => {
    expect(kindOf('sql/schema: lock is held by other session')).toBe('lock');
    expect(kindOf('acquiring database lock: context canceled')).toBe('lock');
  });
});

describe('credentials', () => {
  it.each([
    // lib/pq's Error() is "pq: " + the server's message; Atlas wraps it in
    // sql/postgres/driver.go "postgres: scanning system variables: %w".
    [
      'Postgres',
      'Error: postgres: scanning system variables: pq: password authentication failed for user "app"',
    ],
    // go-sql-driver/mysql's MySQLError "Error %d (%s): %s", wrapped by sql/mysql/driver.go
    // "mysql: query system variables: %w"; text as in songquanpeng/one-api#2119.
    [
      'MySQL',
      "Error: mysql: query system variables: Error 1045 (28000): Access denied for user 'app'@'10.0.3.17' (using password: YES)",
    ],
    ['a generic driver', 'Error: postgres: scanning system variables: SASL authentication failed'],
  ])('points at the value of database-url-secret (%s)', (_name, text) => {
    const { cause, fix } = hint(text);
    expect(kindOf(text)).toBe('authentication');
    expect(cause).toMatch(/rejected the user name or password/);
    expect(fix).toContain('`database-url-secret`');
  });
});

describe('network', () => {
  const CASES: [string, string, RegExp][] = [
    [
      // ariga/terraform-provider-atlas#124: "Error: postgres: scanning system variables: dial tcp
      // 127.0.0.1:5433: connect: connection refused"
      'connection refused',
      'Error: postgres: scanning system variables: dial tcp 10.0.3.17:5432: connect: connection refused',
      /refused the connection/,
    ],
    [
      // Go's net error for a dial that times out, wrapped as in sql/postgres/driver.go.
      'i/o timeout',
      'Error: postgres: scanning system variables: dial tcp 10.0.3.17:5432: i/o timeout',
      /security group or the subnets' routes/,
    ],
    [
      // ariga/atlas#1587: "Error: mysql: query system variables: dial tcp: lookup …: no such host"
      'no such host',
      'Error: mysql: query system variables: dial tcp: lookup mydb.abc123.us-east-1.rds.amazonaws.com on 10.0.0.2:53: no such host',
      /does not resolve/,
    ],
    [
      'network is unreachable',
      'Error: postgres: scanning system variables: dial tcp [2600:1f18::1]:5432: connect: network is unreachable',
      /security group or the subnets' routes/,
    ],
  ];

  it.each(CASES)('explains %s', (_name, text, cause) => {
    expect(hint(text).cause).toMatch(cause);
  });

  it("names the service's security groups and subnets in sidecar mode", () => {
    const { fix } = hint(CASES[1]![1], SIDECAR);
    expect(fix).toContain("the service's tasks");
    expect(fix).toContain('security groups and subnets');
    expect(fix).toContain('`database-url-secret`');
  });

  it.each(['run-task', 'plan'] as const)(
    "names the standalone task's network in %s mode",
    (mode) => {
      const { fix } = hint(CASES[1]![1], { lockTimeout: '10m', mode });
      expect(fix).toContain(`the standalone task that \`mode: ${mode}\` starts`);
      expect(fix).toContain('security groups and subnets');
    },
  );

  it('wins over the lock when the lock query lost its connection', () => {
    expect(
      kindOf(
        'Error: acquiring database lock: read tcp 10.0.1.5:41234->10.0.3.17:5432: i/o timeout',
      ),
    ).toBe('network');
  });
});

describe('unrelated errors', () => {
  it.each([
    // sql/migrate/migrate.go StmtExecError: a failed statement is the user's SQL, not a setup problem.
    'Error: sql/migrate: executing statement "ALTER TABLE users ADD COLUMN name text;" from version "20240310170000": pq: column "name" of relation "users" already exists',
    'pq: canceling statement due to statement timeout',
    // MySQL 1205 is a row lock inside a statement, not Atlas's migration lock.
    'Error 1205 (HY000): Lock wait timeout exceeded; try restarting transaction',
    // MySQL 1044 is a missing grant: the password was right.
    "Error 1044 (42000): Access denied for user 'app'@'%' to database 'other'",
    'Error: parse dir-url: parse "file://%zz": invalid URL escape "%zz"',
    'Error: required flag "url" not set',
    'sql/migrate: revision not found',
    '',
  ])('%s', (text) => {
    for (const mode of MODES)
      expect(atlasErrorHint(text, { lockTimeout: '10m', mode })).toBeUndefined();
  });
});

describe('ATLAS_ERROR_PATTERNS', () => {
  it('has one pattern per kind, none global (exec keeps no state)', () => {
    const kinds = ATLAS_ERROR_PATTERNS.map((p) => p.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const p of ATLAS_ERROR_PATTERNS) {
      expect(p.pattern.global).toBe(false);
      expect(p.pattern.sticky).toBe(false);
    }
  });

  it('gives the same hint when called twice', () => {
    const text = 'Error: checksum mismatch';
    expect(atlasErrorHint(text, SIDECAR)).toEqual(atlasErrorHint(text, SIDECAR));
  });

  it('describes every error in general, cause then fix, for every mode', () => {
    for (const mode of MODES) {
      const rows = describeAtlasErrors({ lockTimeout: '10m', mode });
      expect(rows.map((r) => r.kind)).toEqual(ATLAS_ERROR_PATTERNS.map((p) => p.kind));
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(['kind', 'title', 'cause', 'fix']);
        expect(row.title).not.toBe('');
        expect(row.cause).toMatch(/\.$/);
        expect(row.fix).toMatch(/\.$/);
        expect(row.cause).not.toMatch(/undefined/);
        expect(row.fix).not.toMatch(/undefined/);
      }
    }
  });

  it('names an input of the action or the command to run in every fix', () => {
    const inputs =
      /`(?:lock-timeout|mode: run-task|baseline|allow-dirty: true|exec-order|atlas migrate hash|migrations-dir|database-url-secret)`/;
    for (const mode of MODES) {
      for (const row of describeAtlasErrors({ lockTimeout: '10m', mode })) {
        expect(row.fix).toMatch(inputs);
      }
    }
  });
});
