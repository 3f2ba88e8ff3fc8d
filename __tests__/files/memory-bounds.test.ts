// Cheap guards for the memory figures of `npm run bench` (bench/memory-scale.ts): reading a project
// keeps a bounded amount of file content, however large the directory, and the layer builder pulls
// a large file through in chunks, only a bounded distance ahead of what the sink has taken.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { readMigrationProject } from '../../src/files/read-project';
import { STREAM_FROM, writeLayer } from '../../src/image/layer';
import { MediaType } from '../../src/image/types';
import { computeAtlasSum } from '../../src/migrations/atlas-sum';
import type { ProjectFile } from '../../src/project-file';

const MIB = 1024 * 1024;
/** What read-project may keep in memory between the checks and the image. */
const KEEP_BUDGET = 4 * MIB;
const ATLAS_HCL = 'env "deploy" {\n  migration {\n    dir = "file://migrations"\n  }\n}\n';

let workspace: string;

beforeEach(async () => {
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'memory-bounds-'));
});

afterEach(async () => {
  await fs.rm(workspace, { recursive: true, force: true });
});

/** `count` migrations of `size` bytes each (not compressible) and their atlas.sum. */
async function writeProject(count: number, size: number): Promise<void> {
  const dir = path.join(workspace, 'migrations');
  await fs.mkdir(dir);
  await fs.writeFile(path.join(workspace, 'atlas.hcl'), ATLAS_HCL);
  const files = [];
  for (let i = 0; i < count; i++) {
    const name = `${1000 + i}_seed.sql`;
    const content = Buffer.from(`-- ${i}\n${randomBytes(size / 2).toString('hex')}`).subarray(
      0,
      size,
    );
    await fs.writeFile(path.join(dir, name), content);
    files.push({ name, content });
  }
  await fs.writeFile(path.join(dir, 'atlas.sum'), computeAtlasSum(files));
}

const keptBytes = (files: readonly ProjectFile[]) =>
  files.reduce((sum, file) => sum + (file.content?.length ?? 0), 0);

describe('memory bounds', () => {
  it('keeps at most the budget of file content, whatever the size of the directory', async () => {
    // 8 MB of small files: twice what may be kept.
    await writeProject(400, 20_000);
    const project = await readMigrationProject({
      workspace,
      migrationsDir: 'migrations',
      atlasConfig: 'atlas.hcl',
      atlasEnv: 'deploy',
    });
    expect(project.migrations).toHaveLength(400);
    const kept = keptBytes(project.files);
    expect(kept).toBeGreaterThan(KEEP_BUDGET / 2);
    expect(kept).toBeLessThanOrEqual(KEEP_BUDGET);
    expect(project.files.filter((f) => f.content === undefined).length).toBeGreaterThan(150);

    // The files read again from disk give the image the same bytes as the ones kept would.
    const nothingKept = project.files.map((f) => ({ ...f, content: undefined }));
    const build = async (files: readonly ProjectFile[], name: string) => {
      const layer = await writeLayer(
        files.map((file) => ({
          path: `workspace/${file.path}`,
          size: file.size,
          executable: file.executable,
          open: () => {
            throw new Error('small files are read whole');
          },
          read: () => file.content ?? fs.readFile(file.absolutePath),
        })),
        createWriteStream(path.join(workspace, name)),
        { mediaType: MediaType.ociLayerGzip },
      );
      return layer.digest;
    };
    expect(await build(project.files, 'kept.tar.gz')).toBe(await build(nothingKept, 'read.tar.gz'));
  });

  it('streams a large file through the layer a bounded distance ahead of the sink', async () => {
    const size = 16 * MIB;
    expect(size).toBeGreaterThanOrEqual(STREAM_FROM);
    let produced = 0;
    let received = 0;
    let mostAhead = 0;
    let biggestChunk = 0;
    // Incompressible, so what reaches the sink keeps pace with what was read.
    const source = new Readable({
      highWaterMark: 64 * 1024,
      read(wanted) {
        const left = size - produced;
        if (left === 0) {
          this.push(null);
          return;
        }
        const chunk = randomBytes(Math.min(wanted, left));
        produced += chunk.length;
        biggestChunk = Math.max(biggestChunk, chunk.length);
        this.push(chunk);
      },
    });
    const slowSink = new Writable({
      highWaterMark: 16 * 1024,
      write(data: Buffer, _encoding, callback) {
        received += data.length;
        mostAhead = Math.max(mostAhead, produced - received);
        setImmediate(callback);
      },
    });
    let opened = 0;
    const layer = await writeLayer(
      [
        {
          path: 'workspace/migrations/1_seed.sql',
          size,
          executable: false,
          open: () => {
            opened++;
            return source;
          },
          read: () => {
            throw new Error('a large file must be streamed, not read whole');
          },
        },
      ],
      slowSink,
      { mediaType: MediaType.ociLayerGzip },
    );
    expect(opened).toBe(1);
    // Two parent directories and the file: one header each, then the end-of-archive blocks.
    expect(layer.uncompressedSize).toBe(3 * 512 + size + 1024);
    expect(received).toBe(layer.size);
    expect(biggestChunk).toBeLessThanOrEqual(64 * 1024);
    // Stream buffers between the stages (tar, hashing, gzip, sink) only: a few hundred KiB,
    // far from the 16 MiB file.
    expect(mostAhead).toBeLessThan(2 * MIB);
  });
});
