// Large migration files are hashed from disk in chunks instead of held in memory, and the small
// files' bytes are kept for the image: the checks must give the same answers either way.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileProblem, ValidationErrors } from '../../src/errors';
import {
  readMigrationProject,
  readProjectFile,
  type ReadProjectOptions,
} from '../../src/files/read-project';
import { computeAtlasSum } from '../../src/migrations/atlas-sum';

const MIB = 1024 * 1024;
const ATLAS_HCL = 'env "deploy" {\n  migration {\n    dir = "file://migrations"\n  }\n}\n';

let workspace: string;

beforeEach(async () => {
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'read-project-large-'));
});

afterEach(async () => {
  await fs.rm(workspace, { recursive: true, force: true });
});

const options: () => ReadProjectOptions = () => ({
  workspace,
  migrationsDir: 'migrations',
  atlasConfig: 'atlas.hcl',
  atlasEnv: 'deploy',
});

function noise(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let block = 0, offset = 0; offset < size; block++, offset += 32) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

/** Writes the migrations and an atlas.sum computed for them (before `edit`). */
async function project(
  migrations: Record<string, Buffer>,
  edit: Record<string, Buffer> = {},
): Promise<void> {
  await fs.mkdir(path.join(workspace, 'migrations'));
  await fs.writeFile(path.join(workspace, 'atlas.hcl'), ATLAS_HCL);
  const files = Object.entries(migrations).map(([name, content]) => ({ name, content }));
  await fs.writeFile(path.join(workspace, 'migrations/atlas.sum'), computeAtlasSum(files));
  for (const [name, content] of Object.entries({ ...migrations, ...edit })) {
    await fs.writeFile(path.join(workspace, 'migrations', name), content);
  }
}

async function problems(): Promise<string[]> {
  const error = await readMigrationProject(options()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationErrors);
  return (error as ValidationErrors).errors.map((e) => {
    expect(e).toBeInstanceOf(FileProblem);
    return e.message;
  });
}

describe('readMigrationProject with large migration files', () => {
  const large = {
    '1_schema.sql': Buffer.from('CREATE TABLE t (id int);\n'),
    '2_seed.sql': Buffer.concat([Buffer.from('-- seed\n'), noise('seed', 2 * MIB)]),
    '3_more.sql': Buffer.from('ALTER TABLE t ADD x int;\n'),
  };

  it('accepts an atlas.sum that matches', async () => {
    await project(large);
    const read = await readMigrationProject(options());
    expect(read.migrations).toEqual(['1_schema.sql', '2_seed.sql', '3_more.sql']);
  });

  it('finds an edit in a large file', async () => {
    const edited = Buffer.from(large['2_seed.sql']);
    edited[MIB + 17] = edited[MIB + 17]! ^ 1;
    await project(large, { '2_seed.sql': edited });
    expect(await problems()).toEqual([
      expect.stringMatching(/2_seed\.sql was changed after atlas\.sum was written/),
    ]);
  });

  it('reads the atlas:sum ignore directive of a large file from its first line', async () => {
    const ignored = Buffer.concat([Buffer.from('-- atlas:sum ignore\n'), noise('i', MIB)]);
    await project({ ...large, '2_seed.sql': ignored });
    await expect(readMigrationProject(options())).resolves.toBeDefined();
    // Ignored after atlas.sum was written: Atlas would now leave its content out.
    await fs.rm(workspace, { recursive: true, force: true });
    await fs.mkdir(workspace);
    await project(large, { '2_seed.sql': ignored });
    expect(await problems()).toEqual([
      expect.stringMatching(/2_seed\.sql now starts with 'atlas:sum ignore'/),
    ]);
  });

  it('hashes a large file whose directive line ends in CRLF, as Atlas v1.1+ does', async () => {
    const crlf = Buffer.concat([Buffer.from('-- atlas:sum ignore\r\n'), noise('c', MIB)]);
    await project({ ...large, '2_seed.sql': crlf });
    await expect(readMigrationProject(options())).resolves.toBeDefined();
  });

  it('decides the directive of a first line longer than one read', async () => {
    const longLine = Buffer.from(`--${' x'.repeat(MIB)} atlas:sum ignore\nSELECT 1;\n`);
    await project({ ...large, '2_seed.sql': longLine });
    await expect(readMigrationProject(options())).resolves.toBeDefined();
  });
});

describe('readProjectFile', () => {
  it('gives the bytes the checks verified for a small file, even if it changed since', async () => {
    const sql = Buffer.from('CREATE TABLE t (id int);\n');
    await project({ '1.sql': sql });
    const read = await readMigrationProject(options());
    const file = read.files.find((f) => f.path === 'migrations/1.sql')!;
    await fs.writeFile(file.absolutePath, 'DROP TABLE t;\n');
    expect(file.content?.equals(sql)).toBe(true);
    expect(readProjectFile(file).equals(sql)).toBe(true);
    // A file without kept content is read from disk.
    expect(readProjectFile({ ...file, content: undefined }).toString()).toBe('DROP TABLE t;\n');
  });

  it('reads a large file from disk, at most one byte past its size', async () => {
    const big = noise('big', MIB + 5);
    await project({ '1.sql': big });
    const read = await readMigrationProject(options());
    const file = read.files.find((f) => f.path === 'migrations/1.sql')!;
    expect(file.content).toBeUndefined();
    expect(readProjectFile(file).equals(big)).toBe(true);
    await fs.appendFile(file.absolutePath, 'grown by a lot');
    expect(readProjectFile(file).length).toBe(file.size + 1);
  });

  it('keeps a bounded amount in memory and checks the rest from disk', async () => {
    // 8 files just under 1 MiB: more than the 4 MiB kept.
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 8; i++) files[`${100 + i}_bulk.sql`] = noise(`bulk${i}`, MIB - 100);
    const last = Buffer.from(files['107_bulk.sql']!);
    last[5] = last[5]! ^ 1;
    await project(files, { '107_bulk.sql': last });
    expect(await problems()).toEqual([
      expect.stringMatching(/107_bulk\.sql was changed after atlas\.sum was written/),
    ]);

    await fs.writeFile(path.join(workspace, 'migrations/107_bulk.sql'), files['107_bulk.sql']!);
    const read = await readMigrationProject(options());
    const byName = (name: string) => read.files.find((f) => f.path === `migrations/${name}`)!;
    const kept = read.files.reduce((sum, f) => sum + (f.content?.length ?? 0), 0);
    expect(kept).toBeGreaterThan(3 * MIB);
    expect(kept).toBeLessThanOrEqual(4 * MIB);
    // The first files were kept: changing them on disk changes nothing; the last was not.
    await fs.writeFile(byName('100_bulk.sql').absolutePath, 'changed');
    await fs.writeFile(byName('107_bulk.sql').absolutePath, 'changed');
    expect(readProjectFile(byName('100_bulk.sql')).equals(files['100_bulk.sql']!)).toBe(true);
    expect(readProjectFile(byName('107_bulk.sql')).toString()).toBe('changed');
  });
});
