// How writeLayer reads files: small ones whole and a bounded number ahead, large ones streamed one
// at a time, and failures reported for the file whose turn it is, as if read strictly in order.
import { Readable, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { ImageError } from '../../src/image/image-error';
import { STREAM_FROM, writeLayer, type LayerEntry } from '../../src/image/layer';
import { MediaType } from '../../src/image/types';
import { memorySink, readLayer, textEntry } from './helpers';

const OCI_GZIP = { mediaType: MediaType.ociLayerGzip };

function readEntry(path: string, text: string, read: LayerEntry['read']): LayerEntry {
  return {
    path,
    size: Buffer.byteLength(text),
    executable: false,
    open: () => {
      throw new Error('open() must not be called when read() is given for a small file');
    },
    read,
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('writeLayer reading files', () => {
  it('writes files read whole exactly like files streamed', async () => {
    const texts = Array.from({ length: 1500 }, (_, i) => `-- ${i}\n`.repeat(i % 13));
    const streamed = texts.map((t, i) => textEntry(`w/m/${i}.sql`, t));
    const whole = texts.map((t, i) => readEntry(`w/m/${i}.sql`, t, () => Buffer.from(t)));
    const a = memorySink();
    const b = memorySink();
    const first = await writeLayer(streamed, a.sink, OCI_GZIP);
    const second = await writeLayer(whole, b.sink, OCI_GZIP);
    expect(second).toEqual(first);
    expect(b.bytes().equals(a.bytes())).toBe(true);
    const records = await readLayer(b.bytes());
    expect(records.filter((r) => r.type === 'file').map((r) => r.content)).toEqual(
      [...texts.keys()]
        .sort((x, y) => Buffer.compare(Buffer.from(`${x}.sql`), Buffer.from(`${y}.sql`)))
        .map((i) => texts[i]),
    );
  });

  it('fails with the file named when read() gives more or fewer bytes than its size', async () => {
    const grown = { ...readEntry('w/a.sql', 'abc', () => Buffer.from('abcdef')), source: 'a.sql' };
    const error = await writeLayer([grown], memorySink().sink, OCI_GZIP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).source).toBe('a.sql');
    expect((error as Error).message).toMatch(
      /changed while being read: expected 3 bytes, read more than 3/,
    );
    const shrunk = readEntry('b.sql', 'abcdefghij', () => Promise.resolve(Buffer.from('ab')));
    await expect(writeLayer([shrunk], memorySink().sink, OCI_GZIP)).rejects.toThrow(
      /b\.sql: changed while being read: expected 10 bytes, read 2/,
    );
  });

  it('reports a failed read only when its turn comes, so the first file in order wins', async () => {
    const slowFailure = readEntry('a.sql', 'x', async () => {
      await delay(50);
      throw new Error('EIO: a.sql');
    });
    const fastFailure = readEntry('b.sql', 'y', () => {
      throw new Error('EIO: b.sql');
    });
    await expect(
      writeLayer([fastFailure, slowFailure], memorySink().sink, OCI_GZIP),
    ).rejects.toThrow('EIO: a.sql');
  });

  it('reads a bounded number of small files ahead', async () => {
    let reading = 0;
    let most = 0;
    const entries = Array.from({ length: 200 }, (_, i) =>
      readEntry(`m/${String(i).padStart(3, '0')}.sql`, 'x', async () => {
        reading++;
        most = Math.max(most, reading);
        await delay(1);
        reading--;
        return Buffer.from('x');
      }),
    );
    await writeLayer(entries, memorySink().sink, OCI_GZIP);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(32);
  });

  it('streams large files one at a time, when their turn comes', async () => {
    let open = 0;
    let most = 0;
    const opened: string[] = [];
    const large = (path: string): LayerEntry => ({
      path,
      size: STREAM_FROM,
      executable: false,
      open: () => {
        opened.push(path);
        open++;
        most = Math.max(most, open);
        const chunk = Buffer.alloc(64 * 1024, 7);
        let sent = 0;
        return new Readable({
          read() {
            if (sent === STREAM_FROM) {
              this.push(null);
              return;
            }
            sent += chunk.length;
            this.push(chunk);
          },
          destroy(error, callback) {
            open--;
            callback(error);
          },
        });
      },
    });
    const layer = await writeLayer(
      [large('c.bin'), textEntry('b.sql', 'small'), large('a.bin'), textEntry('d.sql', 'd')],
      memorySink().sink,
      OCI_GZIP,
    );
    expect(opened).toEqual(['a.bin', 'c.bin']);
    expect(most).toBe(1);
    expect(layer.uncompressedSize).toBe(4 * 512 + 2 * STREAM_FROM + 2 * 512 + 1024);
  });

  it('reports the sink failing in the middle of many files', async () => {
    let written = 0;
    const failing = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        callback(written > 8 * 1024 ? new Error('ENOSPC: no space left') : null);
      },
    });
    const entries = Array.from({ length: 3000 }, (_, i) =>
      textEntry(`m/${i}.sql`, `-- ${i} ${'x'.repeat(i % 500)}\n`),
    );
    await expect(writeLayer(entries, failing, OCI_GZIP)).rejects.toThrow(/ENOSPC/);
  });

  it('keeps the tar intact across entries of every size around a block', async () => {
    const entries = Array.from({ length: 1100 }, (_, i) => textEntry(`f/${i}`, 'z'.repeat(i)));
    const { sink, bytes } = memorySink();
    const layer = await writeLayer(entries, sink, OCI_GZIP);
    const tarBytes = gunzipSync(bytes());
    expect(tarBytes.length).toBe(layer.uncompressedSize);
    const records = await readLayer(bytes());
    expect(
      records.filter((r) => r.type === 'file').every((r) => r.content === 'z'.repeat(r.size)),
    ).toBe(true);
  });
});
