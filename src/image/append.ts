// Puts one layer on top of a base image and sets where the container starts. The base is never
// changed: the new documents are built from deep copies, then serialised exactly once.

import { sha256Digest } from './digest';
import { ImageError } from './image-error';
import {
  FAMILY_MEDIA_TYPES,
  MediaType,
  isGzipLayerMediaType,
  type AssembledImage,
  type BuiltLayer,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageManifest,
  type MediaTypeFamily,
  type Platform,
} from './types';

export interface BaseImage {
  manifest: ImageManifest;
  config: ImageConfig;
}

export interface AppendLayerOptions {
  /** Absolute POSIX path the container starts in. */
  workingDir: string;
  /** Merged over the base's labels; ours win on a clash. */
  labels: Record<string, string>;
  /** Recorded in the new history entry, like a Dockerfile step. */
  createdBy: string;
  /**
   * RFC 3339 time for the config's `created` and the new history entry. Left out by default so the
   * same inputs give the same image digest; the config then keeps the base's `created`.
   */
  created?: string;
}

/** Docker schema 2 manifests always say so; an OCI manifest may omit its mediaType. */
export function manifestFamily(manifest: ImageManifest): MediaTypeFamily {
  return manifest.mediaType === MediaType.dockerManifest ? 'docker' : 'oci';
}

export function appendLayer(
  base: BaseImage,
  layer: BuiltLayer,
  options: AppendLayerOptions,
): AssembledImage {
  checkOptions(options);
  const baseLayers = base.manifest.layers;
  const baseDiffIds = base.config.rootfs.diff_ids;
  if (baseLayers.length !== baseDiffIds.length) {
    throw new ImageError(
      'base image',
      `its manifest has ${baseLayers.length} layers but its config lists ${baseDiffIds.length} diff_ids`,
      'use an intact base image; this one is corrupted or was edited by hand',
    );
  }
  if (!isGzipLayerMediaType(layer.mediaType)) {
    throw new ImageError(
      'new layer',
      `media type '${layer.mediaType}' is not a gzip layer type`,
      'build the layer with writeLayer',
    );
  }

  const family = manifestFamily(base.manifest);
  const types = FAMILY_MEDIA_TYPES[family];

  const config = structuredClone(base.config);
  config.config = {
    ...(config.config ?? {}),
    WorkingDir: options.workingDir,
    Labels: { ...(config.config?.Labels ?? {}), ...options.labels },
  };
  config.rootfs.diff_ids.push(layer.diffId);
  const history: HistoryEntry = { created_by: options.createdBy };
  if (options.created !== undefined) {
    config.created = options.created;
    history.created = options.created;
  }
  config.history = [...(config.history ?? []), history];
  const configBytes = serialise(config);
  const configDescriptor: Descriptor = {
    mediaType: types.config,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };

  // The gzip bytes are the same under either family's layer type; only the label follows the base.
  const layerDescriptor: Descriptor = {
    mediaType: types.layerGzip,
    digest: layer.digest,
    size: layer.size,
  };
  const baseManifest = structuredClone(base.manifest);
  const manifest: ImageManifest = {
    ...baseManifest,
    schemaVersion: 2,
    mediaType: types.manifest,
    config: configDescriptor,
    layers: [...baseManifest.layers, layerDescriptor],
  };
  const manifestBytes = serialise(manifest);
  const manifestDescriptor: Descriptor = {
    mediaType: types.manifest,
    digest: sha256Digest(manifestBytes),
    size: manifestBytes.length,
  };

  return {
    manifest,
    manifestBytes,
    manifestDescriptor,
    config,
    configBytes,
    configDescriptor,
    layer: layerDescriptor,
    family,
    platform: configPlatform(config),
  };
}

export function configPlatform(config: ImageConfig): Platform {
  const platform: Platform = { architecture: config.architecture, os: config.os };
  if (config.variant) platform.variant = config.variant;
  return platform;
}

function serialise(document: unknown): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8');
}

function checkOptions(options: AppendLayerOptions): void {
  const { workingDir, labels, created } = options;
  if (!workingDir.startsWith('/') || workingDir.split('/').some((s) => s === '.' || s === '..')) {
    throw new ImageError(
      'image WorkingDir',
      `'${workingDir}' is not an absolute path without '.' or '..'`,
      "pass an absolute POSIX path such as '/workspace'",
    );
  }
  for (const [key, value] of Object.entries(labels)) {
    if (key === '' || typeof value !== 'string') {
      throw new ImageError(
        'image labels',
        `label '${key}' is invalid`,
        'use non-empty string keys and string values',
      );
    }
  }
  if (created !== undefined && Number.isNaN(Date.parse(created))) {
    throw new ImageError(
      'image created time',
      `'${created}' is not a date`,
      'pass an RFC 3339 time',
    );
  }
}
