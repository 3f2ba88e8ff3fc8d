import { Readable, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { sha256Digest } from '../../src/image/digest';
import { ImageError } from '../../src/image/image-error';
import { writeLayer, type LayerEntry } from '../../src/image/layer';
import { MediaType } from '../../src/image/types';
import { memorySink, readLayer, textEntry } from './helpers';

const OCI_GZIP = { mediaType: MediaType.ociLayerGzip };

function projectEntries(): LayerEntry[] {
  return [
    textEntry('workspace/migrations/2_name.sql', 'ALTER TABLE users ADD name text;\n'),
    textEntry('workspace/atlas.hcl', 'env "deploy" {}\n'),
    textEntry('workspace/bin/run.sh', '#!/bin/sh\n', true),
    textEntry('workspace/migrations/1_init.sql', 'CREATE TABLE users (id int);\n'),
    textEntry('workspace/migrations-old/0.sql', '-- old\n'),
  ];
}

async function build(entries: LayerEntry[]) {
  const { sink, bytes } = memorySink();
  const layer = await writeLayer(entries, sink, OCI_GZIP);
  return { layer, bytes: bytes() };
}

describe('writeLayer', () => {
  it('writes sorted entries with parents and pinned metadata', async () => {
    const { bytes } = await build(projectEntries());
    const records = await readLayer(bytes);

    expect(records.map((r) => r.name)).toEqual([
      'workspace/',
      'workspace/atlas.hcl',
      'workspace/bin/',
      'workspace/bin/run.sh',
      'workspace/migrations/',
      // Byte-wise: '-' (0x2d) sorts before '/' (0x2f); parents still precede their children.
      'workspace/migrations-old/',
      'workspace/migrations-old/0.sql',
      'workspace/migrations/1_init.sql',
      'workspace/migrations/2_name.sql',
    ]);
    for (const r of records) {
      expect(r).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 0 });
    }
    const byName = new Map(records.map((r) => [r.name, r]));
    expect(byName.get('workspace/')).toMatchObject({ type: 'directory', mode: 0o755, size: 0 });
    expect(byName.get('workspace/atlas.hcl')).toMatchObject({
      type: 'file',
      mode: 0o644,
      content: 'env "deploy" {}\n',
    });
    expect(byName.get('workspace/bin/run.sh')).toMatchObject({ type: 'file', mode: 0o755 });
  });

  it('sorts byte-wise by UTF-8 path, not by UTF-16 or locale', async () => {
    const { bytes } = await build([
      textEntry('b', '1'),
      textEntry('a-b', '2'),
      textEntry('a/b', '3'),
      textEntry('B', '4'),
      textEntry('\u00e9.sql', '5'),
      textEntry('\u{1F600}.sql', '6'),
      textEntry('\uFF21.sql', '7'),
    ]);
    const names = (await readLayer(bytes)).map((r) => r.name);
    expect(names).toEqual([
      'B',
      'a/',
      'a-b',
      'a/b',
      'b',
      '\u00e9.sql',
      '\uFF21.sql',
      '\u{1F600}.sql',
    ]);
  });

  it('describes exactly the bytes it wrote', async () => {
    const { layer, bytes } = await build(projectEntries());
    const tarBytes = gunzipSync(bytes);
    expect(layer).toEqual({
      digest: sha256Digest(bytes),
      diffId: sha256Digest(tarBytes),
      size: bytes.length,
      uncompressedSize: tarBytes.length,
      fileCount: 5,
      mediaType: MediaType.ociLayerGzip,
    });
    // gzip header: no timestamp, OS pinned to Unix whatever the build host.
    expect(bytes.readUInt32LE(4)).toBe(0);
    expect(bytes[9]).toBe(3);
  });

  it('gives the same digest for the same files, whatever their order', async () => {
    const first = await build(projectEntries());
    const second = await build(projectEntries().reverse());
    expect(second.layer).toEqual(first.layer);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });

  it('changes the digest when a mode or content changes', async () => {
    const base = (await build([textEntry('a.sh', 'x')])).layer;
    expect((await build([textEntry('a.sh', 'x', true)])).layer.digest).not.toBe(base.digest);
    expect((await build([textEntry('a.sh', 'y')])).layer.digest).not.toBe(base.digest);
  });

  it('keeps long and non-ASCII paths intact', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}.sql`;
    const { bytes } = await build([textEntry(long, 'x'), textEntry('m/\u00fcber.sql', 'y')]);
    const names = (await readLayer(bytes)).filter((r) => r.type === 'file').map((r) => r.name);
    expect(names).toEqual([long, 'm/\u00fcber.sql']);
  });

  it('writes empty files and empty layers', async () => {
    const { layer, bytes } = await build([textEntry('empty', '')]);
    expect(layer.fileCount).toBe(1);
    expect(await readLayer(bytes)).toMatchObject([{ name: 'empty', size: 0, content: '' }]);
    const none = await build([]);
    expect(none.layer.fileCount).toBe(0);
    expect(none.layer.uncompressedSize).toBe(1024);
  });

  it('streams big files through a slow sink without holding them', async () => {
    const size = 4 * 1024 * 1024;
    const chunk = Buffer.alloc(16 * 1024, 1);
    let received = 0;
    const slowSink = new Writable({
      highWaterMark: 1024,
      write(data: Buffer, _encoding, callback) {
        received += data.length;
        setImmediate(callback);
      },
    });
    const entry: LayerEntry = {
      path: 'big.bin',
      size,
      executable: false,
      open: () =>
        Readable.from(
          (function* () {
            for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
          })(),
        ),
    };
    const layer = await writeLayer([entry], slowSink, OCI_GZIP);
    expect(layer.uncompressedSize).toBe(512 + size + 1024);
    expect(received).toBe(layer.size);
  });

  it('fails with the file named when it grew while being read', async () => {
    const grown: LayerEntry = { ...textEntry('w/a.sql', 'abcdef'), size: 3, source: 'a.sql' };
    const { sink } = memorySink();
    const error = await writeLayer([grown], sink, OCI_GZIP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).source).toBe('a.sql');
    expect((error as Error).message).toMatch(/changed while being read: expected 3 bytes/);
    expect((error as Error).message).toMatch(/Fix: /);
  });

  it('fails when a file shrank while being read', async () => {
    const shrunk: LayerEntry = { ...textEntry('b.sql', 'ab'), size: 10 };
    await expect(writeLayer([shrunk], memorySink().sink, OCI_GZIP)).rejects.toThrow(
      /b\.sql: changed while being read: expected 10 bytes, read 2/,
    );
  });

  it('passes on a read error of a file', async () => {
    const broken: LayerEntry = {
      path: 'x.sql',
      size: 1,
      executable: false,
      open: () =>
        new Readable({
          read() {
            this.destroy(new Error('EIO: disk on fire'));
          },
        }),
    };
    await expect(writeLayer([broken], memorySink().sink, OCI_GZIP)).rejects.toThrow(/disk on fire/);
  });

  it('fails when the sink fails', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('ENOSPC: no space left'));
      },
    });
    await expect(writeLayer(projectEntries(), failing, OCI_GZIP)).rejects.toThrow(/ENOSPC/);
  });

  it.each([
    ['/abs.sql'],
    ['a/../b.sql'],
    ['./a.sql'],
    ['a//b.sql'],
    ['dir/'],
    [''],
    ['win\\path.sql'],
  ])('rejects the path %j', async (path) => {
    await expect(writeLayer([textEntry(path, 'x')], memorySink().sink, OCI_GZIP)).rejects.toThrow(
      /is not a valid path inside the image/,
    );
  });

  it('releases the sink when it rejects the entries', async () => {
    const { sink } = memorySink();
    await expect(writeLayer([textEntry('/abs', 'x')], sink, OCI_GZIP)).rejects.toThrow(ImageError);
    expect(sink.destroyed).toBe(true);
  });

  it('rejects duplicates and a file that is also a directory', async () => {
    await expect(
      writeLayer([textEntry('a', '1'), textEntry('a', '2')], memorySink().sink, OCI_GZIP),
    ).rejects.toThrow(/given twice/);
    await expect(
      writeLayer([textEntry('a', '1'), textEntry('a/b', '2')], memorySink().sink, OCI_GZIP),
    ).rejects.toThrow(/both a file and the parent directory/);
  });

  it('rejects a media type that is not a gzip layer', async () => {
    await expect(
      writeLayer([], memorySink().sink, { mediaType: 'application/vnd.oci.image.layer.v1.tar' }),
    ).rejects.toThrow(/not a gzip layer type/);
  });
});
