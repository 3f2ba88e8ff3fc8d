import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildMigrationImage, type BuildImageOptions } from '../../src/files/build-image';
import { readOciLayoutImage } from '../../src/files/oci-layout';
import { platformForCpuArchitecture } from '../../src/image/platform';
import { MediaType } from '../../src/image/types';
import type { ProjectFile } from '../../src/project-file';
import { generateStandInBase } from '../../scripts/make-stand-in-base';
import { RawLayout, readAll, readLayer, withTempDir } from './helpers';

const PROJECT: Record<string, string> = {
  'atlas.hcl': 'env "deploy" {\n  migration { dir = "file://migrations" }\n}\n',
  'migrations/1_init.sql': 'CREATE TABLE users (id int);\n',
  'migrations/2_name.sql': 'ALTER TABLE users ADD name text;\n',
  'migrations/atlas.sum': 'h1:USmm/44hv0NxpyPeNw/PRUKN6q+OqueFd1utiUoJCQg=\n',
};

async function writeWorkspace(root: string): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  for (const [path, content] of Object.entries(PROJECT)) {
    const absolutePath = join(root, path);
    await mkdir(dirname(absolutePath), { recursive: true });
    await writeFile(absolutePath, content);
    files.push({ path, absolutePath, size: (await stat(absolutePath)).size, executable: false });
  }
  return files;
}

async function setUp(dir: string) {
  const baseDir = join(dir, 'base');
  const base = await generateStandInBase(baseDir);
  const files = await writeWorkspace(join(dir, 'ws'));
  const source = await readOciLayoutImage(baseDir, 'latest', platformForCpuArchitecture('X86_64'));
  const options = (overrides: Partial<BuildImageOptions> = {}): BuildImageOptions => ({
    base: source,
    copyBaseLayers: true,
    platform: platformForCpuArchitecture('X86_64'),
    files,
    imageRoot: 'workspace',
    workingDir: '/workspace',
    labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app' },
    outputDir: join(dir, 'out'),
    tag: 'migrations',
    ...overrides,
  });
  return { base, files, options };
}

describe('buildMigrationImage', () => {
  it('builds base + project layer for each ECS CPU architecture', () =>
    withTempDir(async (dir) => {
      const { base, options } = await setUp(dir);
      for (const [cpu, i] of [
        ['X86_64', 0],
        ['ARM64', 1],
      ] as const) {
        const platform = platformForCpuArchitecture(cpu);
        const source = await readOciLayoutImage(join(dir, 'base'), 'latest', platform);
        const built = await buildMigrationImage(options({ base: source, platform, tag: cpu }));
        expect(built).toMatchObject({
          layoutDir: join(dir, 'out'),
          manifestMediaType: MediaType.ociManifest,
          baseManifestDigest: base.manifests[i]!.digest,
          platform: { os: 'linux', architecture: platform.architecture },
          layer: { fileCount: 4, mediaType: MediaType.ociLayerGzip },
        });

        const image = await readOciLayoutImage(built.layoutDir, cpu, platform);
        expect(image.manifestDescriptor.digest).toBe(built.manifestDigest);
        expect(image.configDescriptor.digest).toBe(built.configDigest);
        expect(image.manifest.layers.map((l) => l.digest)).toEqual([
          base.manifests[i]!.layerDigest,
          built.layer.digest,
        ]);
        expect(built.blobCount).toBe(3);
        expect(built.totalSize).toBe(
          image.manifestDescriptor.size +
            image.configDescriptor.size +
            image.manifest.layers.reduce((sum, l) => sum + l.size, 0),
        );
        expect(image.config.config).toMatchObject({
          Entrypoint: ['/atlas'],
          WorkingDir: '/workspace',
          Labels: {
            'org.opencontainers.image.source': 'https://github.com/acme/app',
            'dev.atlas-ecs-deploy.stand-in-for': 'arigaio/atlas',
          },
        });
        expect(image.config.rootfs.diff_ids[1]).toBe(built.layer.diffId);

        const records = await readLayer(await readAll(image.openBlob(image.manifest.layers[1]!)));
        expect(records.map((r) => r.name)).toEqual([
          'workspace/',
          'workspace/atlas.hcl',
          'workspace/migrations/',
          'workspace/migrations/1_init.sql',
          'workspace/migrations/2_name.sql',
          'workspace/migrations/atlas.sum',
        ]);
        expect(records[1]!.content).toBe(PROJECT['atlas.hcl']);
      }
      expect((await readdir(join(dir, 'out'))).sort()).toEqual([
        'blobs',
        'index.json',
        'oci-layout',
      ]);
    }));

  it('keeps a Docker schema 2 base in the Docker media-type family', () =>
    withTempDir(async (dir) => {
      const { options } = await setUp(dir);
      const dockerDir = join(dir, 'docker-base');
      const layout = await new RawLayout(dockerDir).init();
      await layout.tag(await layout.image('amd64', 'docker'), 'v1').writeIndex();
      const built = await buildMigrationImage(
        options({ base: await readOciLayoutImage(dockerDir, 'v1', options().platform) }),
      );
      expect(built.manifestMediaType).toBe(MediaType.dockerManifest);
      expect(built.layer.mediaType).toBe(MediaType.dockerLayerGzip);
      const image = await readOciLayoutImage(built.layoutDir, 'migrations', options().platform);
      expect(image.manifest.config.mediaType).toBe(MediaType.dockerConfig);
      expect(image.manifest.layers.map((l) => l.mediaType)).toEqual([
        MediaType.dockerLayerGzip,
        MediaType.dockerLayerGzip,
      ]);
    }));

  it('gives the same digests on every build of the same files', () =>
    withTempDir(async (dir) => {
      const { options } = await setUp(dir);
      const first = await buildMigrationImage(options({ outputDir: join(dir, 'out1') }));
      const second = await buildMigrationImage(options({ outputDir: join(dir, 'out2') }));
      expect(second).toEqual({
        ...first,
        layoutDir: join(dir, 'out2'),
        layerPath: first.layerPath.replace(join(dir, 'out1'), join(dir, 'out2')),
      });
    }));

  it('marks executables and can put the files at the image root', () =>
    withTempDir(async (dir) => {
      const { files, options } = await setUp(dir);
      const script = join(dir, 'ws', 'run.sh');
      await writeFile(script, '#!/bin/sh\n');
      await chmod(script, 0o755);
      const withScript = [
        ...files,
        { path: 'run.sh', absolutePath: script, size: 10, executable: true },
      ];
      const built = await buildMigrationImage(
        options({ files: withScript, imageRoot: '', workingDir: '/' }),
      );
      const image = await readOciLayoutImage(built.layoutDir, 'migrations', options().platform);
      const records = await readLayer(await readAll(image.openBlob(image.manifest.layers[1]!)));
      expect(records.find((r) => r.name === 'run.sh')).toMatchObject({ mode: 0o755 });
      expect(records.find((r) => r.name === 'atlas.hcl')).toMatchObject({ mode: 0o644 });
    }));

  it('fails on a file that changed since it was listed, leaving no temp file', () =>
    withTempDir(async (dir) => {
      const { files, options } = await setUp(dir);
      await writeFile(files[1]!.absolutePath, 'CREATE TABLE users (id bigint, name text);\n');
      await expect(buildMigrationImage(options())).rejects.toThrow(
        /^migrations\/1_init\.sql: changed while being read: expected 29 bytes/,
      );
      expect(await readdir(join(dir, 'out'))).toEqual([]);
    }));

  it('refuses a base read for another platform', () =>
    withTempDir(async (dir) => {
      const { options } = await setUp(dir);
      await expect(
        buildMigrationImage(options({ platform: platformForCpuArchitecture('ARM64') })),
      ).rejects.toThrow(/has no linux\/arm64 image \(it has: linux\/amd64\)/);
      expect(await readdir(join(dir, 'out')).catch(() => [])).toEqual([]);
    }));

  it('leaves the base layers out of the layout when asked, and names no image in it', () =>
    withTempDir(async (dir) => {
      const { options, base } = await setUp(dir);
      const built = await buildMigrationImage(options({ copyBaseLayers: false }));
      expect(built.complete).toBe(false);
      const blobs = await readdir(join(built.layoutDir, 'blobs', 'sha256'));
      expect(blobs.sort()).toEqual(
        [built.manifestDigest, built.configDigest, built.layer.digest]
          .map((d) => d.slice(7))
          .sort(),
      );
      expect(base.manifests.every((m) => !blobs.includes(m.layerDigest.slice(7)))).toBe(true);
      await expect(readdir(join(built.layoutDir))).resolves.not.toContain('index.json');
      expect(built.image.manifestBytes.length).toBe(built.image.manifestDescriptor.size);
    }));

  it('fails with the fix when the base has no image for the platform', () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const baseDir = join(dir, 'base');
      await expect(
        readOciLayoutImage(baseDir, 'latest', { os: 'linux', architecture: 'riscv64' }),
      ).rejects.toThrow(
        /\(tag latest\): has no linux\/riscv64 image \(it has: linux\/amd64, linux\/arm64\/v8\)\. Fix: use a base image/,
      );
    }));

  it('rejects an image root that leaves the image', () =>
    withTempDir(async (dir) => {
      const { options } = await setUp(dir);
      await expect(buildMigrationImage(options({ imageRoot: '../up' }))).rejects.toThrow(
        /image root: '..\/up' is not a relative path/,
      );
      await expect(buildMigrationImage(options({ imageRoot: '/abs' }))).rejects.toThrow(
        /image root/,
      );
    }));
});

describe('generateStandInBase', () => {
  it('is deterministic, and --layer-mib adds incompressible bytes', () =>
    withTempDir(async (dir) => {
      const first = await generateStandInBase(join(dir, 'a'));
      const second = await generateStandInBase(join(dir, 'b'));
      expect(second).toEqual({ ...first, dir: join(dir, 'b') });

      const big = await generateStandInBase(join(dir, 'c'), { layerMib: 1 });
      for (const m of big.manifests) expect(m.layerSize).toBeGreaterThan(1024 * 1024);
      expect(big.manifests[0]!.layerDigest).not.toBe(big.manifests[1]!.layerDigest);
      const again = await generateStandInBase(join(dir, 'd'), { layerMib: 1 });
      expect(again.indexDigest).toBe(big.indexDigest);
    }));

  it('rejects a bad filler size', async () => {
    await expect(generateStandInBase('/nonexistent', { layerMib: -1 })).rejects.toThrow(
      /--layer-mib/,
    );
  });
});
