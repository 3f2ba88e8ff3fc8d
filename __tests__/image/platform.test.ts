import { ImageError } from '../../src/image/image-error';
import {
  checkImagePlatform,
  formatPlatform,
  isAttestationDescriptor,
  platformForCpuArchitecture,
  platformMatches,
  selectPlatformManifest,
} from '../../src/image/platform';
import { MediaType, type Descriptor, type ImageIndex, type Platform } from '../../src/image/types';

function entry(platform: Platform | undefined, n: number, annotations?: Record<string, string>) {
  const d: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
    size: 100 + n,
  };
  if (platform) d.platform = platform;
  if (annotations) d.annotations = annotations;
  return d;
}

const amd64 = entry({ os: 'linux', architecture: 'amd64' }, 1);
const arm64v8 = entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 2);
const armv7 = entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 3);
const attestation = entry({ os: 'unknown', architecture: 'unknown' }, 4, {
  'vnd.docker.reference.type': 'attestation-manifest',
  'vnd.docker.reference.digest': amd64.digest,
});
const index = (manifests: Descriptor[]): ImageIndex => ({
  schemaVersion: 2,
  mediaType: MediaType.ociIndex,
  manifests,
});

describe('platformForCpuArchitecture', () => {
  it('maps ECS CPU architectures, X86_64 by default', () => {
    expect(platformForCpuArchitecture()).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(platformForCpuArchitecture('X86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(platformForCpuArchitecture('ARM64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it('rejects anything else with the allowed values', () => {
    expect(() => platformForCpuArchitecture('arm64')).toThrow(ImageError);
    expect(() => platformForCpuArchitecture('i386')).toThrow(/use one of X86_64, ARM64/);
  });

  it('hands out a fresh object each time', () => {
    const first = platformForCpuArchitecture('ARM64');
    first.variant = 'v9';
    expect(platformForCpuArchitecture('ARM64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });
});

describe('platformMatches', () => {
  const arm64: Platform = { os: 'linux', architecture: 'arm64' };
  it('treats arm64 and arm64/v8 as the same CPU', () => {
    expect(platformMatches({ ...arm64, variant: 'v8' }, arm64)).toBe(true);
    expect(platformMatches(arm64, { ...arm64, variant: 'v8' })).toBe(true);
  });
  it('keeps other variants and operating systems apart', () => {
    expect(
      platformMatches(
        { os: 'linux', architecture: 'amd64', variant: 'v3' },
        { os: 'linux', architecture: 'amd64' },
      ),
    ).toBe(false);
    expect(
      platformMatches(
        { os: 'windows', architecture: 'amd64' },
        { os: 'linux', architecture: 'amd64' },
      ),
    ).toBe(false);
    expect(platformMatches(undefined, arm64)).toBe(false);
  });
});

describe('selectPlatformManifest', () => {
  it('picks the entry for the platform', () => {
    const all = index([attestation, amd64, arm64v8, armv7]);
    expect(selectPlatformManifest(all, platformForCpuArchitecture('X86_64'), 'atlas')).toBe(amd64);
    expect(selectPlatformManifest(all, platformForCpuArchitecture('ARM64'), 'atlas')).toBe(arm64v8);
  });

  it('never picks an attestation, even one claiming the platform', () => {
    const sneaky = entry({ os: 'linux', architecture: 'amd64' }, 5, {
      'vnd.docker.reference.type': 'attestation-manifest',
    });
    expect(isAttestationDescriptor(sneaky)).toBe(true);
    expect(isAttestationDescriptor(attestation)).toBe(true);
    expect(isAttestationDescriptor(amd64)).toBe(false);
    expect(
      selectPlatformManifest(index([sneaky, amd64]), platformForCpuArchitecture(), 'atlas'),
    ).toBe(amd64);
  });

  it('lists what the image has and both fixes when the platform is missing', () => {
    const error = (() => {
      try {
        selectPlatformManifest(
          index([attestation, amd64, armv7]),
          platformForCpuArchitecture('ARM64'),
          'arigaio/atlas:latest',
        );
      } catch (e) {
        return e as ImageError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(ImageError);
    expect(error.source).toBe('arigaio/atlas:latest');
    expect(error.problem).toBe('has no linux/arm64 image (it has: linux/amd64, linux/arm/v7)');
    expect(error.fix).toMatch(/base image \(atlas-image\) that is published for linux\/arm64/);
    expect(error.fix).toMatch(/runtimePlatform.cpuArchitecture to X86_64/);
    expect(error.message).not.toMatch(/unknown/);
  });

  it('says so when an index has no runnable image at all', () => {
    expect(() =>
      selectPlatformManifest(index([attestation]), platformForCpuArchitecture(), 'atlas'),
    ).toThrow(/has no linux\/amd64 image \(it has: none\)/);
  });
});

describe('checkImagePlatform', () => {
  it('accepts a single-platform base for its platform only', () => {
    const arm = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    expect(() =>
      checkImagePlatform(arm, platformForCpuArchitecture('ARM64'), 'base'),
    ).not.toThrow();
    expect(() => checkImagePlatform(arm, platformForCpuArchitecture('X86_64'), 'base')).toThrow(
      /has no linux\/amd64 image \(it has: linux\/arm64\/v8\).*ARM64/,
    );
  });
});

describe('formatPlatform', () => {
  it('adds the variant when there is one', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(
      'linux/arm/v7',
    );
  });
});
