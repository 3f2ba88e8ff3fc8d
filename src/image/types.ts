// The OCI / Docker schema 2 data model, as far as building one layer on top of a base needs it.
// Field names follow the JSON on the wire so documents round-trip without a mapping layer.

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/**
 * Registries and runtimes reject manifests that mix the two families, so a new layer and config
 * take the family of the manifest they are added to.
 */
export type MediaTypeFamily = 'oci' | 'docker';

export const FAMILY_MEDIA_TYPES: Record<
  MediaTypeFamily,
  { manifest: string; index: string; config: string; layerGzip: string }
> = {
  oci: {
    manifest: MediaType.ociManifest,
    index: MediaType.ociIndex,
    config: MediaType.ociConfig,
    layerGzip: MediaType.ociLayerGzip,
  },
  docker: {
    manifest: MediaType.dockerManifest,
    index: MediaType.dockerManifestList,
    config: MediaType.dockerConfig,
    layerGzip: MediaType.dockerLayerGzip,
  },
};

/** The annotation an OCI image layout's index.json uses to name (tag) an entry. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isGzipLayerMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociLayerGzip || mediaType === MediaType.dockerLayerGzip;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 lower-case hex>`. */
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  /** Required for Docker schema 2; optional (but recommended) for OCI. */
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index or a Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The runtime defaults in an image config. Unknown fields are kept so they survive a rewrite. */
export interface ContainerConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  [field: string]: unknown;
}

/**
 * An image config (OCI or Docker). Unknown fields (Docker's `container_config`, `docker_version`,
 * future spec additions) are kept: the new config must differ from the base only where we mean it.
 */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [field: string]: unknown;
}

/** What writing a layer produced: enough to reference it from a manifest and a config. */
export interface BuiltLayer {
  /** Digest of the gzip bytes: the blob's name in a registry or layout. */
  digest: string;
  /** Digest of the uncompressed tar: goes into the config's `rootfs.diff_ids`. */
  diffId: string;
  /** Bytes of gzip. */
  size: number;
  /** Bytes of tar. */
  uncompressedSize: number;
  /** Regular files in the layer (directories not counted). */
  fileCount: number;
  mediaType: string;
}

/**
 * A finished image: the documents as parsed objects for inspection and, authoritatively, as the
 * exact bytes their descriptors were computed from. Push or write the bytes, never re-serialise.
 */
export interface AssembledImage {
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDescriptor: Descriptor;
  config: ImageConfig;
  configBytes: Buffer;
  configDescriptor: Descriptor;
  /** The appended layer's descriptor as it appears in the manifest. */
  layer: Descriptor;
  family: MediaTypeFamily;
  platform: Platform;
}

/**
 * A base image whatever it comes from (an OCI layout on disk, a registry): its documents, checked
 * against their digests, and a way to stream each blob, verified while it streams.
 */
export interface SourceImage {
  /** How errors and logs name it, e.g. "registry-1.docker.io/arigaio/atlas:latest". */
  readonly sourceName: string;
  readonly manifest: ImageManifest;
  readonly manifestDescriptor: Descriptor;
  readonly config: ImageConfig;
  readonly configDescriptor: Descriptor;
  openBlob(descriptor: Descriptor): NodeJS.ReadableStream;
  /** Set when the blobs live in a registry, so a push to the same registry can mount them. */
  readonly registryLocation?: { readonly registry: string; readonly repository: string };
}
