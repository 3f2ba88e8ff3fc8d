import { createHash } from 'node:crypto';
import {
  SUM_FIX,
  computeAtlasSum,
  verifyAtlasSum,
  type MigrationFile,
} from '../../src/migrations/atlas-sum';

const file = (name: string, content: string | Buffer): MigrationFile => ({
  name,
  content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
});

// The vector from shared/design/testing.md, checked there against Atlas's own Go code.
const INIT = file('1_init.sql', 'CREATE TABLE users (id int);\n');
const NAME = file('2_name.sql', 'ALTER TABLE users ADD name text;\n');
const VECTOR_SUM = [
  'h1:USmm/44hv0NxpyPeNw/PRUKN6q+OqueFd1utiUoJCQg=',
  '1_init.sql h1:t9/ZVRELZ0UDSr7yPTgIdQpsXlqPZNtBMYoE4P0Rrd4=',
  '2_name.sql h1:U/qQT4adrxDWYhWRLpXhFrwWoYa8FPM5HWAqbatpRtw=',
  '',
].join('\n');

const SUM_PATH = 'db/migrations/atlas.sum';

/** An independent spelling of Atlas's algorithm, for inputs no published vector covers. */
function expectedSum(listed: { name: string; content?: Buffer }[]): string {
  const running = createHash('sha256');
  const entries: [string, string][] = [];
  for (const f of listed) {
    running.update(Buffer.from(f.name, 'utf8'));
    if (f.content === undefined) continue; // ignored: the name counts, nothing is listed
    running.update(f.content);
    entries.push([f.name, running.copy().digest('base64')]);
  }
  const total = createHash('sha256');
  for (const [n, h] of entries) total.update(n + h);
  return [`h1:${total.digest('base64')}`, ...entries.map(([n, h]) => `${n} h1:${h}`), ''].join(
    '\n',
  );
}

describe('computeAtlasSum', () => {
  it('matches the published test vector byte for byte', () => {
    expect(computeAtlasSum([INIT, NAME])).toBe(VECTOR_SUM);
  });

  it('matches atlas.sum files that Atlas wrote in its own repository', () => {
    // ariga/atlas sql/migrate/testdata/migrate and cmd/atlas/internal/cmdapi/testdata/baseline2.
    expect(
      computeAtlasSum([
        file('1_initial.up.sql', 'CREATE TABLE t(c int);'),
        file('1_initial.down.sql', 'DROP TABLE IF EXISTS t;'),
      ]),
    ).toBe(
      [
        'h1:M74RrNK69S2pj6C541LR1ew5O32/i0WoyNgsJmyuiUk=',
        '1_initial.down.sql h1:0zypK43rgPbgvVUgVJABGN25VgM1QSeU+LJDBb8cEQI=',
        '1_initial.up.sql h1:hFhs5XhRml4KTWGF5td6h1s7xNqAFnaEBbC5Y/NF7i4=',
        '',
      ].join('\n'),
    );
    expect(
      computeAtlasSum([
        file(
          '1_baseline.sql',
          '-- create "baseline" table\nCREATE TABLE baseline (`c` int NOT NULL);\n',
        ),
        file(
          '20220318104614_initial.sql',
          '-- create "tbl" table\nCREATE TABLE tbl (`col` int NOT NULL);\n',
        ),
        file('20220318104615_second.sql', 'ALTER TABLE `tbl` ADD `col_2` bigint;\n'),
      ]),
    ).toBe(
      [
        'h1:sxNQqhuqhm1fLpr3WN9N/M/niaS81Y7k5RrSaKpmBZE=',
        '1_baseline.sql h1:rZgkRmNcN2UEKgxru1nHCpBRVn/fjFavyQ4xxPxhrD4=',
        '20220318104614_initial.sql h1:/B1/+IxzgrRc4tCm1tpcpMhocHgqkdWF+iffxuguYaQ=',
        '20220318104615_second.sql h1:nUc1cUvm8BzjTZdbavM1IRlNpfhtyY3YyZJ8v23K9j4=',
        '',
      ].join('\n'),
    );
  });

  it('hashes an empty directory to the hash of nothing', () => {
    expect(computeAtlasSum([])).toBe('h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n');
  });

  it('counts only top-level *.sql files, whatever order they come in', () => {
    const withNoise = [
      NAME,
      file('README.md', '# notes'),
      file('atlas.sum', 'h1:whatever'),
      file('sub/1_nested.sql', 'SELECT 1;'),
      file('3_upper.SQL', 'SELECT 1;'),
      file('4_backup.sql.bak', 'SELECT 1;'),
      INIT,
    ];
    expect(computeAtlasSum(withNoise)).toBe(VECTOR_SUM);
  });

  it('includes dot-files and a file named just .sql, as Go’s glob does', () => {
    const files = [file('.hidden.sql', 'a'), file('.sql', 'b'), INIT];
    expect(computeAtlasSum(files)).toBe(
      expectedSum([
        { name: '.hidden.sql', content: files[0]!.content },
        { name: '.sql', content: files[1]!.content },
        { name: INIT.name, content: INIT.content },
      ]),
    );
  });

  it('hashes CRLF content as the bytes it is', () => {
    const crlf = file('1_init.sql', 'CREATE TABLE users (id int);\r\n');
    const sum = computeAtlasSum([crlf, NAME]);
    expect(sum).not.toBe(VECTOR_SUM);
    expect(sum).toBe(expectedSum([crlf, NAME]));
  });

  it('sorts non-ASCII names by their UTF-8 bytes, not UTF-16 units', () => {
    // U+FF01 (EF BC 81) sorts before U+1F600 (F0 9F 98 80) in UTF-8; UTF-16 puts the emoji first.
    const fullwidth = file('\uFF01.sql', 'SELECT 1;');
    const emoji = file('\u{1F600}.sql', 'SELECT 2;');
    const accented = file('é_init.sql', 'SELECT 3;');
    const sum = computeAtlasSum([emoji, fullwidth, accented]);
    expect(
      sum
        .split('\n')
        .slice(1, 4)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['é_init.sql', '\uFF01.sql', '\u{1F600}.sql']);
    expect(sum).toBe(expectedSum([accented, fullwidth, emoji]));
  });

  it('leaves a file with the ignore directive out, while its name still counts', () => {
    const ignored = file('1b_seed.sql', '-- atlas:sum ignore\nINSERT INTO users VALUES (1);\n');
    const sum = computeAtlasSum([INIT, ignored, NAME]);
    expect(sum).not.toContain('1b_seed.sql');
    expect(sum).not.toBe(VECTOR_SUM);
    expect(sum).toBe(expectedSum([INIT, { name: ignored.name }, NAME]));
  });

  describe('directive detection, as Atlas’s pattern reads the first line', () => {
    const cases: [string, boolean][] = [
      ['-- atlas:sum ignore\nSELECT 1;', true],
      ['atlas:sum ignore', true],
      ['//atlas:sum ignore\nbar', true],
      ['# atlas:sum ignore\n', true],
      ['SELECT 1; -- atlas:sum ignore\n', true],
      ['-- atlas:sum  ignore\n', true],
      ['//atlas:sum\nfoo', false],
      ['-- atlas:sum ignore\r\nSELECT 1;', false], // Atlas ≥ 1.1 keeps the \r in the argument
      ['-- atlas:sum ignore \n', false],
      ['-- atlas:sum IGNORE\n', false],
      ['-- atlas:sum ignore-me\n', false],
      ['\n-- atlas:sum ignore\n', false],
      ['-- atlas:txmode none\n-- atlas:sum ignore\n', false],
      ['— atlas:sum ignore\n', false], // non-ASCII before the directive
      ['-- atlas:sum ignore -- atlas:delimiter x\n', false], // the last directive on the line wins
      ['-- atlas:summary ignore\n', false],
    ];
    it.each(cases)('%j → ignored: %s', (content, ignored) => {
      const sum = computeAtlasSum([file('1.sql', content)]);
      expect(sum.includes('\n1.sql h1:')).toBe(!ignored);
    });
  });
});

describe('verifyAtlasSum', () => {
  const lines = VECTOR_SUM.split('\n');

  it('accepts the matching atlas.sum, with LF or CRLF line ends', () => {
    expect(verifyAtlasSum([INIT, NAME], VECTOR_SUM, SUM_PATH)).toEqual([]);
    expect(verifyAtlasSum([INIT, NAME], VECTOR_SUM.replace(/\n/g, '\r\n'), SUM_PATH)).toEqual([]);
  });

  it('accepts a directory without migrations and without atlas.sum, as Atlas does', () => {
    expect(verifyAtlasSum([file('README.md', 'x')], undefined, SUM_PATH)).toEqual([]);
  });

  it('reports a missing atlas.sum', () => {
    expect(verifyAtlasSum([INIT, NAME], undefined, SUM_PATH)).toEqual([
      {
        kind: 'missing',
        location: { file: SUM_PATH },
        message:
          'db/migrations/atlas.sum is missing; Atlas refuses to apply the 2 migration file(s) in db/migrations without it',
        fix: SUM_FIX,
      },
    ]);
  });

  it('reports an edited first file on its line, and not the files hashed after it', () => {
    const edited = file(INIT.name, 'CREATE TABLE users (id bigint);\n');
    expect(verifyAtlasSum([edited, NAME], VECTOR_SUM, SUM_PATH)).toEqual([
      {
        kind: 'edited',
        migration: '1_init.sql',
        location: { file: SUM_PATH, line: 2 },
        message:
          'db/migrations/1_init.sql was changed after atlas.sum was written: its hash on line 2 no longer matches',
        fix: SUM_FIX,
      },
    ]);
  });

  it('reports an edited last file on its line', () => {
    const edited = file(NAME.name, 'ALTER TABLE users ADD name varchar;\n');
    const problems = verifyAtlasSum([INIT, edited], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['edited', '2_name.sql', 3],
    ]);
  });

  it('reports a CRLF conversion of a file as an edit', () => {
    const crlf = file(INIT.name, 'CREATE TABLE users (id int);\r\n');
    const problems = verifyAtlasSum([crlf, NAME], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['edited', '1_init.sql', 2],
    ]);
  });

  it('reports a file added at the end at line 1', () => {
    const added = file('3_email.sql', 'ALTER TABLE users ADD email text;\n');
    expect(verifyAtlasSum([INIT, NAME, added], VECTOR_SUM, SUM_PATH)).toEqual([
      {
        kind: 'added',
        migration: '3_email.sql',
        location: { file: SUM_PATH, line: 1 },
        message:
          'db/migrations/3_email.sql is not listed in atlas.sum: it was added after atlas.sum was written',
        fix: SUM_FIX,
      },
    ]);
  });

  it('reports a file added between listed ones as added only, not the later files as edited', () => {
    const added = file('1a_index.sql', 'CREATE INDEX i ON users (id);\n');
    const problems = verifyAtlasSum([INIT, added, NAME], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['added', '1a_index.sql', 1],
    ]);
  });

  it('finds an edit behind an added file', () => {
    const added = file('0_schema.sql', 'CREATE SCHEMA app;\n');
    const edited = file(NAME.name, 'ALTER TABLE users ADD name varchar;\n');
    const problems = verifyAtlasSum([added, INIT, edited], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['added', '0_schema.sql', 1],
      ['edited', '2_name.sql', 3],
    ]);
  });

  it('reports a removed file on the line of its entry', () => {
    expect(verifyAtlasSum([NAME], VECTOR_SUM, SUM_PATH)).toEqual([
      {
        kind: 'removed',
        migration: '1_init.sql',
        location: { file: SUM_PATH, line: 2 },
        message: 'atlas.sum lists db/migrations/1_init.sql on line 2, but the file is gone',
        fix: SUM_FIX,
      },
    ]);
    const problems = verifyAtlasSum([INIT], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['removed', '2_name.sql', 3],
    ]);
  });

  it('reports every added and removed file together', () => {
    const renamed = file('2_user_name.sql', NAME.content);
    const problems = verifyAtlasSum([INIT, renamed], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['added', '2_user_name.sql', 1],
      ['removed', '2_name.sql', 3],
    ]);
  });

  it('reports a listed file that now carries the ignore directive', () => {
    const nowIgnored = file(NAME.name, `-- atlas:sum ignore\n${NAME.content.toString()}`);
    const problems = verifyAtlasSum([INIT, nowIgnored], VECTOR_SUM, SUM_PATH);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'edited', migration: '2_name.sql' });
    expect(problems[0]!.location).toEqual({ file: SUM_PATH, line: 3 });
    expect(problems[0]!.message).toContain("now starts with 'atlas:sum ignore'");
  });

  it('names an ignored file added before a listed one, whose name changed the later hashes', () => {
    const ignored = file('1b_seed.sql', '-- atlas:sum ignore\nINSERT INTO users VALUES (1);\n');
    const problems = verifyAtlasSum([INIT, ignored, NAME], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.migration, p.location.line])).toEqual([
      ['added', '1b_seed.sql', 1],
    ]);
    expect(problems[0]!.message).toContain('db/migrations/1b_seed.sql was added');
  });

  it('accepts an ignored file that was there when atlas.sum was written', () => {
    const ignored = file('1b_seed.sql', '-- atlas:sum ignore\nINSERT INTO users VALUES (1);\n');
    const sum = computeAtlasSum([INIT, ignored, NAME]);
    expect(verifyAtlasSum([INIT, ignored, NAME], sum, SUM_PATH)).toEqual([]);
    expect(verifyAtlasSum([INIT, ignored, NAME, file('sub/x.sql', 'x')], sum, SUM_PATH)).toEqual(
      [],
    );
  });

  it('reports a total hash that does not match its entries on line 1', () => {
    const tampered = ['h1:AAAA' + lines[0]!.slice(7), ...lines.slice(1)].join('\n');
    expect(verifyAtlasSum([INIT, NAME], tampered, SUM_PATH)).toEqual([
      {
        kind: 'total',
        location: { file: SUM_PATH, line: 1 },
        message:
          'the total hash on line 1 of db/migrations/atlas.sum does not match the entries below it (edited by hand or merged)',
        fix: SUM_FIX,
      },
    ]);
  });

  it('does not add a total-hash problem when a file problem explains it', () => {
    const edited = file(INIT.name, 'x');
    const problems = verifyAtlasSum([edited, NAME], VECTOR_SUM, SUM_PATH);
    expect(problems.map((p) => p.kind)).toEqual(['edited']);
  });

  it('reports leftover merge conflict markers and other malformed lines', () => {
    const conflicted = [
      lines[0],
      lines[1],
      '<<<<<<< HEAD',
      lines[2],
      '=======',
      '2_other.sql h1:U/qQT4adrxDWYhWRLpXhFrwWoYa8FPM5HWAqbatpRtw=',
      '>>>>>>> feature',
      '',
    ].join('\n');
    const problems = verifyAtlasSum([INIT, NAME], conflicted, SUM_PATH);
    expect(problems.map((p) => [p.kind, p.location.line, p.message])).toEqual([
      ['malformed', 3, `${SUM_PATH}: line 3 is a leftover merge conflict marker`],
      ['malformed', 5, `${SUM_PATH}: line 5 is a leftover merge conflict marker`],
      ['malformed', 7, `${SUM_PATH}: line 7 is a leftover merge conflict marker`],
    ]);
    expect(problems.every((p) => p.fix === SUM_FIX)).toBe(true);

    const garbled = [lines[0], '1_init.sql t9/ZVRELZ0UDSr7yPTgIdQpsXlq=', '', lines[2], ''].join(
      '\n',
    );
    expect(
      verifyAtlasSum([INIT, NAME], garbled, SUM_PATH).map((p) => [p.location.line, p.message]),
    ).toEqual([
      [2, `${SUM_PATH}: line 2 is not of the form '<file> h1:<hash>'`],
      [3, `${SUM_PATH}: line 3 is empty`],
    ]);
  });

  it('reports an entry listed twice', () => {
    const twice = [...lines.slice(0, 3), lines[2], ''].join('\n');
    expect(verifyAtlasSum([INIT, NAME], twice, SUM_PATH)).toEqual([
      expect.objectContaining({
        kind: 'malformed',
        location: { file: SUM_PATH, line: 4 },
        message: `${SUM_PATH}: line 4 lists 2_name.sql again (first on line 3)`,
      }),
    ]);
  });

  it('reports an empty atlas.sum', () => {
    expect(verifyAtlasSum([INIT], '', SUM_PATH)).toEqual([
      expect.objectContaining({
        kind: 'malformed',
        location: { file: SUM_PATH, line: 1 },
        message: `${SUM_PATH}: atlas.sum is empty`,
      }),
    ]);
  });

  it('names files relative to the workspace root when atlas.sum sits there', () => {
    const [problem] = verifyAtlasSum([NAME], VECTOR_SUM, 'atlas.sum');
    expect(problem!.message).toBe('atlas.sum lists 1_init.sql on line 2, but the file is gone');
  });
});
