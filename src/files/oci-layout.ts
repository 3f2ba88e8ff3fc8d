// Reads a base image from, and writes a built image to, an OCI image layout directory
// (oci-layout + index.json + blobs/sha256/<hex>). Every blob is checked against its descriptor
// when read, and hashed again as it is written, so a corrupted layout never turns into an image.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { configPlatform } from '../image/append';
import {
  HashingPassThrough,
  createVerifyingStream,
  parseDigest,
  sha256Digest,
} from '../image/digest';
import { ImageError } from '../image/image-error';
import {
  documentKind,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  parseJsonObject,
} from '../image/parse';
import {
  checkImagePlatform,
  isAttestationDescriptor,
  selectPlatformManifest,
} from '../image/platform';
import {
  MediaType,
  REF_NAME_ANNOTATION,
  type AssembledImage,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../image/types';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const OCI_LAYOUT_VERSION = '1.0.0';
/** Registries refuse manifests above 4 MiB; a bigger JSON blob here is not a real manifest. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** An index.json entry may point to an index that points to the platform manifest; no deeper. */
const MAX_INDEX_DEPTH = 4;
const LAYOUT_FIX =
  'point atlas-image at an OCI image layout (e.g. made by `skopeo copy docker://arigaio/atlas oci:DIR:TAG`)';

export interface OciLayoutImage {
  layoutDir: string;
  /** How errors and logs name this image, e.g. "OCI image layout /base (tag latest)". */
  sourceName: string;
  manifest: ImageManifest;
  manifestDescriptor: Descriptor;
  config: ImageConfig;
  configDescriptor: Descriptor;
  /** Streams a blob of this layout; the stream fails if the bytes do not match the descriptor. */
  openBlob(descriptor: Descriptor): Readable;
}

export interface BlobSource {
  open(descriptor: Descriptor): Readable;
}

/** Finds the image for `platform` under `tag` (or the layout's only image) and checks its blobs. */
export async function readOciLayoutImage(
  dir: string,
  tag: string | undefined,
  platform: Platform,
): Promise<OciLayoutImage> {
  const sourceName = tag ? `OCI image layout ${dir} (tag ${tag})` : `OCI image layout ${dir}`;
  await checkLayoutMarker(dir, sourceName);
  const indexBytes = await readLayoutFile(join(dir, INDEX_FILE), sourceName);
  const index = parseImageIndex(indexBytes, `${sourceName} ${INDEX_FILE}`);
  let descriptor = pickIndexEntry(index, tag, platform, sourceName);

  for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
    const bytes = await readBlob(dir, descriptor, sourceName);
    const where = `${sourceName} ${descriptor.digest}`;
    if (documentKind(parseJsonObject(bytes, where), descriptor.mediaType) === 'index') {
      descriptor = selectPlatformManifest(parseImageIndex(bytes, where), platform, sourceName);
      continue;
    }
    const manifest = parseImageManifest(bytes, where);
    const configBytes = await readBlob(dir, manifest.config, sourceName);
    const config = parseImageConfig(configBytes, `${sourceName} config ${manifest.config.digest}`);
    checkImagePlatform(configPlatform(config), platform, sourceName);
    return {
      layoutDir: dir,
      sourceName,
      manifest,
      manifestDescriptor: {
        mediaType: manifestMediaType(manifest, descriptor),
        digest: descriptor.digest,
        size: descriptor.size,
      },
      config,
      configDescriptor: manifest.config,
      openBlob: (blob) => openVerifiedBlob(dir, blob, sourceName),
    };
  }
  throw new ImageError(
    sourceName,
    `indexes are nested more than ${MAX_INDEX_DEPTH} deep`,
    LAYOUT_FIX,
  );
}

/**
 * Writes `image` into the layout at `dir` (created if needed) under `tag`. Blobs go in first and
 * index.json last, each through a temp file and a rename, so a reader never sees a tag whose blobs
 * are missing. Blobs already present with the right digest are kept. Other tags stay.
 */
export async function writeOciLayout(
  dir: string,
  image: AssembledImage,
  blobs: BlobSource,
  newLayerPath: string,
  tag: string,
): Promise<void> {
  await ensureLayout(dir);
  await moveIntoBlobs(dir, newLayerPath, image.layer);
  for (const layer of image.manifest.layers) {
    if (layer.digest === image.layer.digest) continue;
    if (await blobIsPresent(dir, layer)) continue;
    await copyBlob(dir, layer, blobs);
  }
  await putBlobBytes(dir, image.configBytes);
  await putBlobBytes(dir, image.manifestBytes);
  await putIndexEntry(dir, { ...image.manifestDescriptor, platform: image.platform }, tag);
}

/**
 * Writes only what the build made (new layer, config, manifest) and leaves index.json alone: the
 * base's layers are not here, so naming the image in the index would make the layout invalid.
 */
export async function writeOwnBlobs(
  dir: string,
  image: AssembledImage,
  newLayerPath: string,
): Promise<void> {
  await ensureLayout(dir);
  await moveIntoBlobs(dir, newLayerPath, image.layer);
  await putBlobBytes(dir, image.configBytes);
  await putBlobBytes(dir, image.manifestBytes);
}

export function blobPath(dir: string, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(dir, 'blobs', algorithm, hex);
}

/** A temp file name inside the layout, so the rename into blobs/ never crosses file systems. */
export function layoutTempPath(dir: string, label: string): string {
  return join(dir, `.tmp-${label}-${randomBytes(8).toString('hex')}`);
}

/** Creates the directory skeleton and the `oci-layout` marker, or checks an existing marker. */
export async function ensureLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  if ((await fileSize(join(dir, OCI_LAYOUT_FILE))) !== undefined) {
    await checkLayoutMarker(dir, `output directory ${dir}`);
    return;
  }
  await writeFileAtomically(
    join(dir, OCI_LAYOUT_FILE),
    Buffer.from(JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })),
  );
}

/** Stores bytes as a blob (unless already there) and returns their digest. */
export async function putBlobBytes(dir: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  if (!(await blobIsPresent(dir, { digest, size: bytes.length }))) {
    await writeFileAtomically(blobPath(dir, digest), bytes);
  }
  return digest;
}

/** Renames a finished temp file to its blob name; the caller hashed it while writing it. */
export async function moveIntoBlobs(
  dir: string,
  tempPath: string,
  descriptor: { digest: string; size: number },
): Promise<void> {
  const { size } = await stat(tempPath);
  if (size !== descriptor.size) {
    await unlink(tempPath).catch(() => undefined);
    throw new ImageError(
      tempPath,
      `holds ${size} bytes, but the layer written was ${descriptor.size} bytes`,
      'make sure nothing else writes into the output layout while the image is built',
    );
  }
  if (await blobIsPresent(dir, descriptor)) {
    await unlink(tempPath);
    return;
  }
  await rename(tempPath, blobPath(dir, descriptor.digest));
}

/** Points `tag` at `descriptor` in index.json, keeping the layout's other entries. */
export async function putIndexEntry(
  dir: string,
  descriptor: Descriptor,
  tag: string,
): Promise<void> {
  const path = join(dir, INDEX_FILE);
  let index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  try {
    index = parseImageIndex(await readFile(path), `${path}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const entry: Descriptor = {
    ...descriptor,
    annotations: { ...(descriptor.annotations ?? {}), [REF_NAME_ANNOTATION]: tag },
  };
  const manifests = [
    ...index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag),
    entry,
  ];
  const updated = { ...index, mediaType: index.mediaType ?? MediaType.ociIndex, manifests };
  await writeFileAtomically(path, Buffer.from(`${JSON.stringify(updated, null, 2)}\n`));
}

function pickIndexEntry(
  index: ImageIndex,
  tag: string | undefined,
  platform: Platform,
  sourceName: string,
): Descriptor {
  const entries = index.manifests.filter((d) => !isAttestationDescriptor(d));
  const tags = [
    ...new Set(entries.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter(isString)),
  ];
  const candidates =
    tag === undefined
      ? entries
      : entries.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
  if (candidates.length === 0) {
    throw new ImageError(
      sourceName,
      tag === undefined
        ? 'holds no image'
        : `has no tag '${tag}' (tags: ${tags.join(', ') || 'none'})`,
      tag === undefined ? LAYOUT_FIX : 'name one of the tags the layout has',
    );
  }
  if (candidates.length === 1) return candidates[0]!;
  if (tag === undefined && tags.length > 1) {
    throw new ImageError(
      sourceName,
      `holds several images (tags: ${tags.join(', ')})`,
      'name the tag to use after the layout path',
    );
  }
  // Several untagged entries, or several under one tag: one image per platform, as in an index.
  return selectPlatformManifest({ schemaVersion: 2, manifests: candidates }, platform, sourceName);
}

function manifestMediaType(manifest: ImageManifest, descriptor: Descriptor): string {
  return manifest.mediaType ?? descriptor.mediaType;
}

async function checkLayoutMarker(dir: string, sourceName: string): Promise<void> {
  const path = join(dir, OCI_LAYOUT_FILE);
  const bytes = await readLayoutFile(path, sourceName);
  const marker = parseJsonObject(bytes, `${sourceName} ${OCI_LAYOUT_FILE}`);
  if (typeof marker.imageLayoutVersion !== 'string') {
    throw new ImageError(
      `${sourceName} ${OCI_LAYOUT_FILE}`,
      'has no imageLayoutVersion',
      LAYOUT_FIX,
    );
  }
}

async function readLayoutFile(path: string, sourceName: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new ImageError(
      sourceName,
      `has no ${basename(path)} file, so it is not an OCI image layout`,
      LAYOUT_FIX,
    );
  }
}

/** Reads a small JSON blob whole and checks it; manifests and configs are tiny. */
async function readBlob(dir: string, descriptor: Descriptor, sourceName: string): Promise<Buffer> {
  const where = `${sourceName} blob ${descriptor.digest}`;
  if (descriptor.size > MAX_DOCUMENT_BYTES) {
    throw new ImageError(
      where,
      `is ${descriptor.size} bytes, too big for a manifest or config`,
      LAYOUT_FIX,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(dir, descriptor.digest));
  } catch (error) {
    if (isNotFound(error)) throw missingBlob(where);
    throw error;
  }
  const actual = sha256Digest(bytes);
  if (bytes.length !== descriptor.size || actual !== descriptor.digest) {
    throw new ImageError(
      where,
      `holds ${bytes.length} bytes hashing to ${actual}; expected ${descriptor.size} bytes`,
      'the layout is corrupted; copy or generate it again',
    );
  }
  return bytes;
}

function openVerifiedBlob(dir: string, descriptor: Descriptor, sourceName: string): Readable {
  const where = `${sourceName} blob ${descriptor.digest}`;
  const verify = createVerifyingStream(descriptor, where);
  const file = createReadStream(blobPath(dir, descriptor.digest));
  file.on('error', (error) => verify.destroy(isNotFound(error) ? missingBlob(where) : error));
  verify.on('close', () => file.destroy());
  return file.pipe(verify);
}

function missingBlob(where: string): ImageError {
  return new ImageError(
    where,
    'is missing from the layout',
    'copy or generate the layout again, with all its blobs',
  );
}

async function blobIsPresent(
  dir: string,
  descriptor: { digest: string; size: number },
): Promise<boolean> {
  const path = blobPath(dir, descriptor.digest);
  if ((await fileSize(path)) !== descriptor.size) return false;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}` === descriptor.digest;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function copyBlob(dir: string, descriptor: Descriptor, blobs: BlobSource): Promise<void> {
  const temp = layoutTempPath(dir, 'blob');
  try {
    const hashing = new HashingPassThrough();
    await pipeline(blobs.open(descriptor), hashing, createWriteStream(temp));
    if (hashing.bytes !== descriptor.size || hashing.digest() !== descriptor.digest) {
      throw new ImageError(
        `base image blob ${descriptor.digest}`,
        `delivered ${hashing.bytes} bytes hashing to ${hashing.digest()}`,
        'the base image is corrupted; copy or pull it again',
      );
    }
    await rename(temp, blobPath(dir, descriptor.digest));
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writeFileAtomically(path: string, bytes: Buffer): Promise<void> {
  const temp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
