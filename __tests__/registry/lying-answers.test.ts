// Answers that are not what they claim. A HEAD that says "yes, but for sha256:other" must not
// count as "the registry has it", or a push would skip the blobs and tag a manifest the registry
// never received; an HTML page (a captive portal, a login page) is not a manifest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RemoteError } from '../../src/errors';
import { pullBaseImage } from '../../src/registry/pull';
import { pushImage } from '../../src/registry/push';
import { makeImage, pushable, randomLayer } from '../helpers/images';
import { testClient } from '../helpers/test-client';

const OTHER = `sha256:${'e'.repeat(64)}`;
const repo = { registry: '127.0.0.1:5999', repository: 'lying/app' };
let configDir: string;

beforeAll(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'lying-answers-'));
});
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

/** A registry that answers every request with `answer`, and records what was asked. */
function scripted(answer: (method: string, url: string) => Response) {
  const requests: string[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const method = init.method ?? 'GET';
    requests.push(`${method} ${new URL(url).pathname}`);
    return answer(method, url);
  };
  return { fetch, requests };
}

describe('HEAD answers about another digest', () => {
  it('refuses a manifest HEAD by digest that names another digest', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const { fetch } = scripted(
      () =>
        new Response(null, {
          status: 200,
          headers: {
            'Docker-Content-Digest': OTHER,
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            'Content-Length': '500',
          },
        }),
    );
    const { client } = testClient(configDir, { fetch });
    const error = await client.headManifest(repo, digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toBe(
      `check manifest ${digest} on 127.0.0.1:5999/lying/app failed: manifest of 127.0.0.1:5999/lying/app: asked about ${digest}, the registry answered for ${OTHER}. Fix: the content from 127.0.0.1:5999 does not match its digest; retry, and if it persists check for a proxy rewriting responses`,
    );
  });

  it('still takes a tag HEAD at its word (a tag names whichever digest it holds)', async () => {
    const { fetch } = scripted(
      () =>
        new Response(null, {
          status: 200,
          headers: {
            'Docker-Content-Digest': OTHER,
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            'Content-Length': '500',
          },
        }),
    );
    const { client } = testClient(configDir, { fetch });
    expect(await client.headManifest(repo, 'v1')).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: OTHER,
      size: 500,
    });
  });

  it('refuses a blob HEAD that names another digest', async () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const { fetch } = scripted(
      () =>
        new Response(null, {
          status: 200,
          headers: { 'Docker-Content-Digest': OTHER, 'Content-Length': '10' },
        }),
    );
    const { client } = testClient(configDir, { fetch });
    await expect(client.headBlob(repo, digest)).rejects.toThrow(
      `check blob ${digest} on 127.0.0.1:5999/lying/app failed: blob of 127.0.0.1:5999/lying/app: asked about ${digest}, the registry answered for ${OTHER}.`,
    );
  });

  it('a push stops at the lying manifest HEAD: no blob skipped, no manifest or tag put', async () => {
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(1000)] });
    const { fetch, requests } = scripted(
      (method, url) =>
        new Response(null, {
          status: method === 'HEAD' && url.includes('/manifests/') ? 200 : 500,
          headers: {
            'Docker-Content-Digest': OTHER,
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            'Content-Length': '500',
          },
        }),
    );
    const { client } = testClient(configDir, { fetch });
    await expect(pushImage(client, repo, pushable(image), ['v1'], () => undefined)).rejects.toThrow(
      /asked about sha256:[0-9a-f]{64}, the registry answered for sha256:e{64}/,
    );
    expect(requests).toEqual([`HEAD /v2/lying/app/manifests/${image.manifestDescriptor.digest}`]);
  });
});

describe('an HTML page where a manifest should be', () => {
  it.each([
    ['text/html; charset=utf-8', '<html><body>Sign in</body></html>'],
    ['application/json', '\n  <!DOCTYPE html><html><body>Sign in</body></html>'],
  ])('is refused as not the registry (Content-Type %s)', async (type, body) => {
    const { fetch } = scripted(
      () => new Response(body, { status: 200, headers: { 'Content-Type': type } }),
    );
    const { client, sleeps } = testClient(configDir, { fetch });
    const error = await client.getManifest({ ...repo, tag: 'latest' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toBe(
      `get manifest latest on 127.0.0.1:5999/lying/app failed: manifest latest of 127.0.0.1:5999/lying/app: the answer is an HTML page (HTTP 200, Content-Type ${type.split(';')[0]!}), not a manifest. Fix: check that 127.0.0.1:5999 is the registry's host (not a web site) and that no proxy, captive portal or login page answers in its place on this runner`,
    );
    expect(sleeps).toEqual([]);
  });
});

describe('JSON that is not a manifest', () => {
  it('is named as another document, not as a broken image', async () => {
    const { fetch } = scripted(
      () =>
        new Response('{"status":"ok","service":"mirror"}', {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        }),
    );
    const { client } = testClient(configDir, { fetch });
    await expect(
      pullBaseImage(client, { ...repo, tag: 'latest' }, { os: 'linux', architecture: 'amd64' }),
    ).rejects.toThrow(
      /^127\.0\.0\.1:5999\/lying\/app:latest sha256:[0-9a-f]{64}: is JSON but not an image manifest or index \(it has the fields status, service, none of schemaVersion, mediaType, config, layers, manifests\)\. Fix: check that 127\.0\.0\.1:5999 is the registry's host/,
    );
  });
});
