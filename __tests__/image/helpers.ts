// Shared helpers for the image tests: temp dirs, in-memory sinks and reading a layer back.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { sha256Digest } from '../../src/image/digest';
import type { LayerEntry } from '../../src/image/layer';
import {
  MediaType,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from '../../src/image/types';

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'image-test-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Writable that keeps what it is given, for checking a layer's bytes. */
export function memorySink(): { sink: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

export function textEntry(path: string, text: string, executable = false): LayerEntry {
  const bytes = Buffer.from(text);
  return { path, size: bytes.length, executable, open: () => Readable.from([bytes]) };
}

export interface TarRecord {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  content: string;
}

export async function readLayer(gzipBytes: Buffer): Promise<TarRecord[]> {
  const records: TarRecord[] = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      records.push({
        name: h.name,
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        gname: h.gname,
        mtime: h.mtime.getTime(),
        size: h.size,
        content: Buffer.concat(chunks).toString('utf8'),
      });
    }
  })();
  await pipeline(Readable.from([gzipBytes]), createGunzip(), extract);
  await reading;
  return records;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a layout by hand, independent of the writer under test. */
export class RawLayout {
  private readonly entries: Descriptor[] = [];
  constructor(readonly dir: string) {}

  async init(): Promise<this> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    return this;
  }

  async blob(content: Buffer | object, mediaType: string): Promise<Descriptor> {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content));
    const digest = sha256Digest(bytes);
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  /** A one-layer image; returns the manifest's descriptor. */
  async image(
    arch: string,
    family: 'oci' | 'docker' = 'oci',
    variant?: string,
  ): Promise<Descriptor> {
    const layerBytes = Buffer.from(`layer for ${arch}`);
    const types =
      family === 'oci'
        ? [MediaType.ociManifest, MediaType.ociConfig, MediaType.ociLayerGzip]
        : [MediaType.dockerManifest, MediaType.dockerConfig, MediaType.dockerLayerGzip];
    const layer = await this.blob(layerBytes, types[2]!);
    const config: ImageConfig = {
      architecture: arch,
      os: 'linux',
      ...(variant ? { variant } : {}),
      config: { Entrypoint: ['/atlas'] },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(`tar for ${arch}`)] },
    };
    const configDescriptor = await this.blob(config, types[1]!);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: types[0],
      config: configDescriptor,
      layers: [layer],
    };
    return this.blob(manifest, types[0]!);
  }

  tag(descriptor: Descriptor, tag?: string, extra: Partial<Descriptor> = {}): this {
    const entry: Descriptor = { ...descriptor, ...extra };
    if (tag) entry.annotations = { ...(entry.annotations ?? {}), [REF_NAME_ANNOTATION]: tag };
    this.entries.push(entry);
    return this;
  }

  async writeIndex(): Promise<void> {
    await writeFile(
      join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.entries }),
    );
  }
}
