// Builds one image layer as a reproducible gzip-compressed tar, streamed: only one chunk of one file
// is in memory at a time, and both digests are computed from the bytes as they are written.

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
  /** Bytes `open()` must deliver; the tar header is written before the content is read. */
  size: number;
  executable: boolean;
  /** Called once, when the entry's turn comes, so only one file is open at a time. */
  open(): Readable;
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
  const items: PlannedItem[] = [
    ...[...directories].map((path): PlannedItem => ({ kind: 'directory', path })),
    ...[...files.values()].map((entry): PlannedItem => ({ kind: 'file', entry })),
  ];
  return items.sort((a, b) => Buffer.compare(Buffer.from(itemPath(a)), Buffer.from(itemPath(b))));
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
    Readable.from(pack, { objectMode: false }),
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
  for (const item of items) {
    if (item.kind === 'directory') {
      await addEntry(pack, {
        ...fixedHeader(),
        name: `${item.path}/`,
        type: 'directory',
        mode: DIRECTORY_MODE,
        size: 0,
      });
      continue;
    }
    const { entry } = item;
    await addEntry(
      pack,
      {
        ...fixedHeader(),
        name: entry.path,
        type: 'file',
        mode: entry.executable ? EXECUTABLE_MODE : FILE_MODE,
        size: entry.size,
      },
      entry,
    );
  }
}

function fixedHeader(): Omit<EntryHeader, 'name'> {
  return { mtime: LAYER_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
}

function addEntry(pack: tar.Pack, header: EntryHeader, content?: LayerEntry): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    };
    const target = pack.entry(header, (error) => settle(error));
    target.on('error', settle);
    if (content) copyExactly(content, target).catch(settle);
  });
}

/** The tar header already promised `size` bytes; anything else would corrupt the archive. */
async function copyExactly(entry: LayerEntry, target: EntrySink): Promise<void> {
  const changed = (read: string) =>
    new ImageError(
      entry.source ?? entry.path,
      `changed while being read: expected ${entry.size} bytes, ${read}`,
      'make sure nothing writes to the file while the action runs, then run it again',
    );
  let read = 0;
  try {
    for await (const chunk of entry.open()) {
      const bytes = chunk as Buffer;
      read += bytes.length;
      if (read > entry.size) throw changed(`read more than ${entry.size}`);
      if (!target.write(bytes)) await drained(target);
    }
    if (read !== entry.size) throw changed(`read ${read}`);
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

function itemPath(item: PlannedItem): string {
  return item.kind === 'directory' ? item.path : item.entry.path;
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
