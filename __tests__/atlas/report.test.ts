import {
  MAX_REPORT_LINES,
  MAX_REPORT_OUTPUT_BYTES,
  instantNs,
  migrationReportOutput,
  parseAtlasReports,
  reportForOutput,
  summariseReports,
  type AtlasReport,
} from '../../src/atlas/report';
import { logLines } from '../../src/deploy/atlas-log';

// The shape of cmd/atlas/internal/cmdlog/cmdlog.go's MigrateApply (ariga/atlas) as
// `--format '{{ json . }}'` prints it: the URL object is Go's url.URL (fields promoted) plus
// Schema; Start and End are never omitted.
const URL_OBJECT = {
  Scheme: 'postgres',
  Opaque: '',
  User: {},
  Host: 'db:5432',
  Path: '/app',
  RawPath: '',
  OmitHost: false,
  ForceQuery: false,
  RawQuery: 'sslmode=disable',
  Fragment: '',
  RawFragment: '',
  Schema: '',
};

const APPLIED_LINE =
  '{"Driver":"postgres","URL":{"Scheme":"postgres","Opaque":"","User":{},"Host":"db:5432","Path":"/app","RawPath":"","OmitHost":false,"ForceQuery":false,"RawQuery":"sslmode=disable","Fragment":"","RawFragment":"","Schema":""},' +
  '"Dir":"file://migrations","Pending":[{"Name":"20240310170000_add_name.sql","Version":"20240310170000","Description":"add_name"}],' +
  '"Applied":[{"Name":"20240310170000_add_name.sql","Version":"20240310170000","Description":"add_name","Start":"2024-03-10T17:00:00.123456789Z","End":"2024-03-10T17:00:00.126Z","Applied":["ALTER TABLE users ADD COLUMN name text;"]}],' +
  '"Current":"20240301120000","Target":"20240310170000","Start":"2024-03-10T17:00:00.100000001Z","End":"2024-03-10T17:00:00.130000002Z",' +
  '"Message":"Migrated to version 20240310170000 from 20240301120000 (1 migrations in total)"}';

const ZERO = '0001-01-01T00:00:00Z';

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    Driver: 'postgres',
    URL: URL_OBJECT,
    Dir: 'file://migrations',
    ...fields,
  });
}

function parseOne(text: string): AtlasReport {
  const reports = parseAtlasReports([text]);
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

describe('parseAtlasReports', () => {
  it('reads a successful report into the normalised shape', () => {
    expect(parseOne(APPLIED_LINE)).toEqual({
      driver: 'postgres',
      url: 'postgres://db:5432/app',
      dir: 'file://migrations',
      current: '20240301120000',
      target: '20240310170000',
      pending: [
        {
          name: '20240310170000_add_name.sql',
          version: '20240310170000',
          description: 'add_name',
        },
      ],
      applied: [
        {
          name: '20240310170000_add_name.sql',
          version: '20240310170000',
          description: 'add_name',
          startedAt: '2024-03-10T17:00:00.123456789Z',
          endedAt: '2024-03-10T17:00:00.126Z',
          durationMs: expect.closeTo(2.543211, 9),
          statements: ['ALTER TABLE users ADD COLUMN name text;'],
          skipped: 0,
        },
      ],
      startedAt: '2024-03-10T17:00:00.100000001Z',
      endedAt: '2024-03-10T17:00:00.130000002Z',
      durationMs: expect.closeTo(30.000001, 9),
      message: 'Migrated to version 20240310170000 from 20240301120000 (1 migrations in total)',
    });
  });

  it('has no dry-run flag: the report does not say whether the statements ran', () => {
    expect(Object.keys(parseOne(APPLIED_LINE))).not.toContain('dryRun');
  });

  it('leaves current out for a fresh database', () => {
    const report = parseOne(
      line({
        Pending: [{ Name: '1_init.sql', Version: '1', Description: 'init' }],
        Applied: [
          { Name: '1_init.sql', Version: '1', Description: 'init', Start: ZERO, End: ZERO },
        ],
        Target: '1',
        Start: '2024-03-10T17:00:00Z',
        End: '2024-03-10T17:00:01Z',
        Message: 'Migrated to version 1 from  (1 migrations in total)',
      }),
    );
    expect(report.current).toBeUndefined();
    expect(report.target).toBe('1');
    expect(report.durationMs).toBe(1000);
  });

  it('reads a report with nothing to apply', () => {
    const report = parseOne(
      line({
        Current: '20240310170000',
        Start: '2024-03-10T17:00:00Z',
        End: '2024-03-10T17:00:00.002Z',
        Message: 'No migration files to execute',
      }),
    );
    expect(report).toMatchObject({
      current: '20240310170000',
      pending: [],
      applied: [],
      message: 'No migration files to execute',
    });
    expect(report.error).toBeUndefined();
  });

  it('reads a report whose only outcome is an error', () => {
    const report = parseOne(
      line({
        Start: '2024-03-10T17:00:00Z',
        End: '2024-03-10T17:00:00Z',
        Error: 'sql/migrate: scanning statements: unclosed quote',
      }),
    );
    expect(report.error).toBe('sql/migrate: scanning statements: unclosed quote');
    expect(report.message).toBeUndefined();
    expect(report.durationMs).toBe(0);
  });

  it("keeps a failed file's statements, its error and the number of skipped statements", () => {
    const report = parseOne(
      line({
        Pending: [{ Name: '2_b.sql', Version: '2', Description: 'b' }],
        Applied: [
          {
            Name: '2_b.sql',
            Version: '2',
            Description: 'b',
            Start: '2024-03-10T17:00:00Z',
            End: '2024-03-10T17:00:00.5Z',
            Skipped: 2,
            Applied: ['CREATE INDEX i ON t (a);', 'ALTER TABLE t ADD COLUMN a int;'],
            Error: {
              Stmt: 'ALTER TABLE t ADD COLUMN a int;',
              Text: 'pq: column "a" of relation "t" already exists',
            },
          },
        ],
        Current: '1',
        Target: '2',
        Start: '2024-03-10T17:00:00Z',
        End: '2024-03-10T17:00:00.5Z',
        // Atlas's MarshalJSON sets this whenever Applied is not empty and Error is not set.
        Message: 'Migrated to version 2 from 1 (1 migrations in total)',
      }),
    );
    expect(report.applied[0]).toEqual({
      name: '2_b.sql',
      version: '2',
      description: 'b',
      startedAt: '2024-03-10T17:00:00Z',
      endedAt: '2024-03-10T17:00:00.5Z',
      durationMs: 500,
      statements: ['CREATE INDEX i ON t (a);', 'ALTER TABLE t ADD COLUMN a int;'],
      skipped: 2,
      error: {
        statement: 'ALTER TABLE t ADD COLUMN a int;',
        text: 'pq: column "a" of relation "t" already exists',
      },
    });
  });

  it("treats Go's zero time as unknown, and gives no duration without both times", () => {
    const report = parseOne(
      line({
        Applied: [{ Name: '1_a.sql', Version: '1', Start: '2024-03-10T17:00:00Z', End: ZERO }],
        Start: ZERO,
        End: '2024-03-10T17:00:00Z',
        Message: 'Migrated to version 1 from  (1 migrations in total)',
      }),
    );
    expect(report.startedAt).toBeUndefined();
    expect(report.endedAt).toBe('2024-03-10T17:00:00Z');
    expect(report.durationMs).toBeUndefined();
    expect(report.applied[0]!.endedAt).toBeUndefined();
    expect(report.applied[0]!.durationMs).toBeUndefined();
  });

  it('gives no duration when the end comes before the start, or a time is malformed', () => {
    const backwards = parseOne(
      line({ Start: '2024-03-10T17:00:01Z', End: '2024-03-10T17:00:00Z', Message: 'x' }),
    );
    expect(backwards.durationMs).toBeUndefined();
    const malformed = parseOne(
      line({ Start: 'yesterday', End: '2024-03-10T17:00:00Z', Message: 'x' }),
    );
    expect(malformed.startedAt).toBeUndefined();
    expect(malformed.durationMs).toBeUndefined();
  });

  it('keeps multi-line and very long statements whole', () => {
    const body = `CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;`;
    const long = `INSERT INTO t VALUES ${'(1),'.repeat(50_000)}(1);`;
    const report = parseOne(
      line({
        Applied: [{ Name: '1_f.sql', Version: '1', Start: ZERO, End: ZERO, Applied: [body, long] }],
        Start: ZERO,
        End: ZERO,
        Message: 'Migrated to version 1 from  (1 migrations in total)',
      }),
    );
    expect(report.applied[0]!.statements).toEqual([body, long]);
  });

  it('accepts colour codes, indentation and a timestamp that a log router prepends', () => {
    const lines = [
      `2024-03-10T17:00:00.123Z ${APPLIED_LINE}`,
      `2024-03-10T17:00:00+01:00 ${APPLIED_LINE}`,
      `   ${APPLIED_LINE}  `,
      `\u001b[0m${APPLIED_LINE}`,
    ];
    expect(parseAtlasReports(lines)).toHaveLength(4);
  });

  it('reads one report per target database, in order, among other log lines', () => {
    const second = line({
      URL: { ...URL_OBJECT, Path: '/tenant_b' },
      Current: '20240310170000',
      Start: ZERO,
      End: ZERO,
      Message: 'No migration files to execute',
    });
    const reports = parseAtlasReports([
      'Migrating to version 20240310170000 from 20240301120000 (1 migrations in total):',
      APPLIED_LINE,
      '',
      second,
    ]);
    expect(reports.map((r) => r.url)).toEqual([
      'postgres://db:5432/app',
      'postgres://db:5432/tenant_b',
    ]);
  });

  describe('ignores lines that are not reports', () => {
    const start = '2024-03-10T17:00:00Z';
    const cases: [string, string][] = [
      ['plain text', 'Migrating to version 2 (1 migrations in total):'],
      [
        "Atlas's stderr error line",
        'Error: acquiring database lock: sql/schema: lock is held by other session',
      ],
      ['an application log in JSON', '{"level":"info","msg":"listening","port":8080}'],
      ['an outcome without context', '{"Error":"boom"}'],
      ['context without an outcome', `{"Driver":"postgres","Start":"${start}","End":"${start}"}`],
      ['a JSON array', '[{"Driver":"postgres","Error":"x"}]'],
      ['a JSON string', '"Error"'],
      ['malformed JSON', '{"Driver":"postgres","Error":"x",}'],
      ['a cut report', '{"Driver":"postgres","Pending":[{"Name":"1.sql"'],
      ['Pending not an array', `{"Driver":"postgres","Start":"${start}","Pending":"1.sql"}`],
      ['Driver not a string', `{"Driver":1,"Start":"${start}","Error":"x"}`],
      ['Error not a string', `{"Driver":"postgres","Start":"${start}","Error":{"Text":"x"}}`],
      [
        'URL not an object',
        `{"Driver":"postgres","URL":"pg://db","Start":"${start}","Message":"x"}`,
      ],
      [
        'a file that is not an object',
        `{"Driver":"postgres","Start":"${start}","Pending":["1.sql"]}`,
      ],
      [
        'a file name that is not a string',
        `{"Driver":"postgres","Start":"${start}","Pending":[{"Name":1}]}`,
      ],
      [
        'statements that are not strings',
        `{"Driver":"postgres","Start":"${start}","Applied":[{"Name":"1.sql","Applied":3}]}`,
      ],
      [
        'a file error that is not an object',
        `{"Driver":"postgres","Start":"${start}","Applied":[{"Name":"1.sql","Error":"x"}]}`,
      ],
      [
        'Skipped not a number',
        `{"Driver":"postgres","Start":"${start}","Applied":[{"Skipped":"2"}]}`,
      ],
      [
        // cmdlog.MigrateStatus nests Driver and Dir under "Env" and has no Start.
        '`migrate status` JSON',
        '{"Env":{"Driver":"postgres","Dir":"file://migrations"},"Available":[{"Name":"1.sql","Version":"1"}],"Pending":[{"Name":"1.sql","Version":"1"}],"Current":"No migration applied yet","Next":"1","Status":"PENDING"}',
      ],
    ];
    it.each(cases)('%s', (_name, text) => {
      expect(parseAtlasReports([text])).toEqual([]);
    });
  });

  it('treats null fields as absent', () => {
    const report = parseOne(
      '{"Driver":"postgres","URL":null,"Dir":"file://migrations","Pending":null,"Applied":null,"Start":"2024-03-10T17:00:00Z","End":"2024-03-10T17:00:00Z","Message":"No migration files to execute"}',
    );
    expect(report.pending).toEqual([]);
    expect(report.applied).toEqual([]);
    expect(report.url).toBeUndefined();
  });

  it('reads a report split across several log lines, and what follows it', () => {
    const cut = [APPLIED_LINE.slice(0, 400), APPLIED_LINE.slice(400, 700), APPLIED_LINE.slice(700)];
    const reports = parseAtlasReports([
      `2024-03-10T17:00:00.123Z ${cut[0]}`,
      cut[1]!,
      cut[2]!,
      APPLIED_LINE,
    ]);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toEqual(parseOne(APPLIED_LINE));
  });

  it('drops a report cut short for good, and still reads the next one', () => {
    const reports = parseAtlasReports([
      APPLIED_LINE.slice(0, 500),
      'some unrelated line}',
      APPLIED_LINE,
    ]);
    expect(reports).toEqual([parseOne(APPLIED_LINE)]);
  });

  it('joins no more than MAX_REPORT_LINES lines', () => {
    const head = '{"Driver":"postgres","Dir":"file://migrations","Pending":[';
    const files = Array.from({ length: MAX_REPORT_LINES }, () => '{"Name":"1.sql"},');
    const text = [head, ...files, '{"Name":"1.sql"}],"Start":"2024-03-10T17:00:00Z"}'];
    expect(parseAtlasReports(text)).toEqual([]);
    expect(parseAtlasReports([head, ...files.slice(2), text[text.length - 1]!])).toHaveLength(1);
  });

  describe('URL', () => {
    it('keeps scheme, host and path only', () => {
      expect(parseOne(line({ Start: ZERO, Message: 'x' })).url).toBe('postgres://db:5432/app');
    });

    it('adds the slash a path without one needs, and works without a path', () => {
      const url = (fields: Record<string, unknown>): string | undefined =>
        parseOne(line({ URL: { ...URL_OBJECT, ...fields }, Start: ZERO, Message: 'x' })).url;
      expect(url({ Path: 'app' })).toBe('postgres://db:5432/app');
      expect(url({ Scheme: 'sqlite', Host: 'file', Path: '', RawQuery: 'mode=memory' })).toBe(
        'sqlite://file',
      );
    });

    it('is dropped without a scheme or a host', () => {
      const url = (fields: Record<string, unknown>): string | undefined =>
        parseOne(line({ URL: { ...URL_OBJECT, ...fields }, Start: ZERO, Message: 'x' })).url;
      expect(url({ Scheme: '' })).toBeUndefined();
      expect(url({ Host: '' })).toBeUndefined();
      expect(url({ Scheme: 1 })).toBeUndefined();
    });
  });
});

describe('password safety', () => {
  const SECRET = 'Sup3rSecret';
  // Everything an old or hand-made report could carry: Atlas dropped the DSN from its JSON in
  // 2022 (ariga/atlas#1214), and Go writes url.Userinfo as {}, but neither is relied on.
  const planted = line({
    URL: {
      ...URL_OBJECT,
      User: { username: 'app', password: SECRET },
      Host: `app:${SECRET}@db:5432`,
      RawQuery: `sslmode=disable&password=${SECRET}`,
      DSN: `postgres://app:${SECRET}@db:5432/app?sslmode=disable`,
    },
    Dir: `file://migrations?password=${SECRET}`,
    Pending: [{ Name: '1_a.sql', Version: '1', Description: 'a' }],
    Applied: [
      {
        Name: '1_a.sql',
        Version: '1',
        Description: 'a',
        Start: ZERO,
        End: ZERO,
        Applied: [`CREATE SERVER s OPTIONS (dsn 'postgres://app:${SECRET}@other/db');`],
        Error: {
          Stmt: `CREATE SERVER s OPTIONS (dsn 'postgres://app:${SECRET}@other/db');`,
          Text: `dial postgres://app:${SECRET}@other/db?sslmode=disable&password=${SECRET}: refused`,
        },
      },
    ],
    Start: ZERO,
    End: ZERO,
    Error: `connecting to postgres://app:${SECRET}@db:5432/app: host=db password=${SECRET}`,
    Message: `retrying mysql://root:${SECRET}@tcp(db:3306)/app`,
  });

  it('never returns a planted password from parseAtlasReports', () => {
    const reports = parseAtlasReports([planted]);
    expect(reports).toHaveLength(1);
    expect(JSON.stringify(reports)).not.toContain(SECRET);
    expect(reports[0]!.url).toBe('postgres://db:5432/app');
    expect(reports[0]!.error).toBe(
      'connecting to postgres://app:***@db:5432/app: host=db password=***',
    );
  });

  it('never publishes a planted password in the migration-report output', () => {
    const output = migrationReportOutput(parseAtlasReports([planted]));
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('DSN');
    expect(output).not.toContain('RawQuery');
    expect(JSON.parse(output)[0].URL).toBe('postgres://db:5432/app');
  });

  it("catches a password that Go's \\u0026 escape hides from the line-level redaction", () => {
    // encoding/json writes `&` as \u0026, so `…\u0026password=…` has no `&` or word boundary
    // before `password` for a scan of the raw line.
    const raw = `{"Driver":"postgres","Start":"${ZERO}","Error":"dial postgres://db/app?sslmode=disable\\u0026password=${SECRET}: refused"}`;
    const lines = logLines([raw]);
    expect(lines[0]).toContain(SECRET);
    const reports = parseAtlasReports(lines);
    expect(reports[0]!.error).not.toContain(SECRET);
    expect(reports[0]!.error).toContain('dial postgres://db/app?sslmode=disable&password=***');
  });
});

describe('reportForOutput', () => {
  it("uses Atlas's field names and its omit-empty rule", () => {
    expect(reportForOutput(parseOne(APPLIED_LINE))).toEqual({
      Driver: 'postgres',
      URL: 'postgres://db:5432/app',
      Dir: 'file://migrations',
      Pending: [
        {
          Name: '20240310170000_add_name.sql',
          Version: '20240310170000',
          Description: 'add_name',
        },
      ],
      Applied: [
        {
          Name: '20240310170000_add_name.sql',
          Version: '20240310170000',
          Description: 'add_name',
          Start: '2024-03-10T17:00:00.123456789Z',
          End: '2024-03-10T17:00:00.126Z',
          Applied: ['ALTER TABLE users ADD COLUMN name text;'],
        },
      ],
      Current: '20240301120000',
      Target: '20240310170000',
      Start: '2024-03-10T17:00:00.100000001Z',
      End: '2024-03-10T17:00:00.130000002Z',
      Message: 'Migrated to version 20240310170000 from 20240301120000 (1 migrations in total)',
    });
  });

  it('keeps a failed file with its error and skipped count, and leaves zero times out', () => {
    const output = reportForOutput(
      parseOne(
        line({
          Applied: [
            {
              Name: '2_b.sql',
              Version: '2',
              Start: ZERO,
              End: ZERO,
              Skipped: 1,
              Applied: ['SELECT 1;'],
              Error: { Stmt: 'SELECT 1;', Text: 'boom' },
            },
          ],
          Start: ZERO,
          End: ZERO,
          Message: 'Migrated to version 2 from 1 (1 migrations in total)',
        }),
      ),
    );
    expect(output.Applied).toEqual([
      {
        Name: '2_b.sql',
        Version: '2',
        Skipped: 1,
        Applied: ['SELECT 1;'],
        Error: { Stmt: 'SELECT 1;', Text: 'boom' },
      },
    ]);
    expect(output.Start).toBeUndefined();
    expect(output.Pending).toBeUndefined();
  });

  it('gives a JSON array with one element per target for the output', () => {
    const reports = parseAtlasReports([APPLIED_LINE, APPLIED_LINE]);
    const parsed: unknown = JSON.parse(migrationReportOutput(reports));
    expect(parsed).toEqual([reportForOutput(reports[0]!), reportForOutput(reports[1]!)]);
    expect(migrationReportOutput([])).toBe('[]');
  });
});

describe('summariseReports', () => {
  function report(fields: Partial<AtlasReport>): AtlasReport {
    return { pending: [], applied: [], ...fields };
  }
  const file = (
    name: string,
    statements: string[],
    error?: { statement: string; text: string },
  ) => ({
    name,
    version: name.split('_')[0]!,
    description: '',
    statements,
    skipped: 0,
    ...(error === undefined ? {} : { error }),
  });

  it('summarises a successful run', () => {
    expect(summariseReports(parseAtlasReports([APPLIED_LINE]))).toEqual({
      currentVersion: '20240301120000',
      targetVersion: '20240310170000',
      appliedCount: 1,
      pendingCount: 1,
      statementCount: 1,
      durationMs: expect.closeTo(30.000001, 9),
      failed: undefined,
    });
  });

  it('gives zeros and no versions for no report', () => {
    expect(summariseReports([])).toEqual({
      currentVersion: undefined,
      targetVersion: undefined,
      appliedCount: 0,
      pendingCount: 0,
      statementCount: 0,
      durationMs: undefined,
      failed: undefined,
    });
  });

  it('does not count a failed file as applied, nor its failed statement as run', () => {
    const summary = summariseReports([
      report({
        current: '1',
        target: '3',
        pending: [file('2_a.sql', []), file('3_b.sql', [])],
        applied: [
          file('2_a.sql', ['CREATE TABLE a (id int);', 'CREATE TABLE b (id int);']),
          file('3_b.sql', ['CREATE TABLE c (id int);', 'ALTER TABLE x ADD y int;'], {
            statement: 'ALTER TABLE x ADD y int;',
            text: 'pq: relation "x" does not exist',
          }),
        ],
      }),
    ]);
    expect(summary).toMatchObject({
      currentVersion: '1',
      targetVersion: '3',
      appliedCount: 1,
      pendingCount: 2,
      statementCount: 3,
      failed: {
        file: '3_b.sql',
        statement: 'ALTER TABLE x ADD y int;',
        text: 'pq: relation "x" does not exist',
      },
    });
  });

  it('counts every listed statement of a failed file whose error is not one of them', () => {
    // Atlas's LogError without a statement (e.g. a failed commit) records Stmt from e.SQL.
    const summary = summariseReports([
      report({
        applied: [
          file('2_a.sql', ['SELECT 1;', 'SELECT 2;'], { statement: '', text: 'commit failed' }),
        ],
      }),
    ]);
    expect(summary.statementCount).toBe(2);
    expect(summary.failed).toEqual({ file: '2_a.sql', text: 'commit failed' });
  });

  it("reports a report's own error when no statement failed", () => {
    const summary = summariseReports([report({ error: 'sql/migrate: read revisions: boom' })]);
    expect(summary.failed).toEqual({ text: 'sql/migrate: read revisions: boom' });
  });

  it('takes the first target for the versions and sums the counts over targets', () => {
    const summary = summariseReports([
      report({
        current: '1',
        target: '2',
        pending: [file('2_a.sql', [])],
        applied: [file('2_a.sql', ['A;', 'B;'])],
        durationMs: 12.5,
      }),
      report({ current: '0', target: '2', pending: [file('1_a.sql', []), file('2_a.sql', [])] }),
      report({
        current: '2',
        target: '2',
        pending: [file('3_c.sql', [])],
        applied: [file('3_c.sql', ['C;'], { statement: 'C;', text: 'second failure' })],
        durationMs: 7.5,
        error: 'ignored: a statement failed first',
      }),
      report({ error: 'later failure' }),
    ]);
    expect(summary).toEqual({
      currentVersion: '1',
      targetVersion: '2',
      appliedCount: 1,
      pendingCount: 4,
      statementCount: 2,
      durationMs: 20,
      failed: { file: '3_c.sql', statement: 'C;', text: 'second failure' },
    });
  });

  it('counts the statements of a dry run, which the report lists the same way', () => {
    const summary = summariseReports([
      report({ pending: [file('2_a.sql', [])], applied: [file('2_a.sql', ['A;', 'B;', 'C;'])] }),
    ]);
    expect(summary).toMatchObject({ appliedCount: 1, statementCount: 3, failed: undefined });
  });
});

describe('instantNs', () => {
  it('keeps nanoseconds', () => {
    expect(instantNs('2024-03-10T17:00:00.123456789Z')! - instantNs('2024-03-10T17:00:00Z')!).toBe(
      123_456_789n,
    );
    expect(instantNs('1970-01-01T00:00:00.000000001Z')).toBe(1n);
  });

  it('applies the offset', () => {
    expect(instantNs('2024-03-10T19:00:00.5+02:00')).toBe(instantNs('2024-03-10T17:00:00.5Z'));
    expect(instantNs('2024-03-10T12:30:00-04:30')).toBe(instantNs('2024-03-10T17:00:00Z'));
    expect(instantNs('2024-03-10t17:00:00z')).toBe(instantNs('2024-03-10T17:00:00Z'));
  });

  it.each([
    ['Go zero time', ZERO],
    ['an impossible day', '2024-02-30T00:00:00Z'],
    ['an impossible hour', '2024-03-10T24:00:00Z'],
    ['no zone', '2024-03-10T17:00:00'],
    ['ten fraction digits', '2024-03-10T17:00:00.1234567890Z'],
    ['a date only', '2024-03-10'],
    ['an impossible offset', '2024-03-10T17:00:00+25:00'],
  ])('rejects %s', (_name, text) => {
    expect(instantNs(text)).toBeUndefined();
  });
});

describe('migrationReportOutput past GitHub output limits', () => {
  it('leaves the statements out (counting them) when the report would exceed 512 KiB', () => {
    const big = 'INSERT INTO t VALUES (' + 'x'.repeat(1000) + ');';
    const line = JSON.stringify({
      Driver: 'postgres',
      Dir: 'file://migrations',
      Pending: [{ Name: '2_seed.sql', Version: '2', Description: 'seed' }],
      Applied: [
        {
          Name: '2_seed.sql',
          Version: '2',
          Description: 'seed',
          Applied: Array.from({ length: 800 }, () => big),
          Error: { Stmt: big, Text: 'pq: boom' },
        },
      ],
      Current: '1',
      Target: '2',
      Start: '2024-01-01T00:00:00Z',
      End: '2024-01-01T00:00:01Z',
      Error: 'sql/migrate: boom',
    });
    const output = migrationReportOutput(parseAtlasReports([line]));
    expect(Buffer.byteLength(output)).toBeLessThan(MAX_REPORT_OUTPUT_BYTES);
    expect(JSON.parse(output)).toEqual([
      expect.objectContaining({
        Current: '1',
        Target: '2',
        Applied: [
          expect.objectContaining({
            Name: '2_seed.sql',
            Statements: 800,
            Error: { Text: 'pq: boom' },
          }),
        ],
      }),
    ]);
  });
});
