import { renderMigrationSection, type TargetRun } from '../../src/report/render-migration';

const users = { name: '2_users.sql', version: '2', description: 'users' };
const orders = { name: '3_orders.sql', version: '3', description: 'orders' };

const applied: TargetRun = {
  current: '1',
  target: '3',
  pending: [users, orders],
  applied: [
    { ...users, statements: ['CREATE TABLE users (id int);'], durationMs: 12.4 },
    {
      ...orders,
      statements: ['CREATE TABLE orders (id int);', 'CREATE INDEX o ON orders (id);'],
      durationMs: 1500,
    },
  ],
  durationMs: 1520,
};

describe('renderMigrationSection', () => {
  it('an applied migration: versions, files, statements and time, then each file', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [applied],
      source: { taskId: 'abc', tasksRead: 2 },
    }).join('\n');
    expect(text).toContain(
      'Migrated `1` → `3`: **2 files** of 2 pending, **3 statements** in 1.5 s.',
    );
    expect(text).toContain(
      '| Status | Version | Description | Statements | Time |\n|---|---|---|--:|--:|',
    );
    expect(text).toContain('| ✅ | `2` | users | 1 | 12 ms |');
    expect(text).toContain('| ✅ | `3` | orders | 2 | 1.5 s |');
    expect(text).toContain(
      'Statements run:\n\n`2_users.sql`\n\n```sql\nCREATE TABLE users (id int);\n```',
    );
    expect(text).toContain(
      "<sub>Atlas's report from task `abc`; 1 other task(s) read first had nothing to apply.</sub>",
    );
    expect(text).not.toContain('<details>');
  });

  it('folds long statement lists', () => {
    const many = Array.from({ length: 11 }, (_, i) => `INSERT INTO t VALUES (${i});`);
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [{ ...applied, applied: [{ ...users, statements: many }], pending: [users] }],
    }).join('\n');
    expect(text).toContain('<details><summary>Statements run (11)</summary>');
  });

  it('nothing pending', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [{ current: '3', pending: [], applied: [] }],
    }).join('\n');
    expect(text).toBe('No migration files to execute: the database is at version `3`.\n');
  });

  it('a failed statement: cause and fix first, then the database error, the statement, the files', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [
        {
          ...applied,
          applied: [
            applied.applied[0]!,
            {
              ...orders,
              statements: ['CREATE TABLE orders (id int);', 'CREATE INDEX o ON nope (id);'],
              error: {
                statement: 'CREATE INDEX o ON nope (id);',
                text: 'pq: relation "nope" does not exist',
              },
            },
          ],
          error: 'sql/migrate: executing statement ...',
        },
      ],
      hint: { cause: 'A statement failed.', fix: 'Fix the migration file.' },
    }).join('\n');
    const order = [
      '**Cause:**',
      '**Fix:**',
      "The database's error in `3_orders.sql`",
      'pq: relation',
      'The failing statement',
      '| ❌ | `3` | orders | 1 ok, 1 failed |',
    ];
    const at = order.map((needle) => text.indexOf(needle));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain(
      'Failed in `3` after **1 file** of 2 pending (from `1`); **2 statements** ran',
    );
    // The failing statement is shown once, with the error, not again among those that ran.
    expect(text.split('CREATE INDEX o ON nope (id);')).toHaveLength(2);
  });

  it('an error raised before any report: the error lines and why there is no report', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [],
      errorLines: ['Error: sql/migrate: acquiring database lock: lock is held by other session'],
      problem: 'the log holds no Atlas JSON report',
      source: { taskId: 'abc', tasksRead: 1 },
    }).join('\n');
    expect(text).not.toContain("Atlas's report from task");
    expect(text).toContain(
      '> `Error: sql/migrate: acquiring database lock: lock is held by other session`',
    );
    // Atlas stopped before its report: the error says why, no line about a missing report.
    expect(text).not.toContain("Atlas's report could not be read");
  });

  it('says why there is no report when nothing else explains it', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [],
      problem: 'log stream /ecs/web/ecs/atlas/abc does not exist',
    }).join('\n');
    expect(text).toBe(
      "Atlas's report could not be read: log stream /ecs/web/ecs/atlas/abc does not exist.\n",
    );
  });

  it('a plan: what a deploy would apply, with the statements; several targets each get a heading', () => {
    const plan = renderMigrationSection({
      kind: 'plan',
      targets: [applied, { current: '3', pending: [], applied: [] }],
    }).join('\n');
    expect(plan).toContain('#### Target 1 of 2');
    expect(plan).toContain('A deploy would apply **2 files** (`1` → `3`), **3 statements**.');
    expect(plan).toContain(
      '| Version | Description | Statements |\n|---|---|--:|\n| `2` | users | 1 |',
    );
    expect(plan).toContain('Statements a deploy would run:');
    expect(plan).toContain(
      '#### Target 2 of 2\n\nNothing to apply: the database is at version `3`.',
    );
  });

  it('a description with a pipe stays in its cell; a fresh database is named so', () => {
    const text = renderMigrationSection({
      kind: 'apply',
      targets: [
        {
          target: '2',
          pending: [users],
          applied: [{ ...users, description: 'a|b', statements: ['SELECT 1;'] }],
        },
      ],
    }).join('\n');
    expect(text).toContain('| ✅ | `2` | a\\|b | 1 |  |');
    expect(text).toContain('Migrated an empty database → `2`');
  });
});
