// Builds one image layer as a reproducible gzip-compressed tar, streamed, with both digests computed
// from the bytes as they are written. Small files are read whole, a bounded number ahead of their
// turn; large ones are streamed when their turn comes, one chunk at a time.

import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { HashingPassThrough } from './digest';
import { ImageError } from './image-error';
import { isGzipLayerMediaType, type BuiltLayer } from './types';

/** One regular file to put into the layer. */
export interface LayerEntry {
  /** Path inside the image, relative to `/`: no leading slash, '/' separators, no '.' or '..'. */
  path: string;
  /** Bytes the entry must deliver; the tar header is written before the content is read. */
  size: number;
  executable: boolean;
  /**
   * Streams the content. Called once: for a large file (STREAM_FROM bytes or more) when its turn
   * comes, so only one large file is open at a time; for a small file without `read`, to read
   * it whole shortly before its turn.
   */
  open(): Readable;
  /**
   * Optional, for small files: the whole content at once (bytes already in memory, or one read).
   * Anything but `size` bytes fails the layer as a file changed while being read; reading at
   * most size + 1 bytes is enough to tell.
   */
  read?(): Buffer | Promise<Buffer>;
  /** Where the bytes come from (e.g. the workspace path), for error messages; defaults to path. */
  source?: string;
}

export interface WriteLayerOptions {
  /** A gzip layer media type of the manifest's family (OCI or Docker); the bytes are the same. */
  mediaType: string;
}

/**
 * Every header field that could vary between runs or machines is pinned, so the same files give
 * the same diffID and digest. mtime is the Unix epoch: there is no meaningful time to record, and
 * any "real" time would change the digest on every run. Owner is root (uid/gid 0, no names) since
 * the builder's user means nothing inside the image.
 */
export const LAYER_MTIME = new Date(0);
export const DIRECTORY_MODE = 0o755;
export const FILE_MODE = 0o644;
export const EXECUTABLE_MODE = 0o755;
/** Part of the digest: changing it changes every layer's digest (not its diffID). */
export const GZIP_LEVEL = zlibConstants.Z_DEFAULT_COMPRESSION;
/** zlib writes the build host's OS into the gzip header; pin it to Unix (3) across runners. */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

/** Files of this size or more are streamed; smaller ones are read whole, ahead of their turn. */
export const STREAM_FROM = 1024 * 1024;
/** Small files read ahead of their turn: at most this many, holding at most READ_AHEAD_BYTES. */
const READ_AHEAD_FILES = 32;
const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/** Entries handed to tar-stream before the earlier ones are written: at most so many, and bytes. */
const QUEUED_ENTRIES = 256;
const QUEUED_BYTES = 1024 * 1024;
/**
 * The tar is handed to gzip and the hashes in chunks of this size rather than as tar-stream's
 * 512-byte headers and paddings: gzip's output does not depend on how its input is split.
 */
const TAR_CHUNK_SIZE = 64 * 1024;

/** tar-stream's entry sink is a streamx Writable, not a Node one. */
type EntrySink = ReturnType<tar.Pack['entry']>;
type EntryHeader = Parameters<tar.Pack['entry']>[0];

type PlannedItem = { kind: 'directory'; path: string } | { kind: 'file'; entry: LayerEntry };

/**
 * Validates paths, adds every missing parent directory and orders everything byte-wise by UTF-8
 * path. A parent is a prefix of its children, so it always sorts before them.
 */
export function planLayer(entries: readonly LayerEntry[]): PlannedItem[] {
  const files = new Map<string, LayerEntry>();
  const directories = new Set<string>();
  for (const entry of entries) {
    validateEntry(entry);
    if (files.has(entry.path)) {
      throw new ImageError(
        entry.source ?? entry.path,
        `the layer path '${entry.path}' is given twice`,
        'pass each file once',
      );
    }
    files.set(entry.path, entry);
    const segments = entry.path.split('/');
    for (let i = 1; i < segments.length; i++) directories.add(segments.slice(0, i).join('/'));
  }
  for (const directory of directories) {
    const clash = files.get(directory);
    if (clash) {
      throw new ImageError(
        clash.source ?? clash.path,
        `'${directory}' is both a file and the parent directory of other files in the layer`,
        'rename the file or the directory',
      );
    }
  }
  // Each path is encoded once, not twice per comparison.
  const keyed: { key: Buffer; item: PlannedItem }[] = [];
  for (const path of directories) {
    keyed.push({ key: Buffer.from(path), item: { kind: 'directory', path } });
  }
  for (const entry of files.values()) {
    keyed.push({ key: Buffer.from(entry.path), item: { kind: 'file', entry } });
  }
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ item }) => item);
}

/** Writes the layer into `sink` (which is ended) and describes what was written. */
export async function writeLayer(
  entries: readonly LayerEntry[],
  sink: Writable,
  options: WriteLayerOptions,
): Promise<BuiltLayer> {
  let items: PlannedItem[];
  try {
    if (!isGzipLayerMediaType(options.mediaType)) {
      throw new ImageError(
        'layer',
        `media type '${options.mediaType}' is not a gzip layer type`,
        'use the OCI or Docker tar+gzip layer media type',
      );
    }
    items = planLayer(entries);
  } catch (error) {
    // The caller handed over the sink (often an open file); release it as the pipeline would.
    sink.destroy();
    throw error;
  }
  const pack = tar.pack();
  const tarBytes = new HashingPassThrough();
  const gzipBytes = new HashingPassThrough();
  const written = pipeline(
    tarChunks(pack, TAR_CHUNK_SIZE),
    tarBytes,
    createGzip({ level: GZIP_LEVEL }),
    pinGzipOs(),
    gzipBytes,
    sink,
  );
  let feedError: unknown;
  const fed = feed(pack, items).then(
    () => pack.finalize(),
    (error: unknown) => {
      feedError = error;
      pack.destroy(error as Error);
    },
  );
  try {
    await Promise.all([fed, written]);
  } catch (error) {
    pack.destroy();
    // The pipeline reports the feed's failure as its own; the feed's error names the file.
    throw feedError ?? error;
  }
  if (feedError) throw feedError;
  return {
    digest: gzipBytes.digest(),
    diffId: tarBytes.digest(),
    size: gzipBytes.bytes,
    uncompressedSize: tarBytes.bytes,
    fileCount: items.filter((item) => item.kind === 'file').length,
    mediaType: options.mediaType,
  };
}

async function feed(pack: tar.Pack, items: readonly PlannedItem[]): Promise<void> {
  const ahead = new ReadAhead(items);
  const queue = new EntryQueue();
  for (const item of items) {
    if (item.kind === 'directory') {
      const header: EntryHeader = {
        ...fixedHeader(),
        name: `${item.path}/`,
        type: 'directory',
        mode: DIRECTORY_MODE,
        size: 0,
      };
      await queue.add(addEntry(pack, header), 0);
      continue;
    }
    const { entry } = item;
    const header: EntryHeader = {
      ...fixedHeader(),
      name: entry.path,
      type: 'file',
      mode: entry.executable ? EXECUTABLE_MODE : FILE_MODE,
      size: entry.size,
    };
    if (isSmall(entry)) {
      const bytes = await ahead.take(entry);
      await queue.add(addEntry(pack, header, bytes), bytes.length);
    } else {
      await queue.drain();
      await addEntry(pack, header, entry);
    }
  }
  await queue.drain();
}

/**
 * Entries in memory are handed to tar-stream without waiting for each to be written, which would
 * cost several turns of the event loop per file; tar-stream writes them in the order given.
 * Bounded by QUEUED_ENTRIES and QUEUED_BYTES, so content is not piled up faster than gzip eats it.
 */
class EntryQueue {
  private readonly pending: { written: Promise<void>; bytes: number }[] = [];
  private bytes = 0;

  async add(written: Promise<void>, bytes: number): Promise<void> {
    // Awaited in turn below; a failure meanwhile must not count as unhandled.
    written.catch(() => undefined);
    this.pending.push({ written, bytes });
    this.bytes += bytes;
    while (this.pending.length > QUEUED_ENTRIES || this.bytes > QUEUED_BYTES) await this.next();
  }

  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.next();
  }

  private async next(): Promise<void> {
    const oldest = this.pending.shift()!;
    this.bytes -= oldest.bytes;
    await oldest.written;
  }
}

function isSmall(entry: LayerEntry): boolean {
  return entry.size < STREAM_FROM;
}

/**
 * Reads the small files whole, in the layer's order, up to READ_AHEAD_FILES (and
 * READ_AHEAD_BYTES) ahead of the one being written, so reads overlap with packing and gzip. A
 * read that fails is reported only when its file's turn comes, as if read in order.
 */
class ReadAhead {
  private readonly small: LayerEntry[];
  private next = 0;
  private readonly started = new Map<LayerEntry, Promise<Buffer>>();
  private bytes = 0;

  constructor(items: readonly PlannedItem[]) {
    this.small = [];
    for (const item of items) {
      if (item.kind === 'file' && isSmall(item.entry)) this.small.push(item.entry);
    }
  }

  /** The content of `entry`, which must be the first small file not taken yet. */
  async take(entry: LayerEntry): Promise<Buffer> {
    this.fill();
    // fill() always starts at least the first file not taken.
    const reading = this.started.get(entry)!;
    try {
      return await reading;
    } finally {
      this.started.delete(entry);
      this.bytes -= entry.size;
    }
  }

  private fill(): void {
    while (this.next < this.small.length) {
      const entry = this.small[this.next]!;
      const full =
        this.started.size >= READ_AHEAD_FILES || this.bytes + entry.size > READ_AHEAD_BYTES;
      if (full && this.started.size > 0) return;
      const reading = readWhole(entry);
      // Handled when taken; until then a failure must not count as unhandled.
      reading.catch(() => undefined);
      this.started.set(entry, reading);
      this.bytes += entry.size;
      this.next++;
    }
  }
}

/** A small file's bytes, exactly `size` of them. */
async function readWhole(entry: LayerEntry): Promise<Buffer> {
  if (entry.read) {
    const bytes = await entry.read();
    if (bytes.length > entry.size) throw changedWhileRead(entry, `read more than ${entry.size}`);
    if (bytes.length < entry.size) throw changedWhileRead(entry, `read ${bytes.length}`);
    return bytes;
  }
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of entry.open()) {
    const bytes = chunk as Buffer;
    read += bytes.length;
    if (read > entry.size) throw changedWhileRead(entry, `read more than ${entry.size}`);
    chunks.push(bytes);
  }
  if (read !== entry.size) throw changedWhileRead(entry, `read ${read}`);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, read);
}

function fixedHeader(): Omit<EntryHeader, 'name'> {
  return { mtime: LAYER_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
}

/** Adds one entry: no content (a directory), content in memory, or a file to stream. */
function addEntry(
  pack: tar.Pack,
  header: EntryHeader,
  content?: Buffer | LayerEntry,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    };
    if (Buffer.isBuffer(content)) {
      const target = pack.entry(header, content, (error) => settle(error));
      target.on('error', settle);
      return;
    }
    const target = pack.entry(header, (error) => settle(error));
    target.on('error', settle);
    if (content) copyExactly(content, target).catch(settle);
  });
}

function changedWhileRead(entry: LayerEntry, read: string): ImageError {
  return new ImageError(
    entry.source ?? entry.path,
    `changed while being read: expected ${entry.size} bytes, ${read}`,
    'make sure nothing writes to the file while the action runs, then run it again',
  );
}

/** The tar header already promised `size` bytes; anything else would corrupt the archive. */
async function copyExactly(entry: LayerEntry, target: EntrySink): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of entry.open()) {
      const bytes = chunk as Buffer;
      read += bytes.length;
      if (read > entry.size) throw changedWhileRead(entry, `read more than ${entry.size}`);
      if (!target.write(bytes)) await drained(target);
    }
    if (read !== entry.size) throw changedWhileRead(entry, `read ${read}`);
  } catch (error) {
    target.destroy(error as Error);
    throw error;
  }
  target.end(undefined);
}

function drained(target: EntrySink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      target.off('drain', onDrain);
      target.off('close', onClose);
      target.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    // 'close' before 'drain' means the pack was torn down elsewhere (e.g. the sink failed).
    const onClose = () => done(new Error('layer entry closed before it was written'));
    target.on('drain', onDrain);
    target.on('close', onClose);
    target.on('error', done);
  });
}

/**
 * tar-stream's output as a Node stream, in chunks of about `size` bytes: its 512-byte headers and
 * paddings would each cost a trip through every later stage. Pauses the pack while the pipeline
 * is full.
 */
function tarChunks(pack: tar.Pack, size: number): Readable {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const out = new Readable({
    read() {
      pack.resume();
    },
    destroy(error, callback) {
      pack.destroy(error ?? undefined);
      callback(error);
    },
  });
  const flush = () => {
    if (pendingBytes === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!out.push(chunk)) pack.pause();
  };
  pack.on('data', (data: unknown) => {
    const chunk = data as Buffer;
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= size) flush();
  });
  let ended = false;
  pack.on('end', () => {
    ended = true;
    flush();
    out.push(null);
  });
  pack.on('error', (error: Error) => out.destroy(error));
  // Torn down without an error: the tar is incomplete, so the pipeline must not wait for more.
  pack.on('close', () => {
    if (!ended) out.destroy(new Error('the tar stream closed before it ended'));
  });
  return out;
}

function pinGzipOs(): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (offset <= GZIP_OS_OFFSET && GZIP_OS_OFFSET < offset + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[GZIP_OS_OFFSET - offset] = GZIP_OS_UNIX;
        chunk = copy;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
  });
}

function validateEntry(entry: LayerEntry): void {
  const source = entry.source ?? entry.path;
  const fix =
    "give a path relative to the image's '/', with '/' separators (e.g. 'work/atlas.hcl')";
  const segments = entry.path.split('/');
  if (
    entry.path === '' ||
    entry.path.includes('\\') ||
    entry.path.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new ImageError(source, `'${entry.path}' is not a valid path inside the image`, fix);
  }
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
    throw new ImageError(source, `size ${entry.size} is not a byte count`, 'pass the file size');
  }
}
