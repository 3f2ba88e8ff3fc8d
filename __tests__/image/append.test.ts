import { appendLayer, manifestFamily, type BaseImage } from '../../src/image/append';
import { sha256Digest } from '../../src/image/digest';
import { ImageError } from '../../src/image/image-error';
import { MediaType, type BuiltLayer, type ImageConfig } from '../../src/image/types';

const hex = (c: string) => c.repeat(64);

function baseConfig(): ImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-05-01T10:00:00Z',
    config: {
      Env: ['PATH=/usr/bin'],
      Entrypoint: ['/atlas'],
      Cmd: ['--help'],
      WorkingDir: '/',
      Labels: { 'org.opencontainers.image.title': 'atlas', keep: 'base' },
      ArgsEscaped: true,
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${hex('d')}`] },
    history: [{ created: '2024-05-01T10:00:00Z', created_by: 'COPY atlas /atlas' }],
    container_config: { Hostname: 'builder' },
    docker_version: '24.0.0',
  };
}

function ociBase(): BaseImage {
  return {
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: `sha256:${hex('c')}`, size: 500 },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: `sha256:${hex('a')}`, size: 1000 }],
      annotations: { 'org.opencontainers.image.version': 'v0.30.0' },
    },
    config: baseConfig(),
  };
}

function dockerBase(): BaseImage {
  return {
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: `sha256:${hex('c')}`, size: 500 },
      layers: [{ mediaType: MediaType.dockerLayerGzip, digest: `sha256:${hex('a')}`, size: 1000 }],
    },
    config: baseConfig(),
  };
}

const layer: BuiltLayer = {
  digest: `sha256:${hex('1')}`,
  diffId: `sha256:${hex('2')}`,
  size: 300,
  uncompressedSize: 4096,
  fileCount: 3,
  mediaType: MediaType.ociLayerGzip,
};

const options = {
  workingDir: '/workspace',
  labels: { 'org.opencontainers.image.title': 'migrations', 'dev.atlas-ecs-deploy.env': 'deploy' },
  createdBy: 'atlas-ecs-deploy: add project files',
};

describe('appendLayer', () => {
  it('sets WorkingDir, merges labels and keeps the rest of the runtime config', () => {
    const image = appendLayer(ociBase(), layer, options);
    expect(image.config.config).toEqual({
      Env: ['PATH=/usr/bin'],
      Entrypoint: ['/atlas'],
      Cmd: ['--help'],
      WorkingDir: '/workspace',
      Labels: {
        'org.opencontainers.image.title': 'migrations',
        keep: 'base',
        'dev.atlas-ecs-deploy.env': 'deploy',
      },
      ArgsEscaped: true,
    });
    expect(image.config.container_config).toEqual({ Hostname: 'builder' });
    expect(image.config.docker_version).toBe('24.0.0');
  });

  it('appends the diffID and a history entry, keeping created from the base', () => {
    const image = appendLayer(ociBase(), layer, options);
    expect(image.config.rootfs.diff_ids).toEqual([`sha256:${hex('d')}`, layer.diffId]);
    expect(image.config.history).toEqual([
      { created: '2024-05-01T10:00:00Z', created_by: 'COPY atlas /atlas' },
      { created_by: 'atlas-ecs-deploy: add project files' },
    ]);
    expect(image.config.created).toBe('2024-05-01T10:00:00Z');
  });

  it('records created only when given', () => {
    const image = appendLayer(ociBase(), layer, { ...options, created: '2025-01-02T03:04:05Z' });
    expect(image.config.created).toBe('2025-01-02T03:04:05Z');
    expect(image.config.history?.[1]).toEqual({
      created: '2025-01-02T03:04:05Z',
      created_by: options.createdBy,
    });
  });

  it('builds an OCI manifest on an OCI base', () => {
    const image = appendLayer(ociBase(), layer, options);
    expect(image.family).toBe('oci');
    expect(image.manifest).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: image.configDescriptor,
      layers: [
        { mediaType: MediaType.ociLayerGzip, digest: `sha256:${hex('a')}`, size: 1000 },
        { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: 300 },
      ],
      annotations: { 'org.opencontainers.image.version': 'v0.30.0' },
    });
    expect(image.configDescriptor.mediaType).toBe(MediaType.ociConfig);
    expect(image.manifestDescriptor.mediaType).toBe(MediaType.ociManifest);
  });

  it('builds a Docker schema 2 manifest on a Docker base, whatever the layer was labelled', () => {
    const image = appendLayer(dockerBase(), layer, options);
    expect(image.family).toBe('docker');
    expect(image.manifest.mediaType).toBe(MediaType.dockerManifest);
    expect(image.manifestDescriptor.mediaType).toBe(MediaType.dockerManifest);
    expect(image.configDescriptor.mediaType).toBe(MediaType.dockerConfig);
    expect(image.layer).toEqual({
      mediaType: MediaType.dockerLayerGzip,
      digest: layer.digest,
      size: layer.size,
    });
    expect(image.manifest.layers.map((l) => l.mediaType)).toEqual([
      MediaType.dockerLayerGzip,
      MediaType.dockerLayerGzip,
    ]);
  });

  it('treats an OCI manifest without mediaType as OCI', () => {
    const base = ociBase();
    delete base.manifest.mediaType;
    expect(manifestFamily(base.manifest)).toBe('oci');
    expect(appendLayer(base, layer, options).manifest.mediaType).toBe(MediaType.ociManifest);
  });

  it('computes descriptors from the serialised bytes, which parse back to the documents', () => {
    const image = appendLayer(ociBase(), layer, options);
    expect(image.configDescriptor.digest).toBe(sha256Digest(image.configBytes));
    expect(image.configDescriptor.size).toBe(image.configBytes.length);
    expect(image.manifestDescriptor.digest).toBe(sha256Digest(image.manifestBytes));
    expect(image.manifestDescriptor.size).toBe(image.manifestBytes.length);
    expect(JSON.parse(image.configBytes.toString())).toEqual(image.config);
    expect(JSON.parse(image.manifestBytes.toString())).toEqual(image.manifest);
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('is deterministic', () => {
    const first = appendLayer(ociBase(), layer, options);
    const second = appendLayer(ociBase(), layer, options);
    expect(second.manifestBytes.equals(first.manifestBytes)).toBe(true);
    expect(second.configBytes.equals(first.configBytes)).toBe(true);
  });

  it('leaves the base untouched', () => {
    for (const make of [ociBase, dockerBase]) {
      const base = make();
      const frozen = structuredClone(base);
      const image = appendLayer(base, layer, options);
      expect(base).toEqual(frozen);
      image.config.config!.Env!.push('MUTATED=1');
      image.manifest.layers[0]!.size = 1;
      expect(base).toEqual(frozen);
    }
  });

  it('copes with a base without config, labels or history', () => {
    const base = ociBase();
    delete base.config.config;
    delete base.config.history;
    const image = appendLayer(base, layer, options);
    expect(image.config.config).toEqual({ WorkingDir: '/workspace', Labels: options.labels });
    expect(image.config.history).toEqual([{ created_by: options.createdBy }]);
  });

  it('rejects a base whose layers and diff_ids disagree', () => {
    const base = ociBase();
    base.config.rootfs.diff_ids.push(`sha256:${hex('e')}`);
    expect(() => appendLayer(base, layer, options)).toThrow(
      /1 layers but its config lists 2 diff_ids/,
    );
  });

  it.each([
    [{ workingDir: 'workspace' }, /WorkingDir/],
    [{ workingDir: '/a/../b' }, /WorkingDir/],
    [{ created: 'yesterday' }, /not a date/],
    [{ labels: { '': 'x' } }, /label '' is invalid/],
  ])('rejects bad options %j', (override, message) => {
    expect(() => appendLayer(ociBase(), layer, { ...options, ...override })).toThrow(ImageError);
    expect(() => appendLayer(ociBase(), layer, { ...options, ...override })).toThrow(message);
  });

  it('rejects a layer that is not gzip', () => {
    expect(() =>
      appendLayer(
        ociBase(),
        { ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
        options,
      ),
    ).toThrow(/not a gzip layer type/);
  });
});
