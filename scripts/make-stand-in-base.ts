// Generates an OCI image layout that stands in for arigaio/atlas, so demos and tests run offline.
// Its /atlas is a shell script that says it is a stand-in and fails: nobody can mistake it for Atlas.
//
//   npx ts-node --transpile-only scripts/make-stand-in-base.ts [DIR] [--layer-mib N]
//
// DIR defaults to examples/base-image. --layer-mib adds N MiB of incompressible filler to each
// platform's layer, to model the tens-of-MB Atlas binary in benchmarks. The output is
// deterministic: the same options give the same digests on every run and machine.

import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { formatPlatform } from '../src/image/platform';
import { writeLayer, type LayerEntry } from '../src/image/layer';
import {
  MediaType,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../src/image/types';
import {
  ensureLayout,
  layoutTempPath,
  moveIntoBlobs,
  putBlobBytes,
  putIndexEntry,
} from '../src/files/oci-layout';

export const DEFAULT_STAND_IN_DIR = 'examples/base-image';
export const STAND_IN_PLATFORMS: readonly Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  // Docker Hub lists arm64 images as arm64/v8; keeping the variant exercises that match.
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];
const MIB = 1024 * 1024;

export interface StandInOptions {
  /** MiB of incompressible filler per platform layer; 0 (the default) adds none. */
  layerMib?: number;
  tag?: string;
}

export interface StandInBase {
  dir: string;
  tag: string;
  indexDigest: string;
  manifests: { platform: Platform; digest: string; layerDigest: string; layerSize: number }[];
}

export async function generateStandInBase(
  dir: string,
  options: StandInOptions = {},
): Promise<StandInBase> {
  const layerMib = options.layerMib ?? 0;
  const tag = options.tag ?? 'latest';
  if (!Number.isSafeInteger(layerMib) || layerMib < 0) {
    throw new Error(`--layer-mib: '${layerMib}' is not a whole number of MiB; pass 0 or more`);
  }
  await ensureLayout(dir);

  const manifests: StandInBase['manifests'] = [];
  const indexEntries: Descriptor[] = [];
  for (const platform of STAND_IN_PLATFORMS) {
    const layerPath = layoutTempPath(dir, 'stand-in-layer');
    const layer = await writeLayer(layerEntries(platform, layerMib), createWriteStream(layerPath), {
      mediaType: MediaType.ociLayerGzip,
    });
    await moveIntoBlobs(dir, layerPath, layer);

    const configBytes = json(standInConfig(platform, layer.diffId));
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {
        mediaType: MediaType.ociConfig,
        digest: await putBlobBytes(dir, configBytes),
        size: configBytes.length,
      },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }],
    };
    const manifestBytes = json(manifest);
    const digest = await putBlobBytes(dir, manifestBytes);
    indexEntries.push({
      mediaType: MediaType.ociManifest,
      digest,
      size: manifestBytes.length,
      platform: { ...platform },
    });
    manifests.push({ platform, digest, layerDigest: layer.digest, layerSize: layer.size });
  }

  // A nested index, as `skopeo copy --all docker://arigaio/atlas oci:DIR:latest` produces.
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: indexEntries,
  };
  const indexBytes = json(index);
  const indexDigest = await putBlobBytes(dir, indexBytes);
  await putIndexEntry(
    dir,
    { mediaType: MediaType.ociIndex, digest: indexDigest, size: indexBytes.length },
    tag,
  );
  return { dir, tag, indexDigest, manifests };
}

function layerEntries(platform: Platform, layerMib: number): LayerEntry[] {
  const script = Buffer.from(
    [
      '#!/bin/sh',
      `echo "atlas stand-in (${formatPlatform(platform)}): this image only stands in for arigaio/atlas` +
        ' in offline demos and tests; it is not Atlas and cannot run: atlas $*" >&2',
      'exit 1',
      '',
    ].join('\n'),
  );
  const entries: LayerEntry[] = [
    {
      path: 'atlas',
      size: script.length,
      executable: true,
      open: () => Readable.from([script]),
    },
  ];
  if (layerMib > 0) {
    entries.push({
      path: 'usr/share/atlas-stand-in/filler.bin',
      size: layerMib * MIB,
      executable: false,
      open: () => fillerStream(`atlas stand-in filler ${formatPlatform(platform)}`, layerMib * MIB),
    });
  }
  return entries;
}

/**
 * Pseudo-random bytes gzip cannot shrink, from AES-256-CTR's keystream under a key derived from
 * `seed`: deterministic like a SHA-256 counter stream, and fast enough for hundreds of MiB.
 * Each platform gets its own seed so, as with real Atlas images, no layer is shared.
 */
function fillerStream(seed: string, size: number): Readable {
  const key = createHash('sha256').update(seed).digest();
  const keystream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let remaining = size;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const length = Math.min(remaining, zeros.length);
      remaining -= length;
      this.push(keystream.update(zeros.subarray(0, length)));
    },
  });
}

function standInConfig(platform: Platform, diffId: string): ImageConfig {
  // No `created`: a time would make every run's digests different.
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Entrypoint: ['/atlas'],
      WorkingDir: '/',
      Labels: {
        'org.opencontainers.image.title': 'atlas stand-in',
        'org.opencontainers.image.description':
          'Offline stand-in for arigaio/atlas; /atlas prints that it is a stand-in and exits 1',
        'dev.atlas-ecs-deploy.stand-in-for': 'arigaio/atlas',
      },
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'make-stand-in-base: /atlas stand-in script' }],
  };
}

function json(document: unknown): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8');
}

function parseArgs(argv: readonly string[]): { dir: string; layerMib: number } {
  let dir: string | undefined;
  let layerMib = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === '--layer-mib') value = argv[++i];
    else if (arg.startsWith('--layer-mib=')) value = arg.slice('--layer-mib='.length);
    else if (arg.startsWith('-'))
      throw new Error(`unknown option '${arg}'; use [DIR] [--layer-mib N]`);
    else if (dir === undefined) dir = arg;
    else throw new Error(`unexpected argument '${arg}'; give at most one directory`);
    if (value !== undefined || arg.startsWith('--layer-mib')) {
      if (value === undefined || !/^\d+$/.test(value)) {
        throw new Error(
          `--layer-mib: '${value ?? ''}' is not a whole number of MiB; pass 0 or more`,
        );
      }
      layerMib = Number(value);
    }
  }
  return { dir: dir ?? DEFAULT_STAND_IN_DIR, layerMib };
}

async function main(): Promise<void> {
  const { dir, layerMib } = parseArgs(process.argv.slice(2));
  const base = await generateStandInBase(dir, { layerMib });
  console.log(`Wrote stand-in for arigaio/atlas to ${base.dir} (tag ${base.tag})`);
  console.log(`  index ${base.indexDigest}`);
  for (const m of base.manifests) {
    console.log(`  ${formatPlatform(m.platform)} ${m.digest} (layer ${m.layerSize} bytes)`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`make-stand-in-base: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
