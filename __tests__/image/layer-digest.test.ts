// Pins the exact bytes of a layer built from a fixed input, so a change to how the layer is
// produced (read-ahead, buffering, chunking) cannot change a digest users already deployed.
// The pinned values were recorded with the layer code before it read small files ahead.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeLayer, type LayerEntry } from '../../src/image/layer';
import { MediaType } from '../../src/image/types';
import { memorySink } from './helpers';

const MIB = 1024 * 1024;

/** Deterministic, incompressible bytes: SHA-256 in counter mode. */
function noise(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let block = 0, offset = 0; offset < size; block++, offset += 32) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

/** Delivers `bytes` in uneven chunks, as a file stream might. */
function chunked(bytes: Buffer): Readable {
  const sizes = [1, 511, 4096, 65536, 7, 100_000];
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

/** The fixed input, with each file's bytes (for offering them through read()). */
function fixedFiles(): { entry: LayerEntry; bytes: Buffer }[] {
  const files: [string, Buffer, boolean?][] = [
    ['workspace/atlas.hcl', Buffer.from('env "deploy" {\n  url = getenv("DB")\n}\n')],
    ['workspace/migrations/atlas.sum', Buffer.from('h1:abc=\n1_init.sql h1:def=\n')],
    ['workspace/migrations/empty.sql', Buffer.alloc(0)],
    ['workspace/migrations/block.sql', Buffer.alloc(512, 0x41)],
    ['workspace/migrations/two-blocks.sql', Buffer.alloc(1024, 0x42)],
    ['workspace/bin/run.sh', Buffer.from('#!/bin/sh\nexec atlas "$@"\n'), true],
    // Longer than 100 bytes: split into the ustar prefix and name.
    [`workspace/${'deep/'.repeat(20)}long.sql`, Buffer.from('SELECT 1;\n')],
    // Not ASCII: needs a PAX header.
    ['workspace/migrations/\u00fcber_\u{1F600}.sql', Buffer.from('SELECT 2;\n')],
    // Around the size from which files are streamed instead of read whole.
    ['workspace/data/just-under.bin', noise('under', MIB - 1)],
    ['workspace/data/exactly.bin', noise('exact', MIB)],
    ['workspace/data/just-over.bin', noise('over', MIB + 1)],
    ['workspace/data/big.bin', noise('big', 3 * MIB + 123), true],
  ];
  for (let i = 0; i < 300; i++) {
    const name = `${String(20240101000000 + i)}_change_${i}.sql`;
    const sql = `-- migration ${i}\nCREATE TABLE "t_${i}" ("id" bigint NOT NULL);\n`;
    files.push([`workspace/migrations/${name}`, Buffer.from(sql.repeat((i % 7) + 1))]);
  }
  return files.map(([path, bytes, executable = false]) => ({
    bytes,
    entry: { path, size: bytes.length, executable, open: () => chunked(bytes) },
  }));
}

const fixedEntries = (): LayerEntry[] => fixedFiles().map((f) => f.entry);

/** The same files, each also offered whole through read(): sync, async or both in turn. */
function offeringRead(mode: 'sync' | 'async' | 'mixed'): LayerEntry[] {
  return fixedFiles().map(({ entry, bytes }, i) => {
    const async = mode === 'async' || (mode === 'mixed' && i % 2 === 1);
    return { ...entry, read: () => (async ? Promise.resolve(bytes) : bytes) };
  });
}

const PINNED = {
  digest: 'sha256:241e0d6e5041f61b07bc89da1defa3e5e4c5d25808ca7a99e532c7b6ac464a47',
  diffId: 'sha256:ee5facf0c78929baace116df17b0821bd5e53127e98b01ba5487a96bcff456f5',
  size: 6303972,
  uncompressedSize: 6624256,
  fileCount: 312,
  mediaType: MediaType.ociLayerGzip,
};

async function build(entries: LayerEntry[]) {
  const { sink, bytes } = memorySink();
  const layer = await writeLayer(entries, sink, { mediaType: MediaType.ociLayerGzip });
  return { layer, hex: createHash('sha256').update(bytes()).digest('hex') };
}

describe('writeLayer output is pinned', () => {
  it('gives the pinned digest for the fixed input, in any order', async () => {
    for (const entries of [fixedEntries(), fixedEntries().reverse()]) {
      const { layer, hex } = await build(entries);
      expect(layer).toEqual(PINNED);
      expect(hex).toBe(PINNED.digest.slice(7));
    }
  });

  it.each(['sync', 'async', 'mixed'] as const)(
    'gives the pinned digest when small files are read whole (%s)',
    async (mode) => {
      const { layer, hex } = await build(offeringRead(mode));
      expect(layer).toEqual(PINNED);
      expect(hex).toBe(PINNED.digest.slice(7));
    },
  );
});
