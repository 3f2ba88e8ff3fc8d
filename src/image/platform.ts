// Chooses the base image's variant for the CPU the ECS task runs on.

import { ImageError } from './image-error';
import type { Descriptor, ImageIndex, Platform } from './types';

/** ECS `runtimePlatform.cpuArchitecture` values and the OCI platform each runs. */
const ECS_CPU_PLATFORMS: Record<string, Platform> = {
  X86_64: { os: 'linux', architecture: 'amd64' },
  ARM64: { os: 'linux', architecture: 'arm64' },
};

/** ECS's default when a task definition names no CPU architecture is X86_64. */
export function platformForCpuArchitecture(cpuArchitecture?: string): Platform {
  const platform = ECS_CPU_PLATFORMS[cpuArchitecture ?? 'X86_64'];
  if (!platform) {
    throw new ImageError(
      'task definition runtimePlatform.cpuArchitecture',
      `'${cpuArchitecture}' is not an ECS CPU architecture`,
      `use one of ${Object.keys(ECS_CPU_PLATFORMS).join(', ')}, or leave it out for X86_64`,
    );
  }
  return { ...platform };
}

export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}

/**
 * arm64 images are published both without a variant and as `arm64/v8`, which mean the same CPU.
 * Other variants (arm/v7, amd64/v3) are kept distinct: they change what the binary requires.
 */
export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (!candidate) return false;
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return normalisedVariant(candidate) === normalisedVariant(wanted);
}

/**
 * BuildKit stores provenance and SBOM attestations as extra index entries with platform
 * unknown/unknown; they are not runnable images.
 */
export function isAttestationDescriptor(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.['vnd.docker.reference.type'] !== undefined) return true;
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

/** Picks the index entry for `platform`; the error lists what the image offers instead. */
export function selectPlatformManifest(
  index: ImageIndex,
  platform: Platform,
  sourceName: string,
): Descriptor {
  const runnable = index.manifests.filter((d) => !isAttestationDescriptor(d));
  const match = runnable.find((d) => platformMatches(d.platform, platform));
  if (match) return match;
  throw missingPlatform(
    sourceName,
    platform,
    runnable.map((d) => d.platform),
  );
}

/** For a base that is a single manifest, not an index: its config must be for the platform. */
export function checkImagePlatform(
  imagePlatform: Platform,
  platform: Platform,
  sourceName: string,
): void {
  if (!platformMatches(imagePlatform, platform)) {
    throw missingPlatform(sourceName, platform, [imagePlatform]);
  }
}

function missingPlatform(
  sourceName: string,
  platform: Platform,
  offered: readonly (Platform | undefined)[],
): ImageError {
  const wanted = formatPlatform(platform);
  const available = [
    ...new Set(offered.map((p) => (p ? formatPlatform(p) : 'an entry without a platform'))),
  ];
  const alternatives = Object.entries(ECS_CPU_PLATFORMS)
    .filter(([, p]) => offered.some((o) => platformMatches(o, p)))
    .map(([cpu]) => cpu);
  const setCpu =
    alternatives.length > 0
      ? `, or set the task definition's runtimePlatform.cpuArchitecture to ${alternatives.join(' or ')}`
      : '';
  return new ImageError(
    sourceName,
    `has no ${wanted} image (it has: ${available.length > 0 ? available.join(', ') : 'none'})`,
    `use a base image (atlas-image) that is published for ${wanted}${setCpu}`,
  );
}

function normalisedVariant(platform: Platform): string | undefined {
  if (platform.architecture === 'arm64' && platform.variant === 'v8') return undefined;
  return platform.variant || undefined;
}
