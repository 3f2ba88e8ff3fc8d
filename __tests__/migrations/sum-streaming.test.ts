// The shortcuts that keep atlas.sum checks fast and large files out of memory must give exactly
// the answers of the plain definitions: byte-wise name order, the directive on the whole first
// line, and hashing a Buffer.
import {
  computeAtlasSum,
  verifyAtlasSum,
  type MigrationFile,
  type MigrationSource,
} from '../../src/migrations/atlas-sum';
import { isSumIgnored, sumIgnoredFromHead } from '../../src/migrations/sum-directive';
import { compareNames, hashEntries } from '../../src/migrations/sum-hash';

let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

const UNITS = [
  'a',
  'b',
  'z',
  '_',
  '/',
  '-',
  '.',
  '\u007f',
  '\u00e9',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\ufffd',
  '\uffff',
  '\u{10000}',
  '\u{1f600}',
  '\u{10ffff}',
  '\ud83d', // lone high surrogate
  '\ude00', // lone low surrogate
];

function randomName(): string {
  let name = '';
  const length = Math.floor(random() * 6);
  for (let i = 0; i < length; i++) name += UNITS[Math.floor(random() * UNITS.length)];
  return name;
}

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('compareNames', () => {
  it('orders like the UTF-8 bytes, surrogates included', () => {
    for (let i = 0; i < 50_000; i++) {
      const a = randomName();
      // Often a shared prefix, so the first difference falls anywhere.
      const b =
        random() < 0.5
          ? a.slice(0, Math.floor(random() * (a.length + 1))) + randomName()
          : randomName();
      expect([a, b, compareNames(a, b)]).toEqual([a, b, bytewise(a, b)]);
    }
  });

  it('sorts like Buffer.compare', () => {
    const names = Array.from({ length: 2000 }, randomName);
    expect([...names].sort(compareNames)).toEqual([...names].sort(bytewise));
  });
});

describe('sumIgnoredFromHead', () => {
  const firstLines = [
    '-- atlas:sum ignore',
    '-- atlas:sum ignore\r',
    'atlas:sum ignore',
    'atlas:sum   ignore',
    '#atlas:sum ignore ',
    '-- atlas:sum ignored',
    '-- atlas:sum',
    '-- atlas:sumignore',
    '\u0001atlas:sum ignore',
    '-- caf\u00e9 atlas:sum ignore',
    '-- atlas:sum ignore atlas:foo',
    '-- atlas:foo atlas:sum ignore',
    'x'.repeat(5000) + ' atlas:sum ignore',
    'x'.repeat(5000) + ' atlas:sum nope',
    // The ends of printable ASCII: space and '~' are allowed before the directive, tab and DEL not.
    ' atlas:sum ignore',
    '~~ atlas:sum ignore',
    '\tatlas:sum ignore',
    '\u007fatlas:sum ignore',
    '\u001fatlas:sum ignore',
    'CREATE TABLE t (id int);',
    '',
  ];

  it.each(firstLines.map((l) => [l.slice(0, 40)]))(
    'decides as isSumIgnored does, from any prefix: %j',
    (start) => {
      const line = firstLines.find((l) => l.slice(0, 40) === start)!;
      for (const rest of ['', '\n', '\nSELECT 1;\n', '\n-- atlas:sum ignore\n']) {
        const content = Buffer.from(line + rest, 'latin1');
        const expected = isSumIgnored(content);
        for (let length = 0; length <= content.length; length++) {
          const head = content.subarray(0, length);
          const whole = length === content.length;
          // Checked from scratch, and as a reader growing its buffer would ask.
          for (const checked of [0, Math.max(0, length - 7)]) {
            const decided = sumIgnoredFromHead(head, whole, checked);
            if (decided !== undefined)
              expect([line, length, decided]).toEqual([line, length, expected]);
          }
          if (whole) expect(sumIgnoredFromHead(head, true)).toBe(expected);
        }
      }
    },
  );
});

/** The same file, its content handed out in small chunks as a file on disk would be. */
function streamed(file: MigrationFile): MigrationSource {
  return {
    name: file.name,
    content: {
      ignored: isSumIgnored(file.content),
      forEachChunk(consume) {
        for (let offset = 0; offset < file.content.length; offset += 3) {
          consume(file.content.subarray(offset, offset + 3));
        }
      },
    },
  };
}

describe('hashing content read from disk in chunks', () => {
  const file = (name: string, text: string): MigrationFile => ({
    name,
    content: Buffer.from(text),
  });
  const INIT = file('1_init.sql', 'CREATE TABLE users (id int);\n');
  const NAME = file('2_name.sql', 'ALTER TABLE users ADD name text;\n');
  const IGNORED = file('1b_seed.sql', '-- atlas:sum ignore\nINSERT INTO users VALUES (1);\n');
  const SUM = computeAtlasSum([INIT, IGNORED, NAME]);

  it('gives the entries of the same bytes in memory', () => {
    const files = [INIT, IGNORED, NAME];
    expect(hashEntries(files.map(streamed))).toEqual(hashEntries(files));
  });

  it.each([
    ['unchanged', [INIT, IGNORED, NAME], SUM],
    ['edited', [file('1_init.sql', 'CREATE TABLE users (id bigint);\n'), IGNORED, NAME], SUM],
    ['added', [INIT, IGNORED, NAME, file('3_more.sql', 'SELECT 1;\n')], SUM],
    ['removed', [INIT, IGNORED], SUM],
    ['newly ignored', [INIT, IGNORED, file('2_name.sql', '-- atlas:sum ignore\n')], SUM],
    ['ignored file added', [INIT, IGNORED, file('1c.sql', '-- atlas:sum ignore\nX'), NAME], SUM],
    ['total edited', [INIT, IGNORED, NAME], SUM.replace(/^h1:./, 'h1:Z')],
    ['no atlas.sum', [INIT, NAME], undefined],
  ])('reports the same problems: %s', (_label, files, sum) => {
    const inMemory = verifyAtlasSum(files, sum, 'migrations/atlas.sum');
    expect(verifyAtlasSum(files.map(streamed), sum, 'migrations/atlas.sum')).toEqual(inMemory);
  });
});
