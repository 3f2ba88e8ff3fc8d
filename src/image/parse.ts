// Turns manifest, index and config bytes into typed documents, checking the fields this project
// relies on. The objects keep every field they had, so nothing is lost when they are rewritten.

import { parseDigest } from './digest';
import { ImageError } from './image-error';
import {
  isIndexMediaType,
  isManifestMediaType,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './types';

const FIX = 'the image is not a valid OCI or Docker schema 2 image; rebuild or re-copy it';

/** What a manifest-ish document is, from its own mediaType or, failing that, its shape. */
export function documentKind(
  value: Record<string, unknown>,
  descriptorMediaType?: string,
): 'index' | 'manifest' {
  const mediaType = typeof value.mediaType === 'string' ? value.mediaType : descriptorMediaType;
  if (isIndexMediaType(mediaType)) return 'index';
  if (isManifestMediaType(mediaType)) return 'manifest';
  return Array.isArray(value.manifests) ? 'index' : 'manifest';
}

export function parseJsonObject(bytes: Uint8Array, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ImageError(source, `is not valid JSON (${(error as Error).message})`, FIX);
  }
  if (!isObject(value)) throw new ImageError(source, 'is not a JSON object', FIX);
  return value;
}

export function parseImageManifest(bytes: Uint8Array, source: string): ImageManifest {
  const value = parseJsonObject(bytes, source);
  checkSchemaVersion(value, source);
  if (value.mediaType !== undefined && !isManifestMediaType(value.mediaType as string)) {
    throw new ImageError(
      source,
      `has media type '${String(value.mediaType)}', not a manifest`,
      FIX,
    );
  }
  checkDescriptor(value.config, `${source} config`);
  if (!Array.isArray(value.layers)) throw new ImageError(source, 'has no layers list', FIX);
  value.layers.forEach((layer, i) => checkDescriptor(layer, `${source} layer ${i}`));
  return value as unknown as ImageManifest;
}

export function parseImageIndex(bytes: Uint8Array, source: string): ImageIndex {
  const value = parseJsonObject(bytes, source);
  checkSchemaVersion(value, source);
  if (value.mediaType !== undefined && !isIndexMediaType(value.mediaType as string)) {
    throw new ImageError(source, `has media type '${String(value.mediaType)}', not an index`, FIX);
  }
  if (!Array.isArray(value.manifests)) throw new ImageError(source, 'has no manifests list', FIX);
  value.manifests.forEach((entry, i) => checkDescriptor(entry, `${source} entry ${i}`));
  return value as unknown as ImageIndex;
}

export function parseImageConfig(bytes: Uint8Array, source: string): ImageConfig {
  const value = parseJsonObject(bytes, source);
  if (typeof value.architecture !== 'string' || typeof value.os !== 'string') {
    throw new ImageError(source, 'names no architecture and os', FIX);
  }
  const rootfs = value.rootfs;
  if (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids)) {
    throw new ImageError(source, 'has no rootfs.diff_ids', FIX);
  }
  if (value.config !== undefined && value.config !== null && !isObject(value.config)) {
    throw new ImageError(source, "has a 'config' that is not an object", FIX);
  }
  if (value.history !== undefined && !Array.isArray(value.history)) {
    throw new ImageError(source, "has a 'history' that is not a list", FIX);
  }
  return value as unknown as ImageConfig;
}

function checkSchemaVersion(value: Record<string, unknown>, source: string): void {
  if (value.schemaVersion !== 2) {
    throw new ImageError(source, `has schemaVersion ${String(value.schemaVersion)}, not 2`, FIX);
  }
}

function checkDescriptor(value: unknown, source: string): asserts value is Descriptor {
  if (
    !isObject(value) ||
    typeof value.mediaType !== 'string' ||
    typeof value.digest !== 'string' ||
    !Number.isSafeInteger(value.size) ||
    (value.size as number) < 0
  ) {
    throw new ImageError(source, 'is not a descriptor (mediaType, digest, size)', FIX);
  }
  parseDigest(value.digest, source);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
