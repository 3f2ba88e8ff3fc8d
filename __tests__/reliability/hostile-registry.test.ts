// Hostile registry answers, through the bundled action (dist/index.js) in a real deploy: the base
// image is pulled from one registry host (a fault proxy that rewrites, cuts or replaces answers)
// and the migration image pushed to another (a relay whose headers lie), against the loopback
// AWS. Each answer ends in a clean failure that names the registry, the reference or digest and
// what was wrong, with no AWS write and no tag pushed; or, for a resumable cut and for blobs
// redirected to another host (S3-style), in success, without credentials sent to that host.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateStandInBase } from '../../scripts/make-stand-in-base';
import { pushLayoutIndex } from '../helpers/images';
import { MediaType } from '../../src/image/types';
import type { RegistryClient } from '../../src/registry/client';
import { createTransport } from '../../src/registry/transport';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  stderrOf,
  tagsList,
} from '../e2e/deploy-env';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import { testClient } from '../helpers/test-client';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import { startRelay, type HeaderRule, type Relay } from './hostile-relay';

jest.setTimeout(120_000);

const BASE_REPOSITORY = 'arigaio/atlas';
/** Where a cut connection ends, in the 1 MiB base layer. */
const CUT_AT = 300_000;
const OTHER_DIGEST = `sha256:${'e'.repeat(64)}`;

const rows: string[][] = [];
let ws: TestWorkspace;
let scratch: string;

beforeAll(async () => {
  ws = await exampleWorkspace();
  // A 1 MiB base layer, so that a connection cut halfway has passed bytes on to resume from.
  const layout = path.join(ws.dir, 'base-image');
  rmSync(layout, { recursive: true, force: true });
  await generateStandInBase(layout, { layerMib: 1 });
  scratch = mkdtempSync(path.join(tmpdir(), 'hostile-registry-'));
});
afterAll(() => {
  ws?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  writeReport(
    'hostile-registry',
    'Hostile registry answers',
    `${rows.length} answers a registry, a proxy in front of it or its blob storage can give, each met by a run of the bundled action (or by the client where noted).`,
    markdownTable(['answer', 'where', 'outcome', 'message'], rows),
  );
});

/** The stand-in base (both platforms and their index) under BASE_REPOSITORY:latest. */
async function pushStandInBase(client: RegistryClient, registry: string) {
  const repo = { registry, repository: BASE_REPOSITORY };
  return pushLayoutIndex(client, repo, path.join(ws.dir, 'base-image'));
}

function flipByte(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  const at = Math.floor(copy.length / 2);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

const CAPTIVE_PORTAL =
  '<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body><form action="/login">Accept the terms</form></body></html>';

describe('answers of the base registry and of the target registry', () => {
  let registry: RegistryServer;
  /** The base comes from here: rewrites, cuts, replaced answers. */
  let source: FaultProxy;
  /** The migration image goes here: lying headers. */
  let target: Relay;
  let base: Awaited<ReturnType<typeof pushStandInBase>>;
  let aws: FakeAws;

  beforeAll(async () => {
    registry = await startRegistry();
    source = await startFaultProxy({ upstream: registry.url });
    target = await startRelay({ upstream: registry.url });
    base = await pushStandInBase(testClient(scratch).client, registry.host);
  });
  afterAll(async () => {
    await target?.stop();
    await source?.stop();
    await registry?.stop();
  });
  beforeEach(async () => {
    aws = (await startSeededAws()).aws;
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    source.reset();
    target.reset();
  });
  afterEach(async () => {
    await aws?.close();
  });

  const layer = () => base.amd64.manifest.layers[0]!;
  const config = () => base.amd64.configDescriptor;
  const platformManifest = () => base.amd64.manifestDescriptor.digest;

  interface Case {
    answer: string;
    where: string;
    sourceRules?: () => FaultRule[];
    targetRules?: () => HeaderRule[];
    /** What the one error annotation must hold; absent: the run succeeds. */
    message?: () => (string | RegExp)[];
    /** The target got the manifest by digest (the registry took it before its answer lied). */
    manifestStored?: boolean;
    /** Further checks of a run that succeeds. */
    check?: () => string;
    /** Further checks of a run that fails. */
    afterFailure?: () => void;
    /**
     * The base read through the target's host (its layers mounted, not staged): a first publish
     * whose staging saw a layer missing skips the manifest HEAD, a mounting one does not.
     */
    baseThroughTarget?: boolean;
  }

  const cases: Case[] = [
    {
      answer: 'platform manifest (by digest) whose bytes hash to another digest',
      where: 'base pull, GET manifest',
      sourceRules: () => [
        {
          method: 'GET',
          path: /\/manifests\/sha256:/,
          times: 20,
          action: {
            kind: 'rewrite-response',
            rewrite: (body) => Buffer.from(body.toString().replace('{', '{ ')),
          },
        },
      ],
      message: () => [
        `get manifest ${platformManifest()} on ${source.host}/${BASE_REPOSITORY} failed`,
        new RegExp(`hashes to sha256:[0-9a-f]{64}, not ${platformManifest()}`),
      ],
    },
    {
      answer: 'index (by tag) whose bytes differ from its Docker-Content-Digest',
      where: 'base pull, GET manifest',
      sourceRules: () => [
        {
          method: 'GET',
          path: /\/manifests\/latest/,
          times: 20,
          action: {
            kind: 'rewrite-response',
            rewrite: (body) => Buffer.from(body.toString().replace('{', '{ ')),
          },
        },
      ],
      message: () => [
        `get manifest latest on ${source.host}/${BASE_REPOSITORY} failed`,
        `the registry reports digest ${base.indexDigest}, but the bytes hash to sha256:`,
      ],
    },
    {
      answer: 'config blob whose bytes differ',
      where: 'base pull, GET blob',
      sourceRules: () => [
        {
          method: 'GET',
          path: new RegExp(`/blobs/${config().digest}`),
          times: 20,
          action: { kind: 'rewrite-response', rewrite: flipByte },
        },
      ],
      message: () => [
        `${source.host}/${BASE_REPOSITORY} blob ${config().digest}`,
        'content hashes to sha256:',
      ],
    },
    {
      answer: 'layer blob whose bytes differ',
      where: 'base layer streamed into the push',
      sourceRules: () => [
        {
          method: 'GET',
          path: new RegExp(`/blobs/${layer().digest}`),
          times: 20,
          action: { kind: 'rewrite-response', rewrite: flipByte },
        },
      ],
      message: () => [layer().digest, 'content hashes to sha256:'],
    },
    {
      answer: 'layer blob cut short once (connection closed before Content-Length)',
      where: 'base layer streamed into the push',
      sourceRules: () => [
        {
          method: 'GET',
          path: new RegExp(`/blobs/${layer().digest}`),
          action: { kind: 'reset-response', afterBytes: CUT_AT },
        },
      ],
      check: () => {
        const gets = source.records.filter(
          (r) => r.method === 'GET' && r.url.includes(layer().digest),
        );
        expect(gets).toHaveLength(2);
        const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
        expect(resumedAt).toBeGreaterThan(0);
        expect(resumedAt).toBeLessThanOrEqual(CUT_AT);
        return `resumed with \`Range: ${gets[1]!.range!}\`, image pushed, deployed`;
      },
    },
    {
      answer: 'layer blob cut short at every attempt (after 200 kB each time)',
      where: 'base layer streamed into the push',
      sourceRules: () => [
        {
          method: 'GET',
          path: new RegExp(`/blobs/${layer().digest}`),
          times: 100,
          // 5 attempts of at most 200 kB each cannot bring the 1 MiB layer.
          action: { kind: 'reset-response', afterBytes: 200_000 },
        },
      ],
      afterFailure: () => {
        // The attempts were bounded, and retries resumed where the last one stopped (bytes read
        // before a reset are passed on; those still in the socket buffer are lost).
        const gets = source.records.filter(
          (r) => r.method === 'GET' && r.url.includes(layer().digest),
        );
        expect(gets).toHaveLength(5);
        expect(gets.some((r) => /^bytes=[1-9]\d*-$/.test(r.range ?? ''))).toBe(true);
      },
      message: () => [
        `get blob ${layer().digest} on ${source.host}/${BASE_REPOSITORY} failed`,
        `the connection to ${source.host} was dropped`,
      ],
    },
    {
      answer: 'layer blob shorter than its descriptor, with a matching (short) Content-Length',
      where: 'base layer streamed into the push',
      sourceRules: () => [
        {
          method: 'GET',
          path: new RegExp(`/blobs/${layer().digest}`),
          times: 20,
          action: {
            kind: 'rewrite-response',
            rewrite: (body) => body.subarray(0, body.length - 100),
          },
        },
      ],
      message: () => [`${source.host}/${BASE_REPOSITORY} blob ${layer().digest}`],
    },
    {
      answer: 'HTML page with 200 and Content-Type text/html for the manifest (captive portal)',
      where: 'base pull, GET manifest',
      sourceRules: () => [
        {
          method: 'GET',
          path: /\/manifests\/latest/,
          times: 20,
          action: {
            kind: 'status',
            status: 200,
            headers: { 'Content-Type': 'text/html; charset=utf-8' },
            body: CAPTIVE_PORTAL,
          },
        },
      ],
      message: () => [
        `get manifest latest on ${source.host}/${BASE_REPOSITORY} failed`,
        'the answer is an HTML page (HTTP 200, Content-Type text/html), not a manifest',
        'no proxy, captive portal or login page answers in its place',
      ],
    },
    {
      answer: 'JSON that is not a manifest (200, application/json)',
      where: 'base pull, GET manifest',
      sourceRules: () => [
        {
          method: 'GET',
          path: /\/manifests\/latest/,
          times: 20,
          action: {
            kind: 'status',
            status: 200,
            headers: { 'Content-Type': 'application/json' },
            body: '{"status":"ok","service":"registry-mirror"}',
          },
        },
      ],
      message: () => [
        `${source.host}/${BASE_REPOSITORY}:latest sha256:`,
        'is JSON but not an image manifest or index (it has the fields status, service, none of schemaVersion, mediaType, config, layers, manifests)',
        `check that ${source.host} is the registry's host`,
      ],
    },
    {
      answer: 'manifest PUT answered with a Docker-Content-Digest naming another digest',
      where: 'push, PUT manifest',
      targetRules: () => [
        {
          method: 'PUT',
          path: /\/manifests\//,
          headers: { 'Docker-Content-Digest': OTHER_DIGEST },
        },
      ],
      message: () => [
        new RegExp(`put manifest sha256:[0-9a-f]{64} on ${target.host}/e2e/`),
        `the registry reports digest ${OTHER_DIGEST}, but the bytes hash to sha256:`,
      ],
      manifestStored: true,
    },
    {
      answer: 'manifest HEAD (by digest) answered 200 for another digest',
      where: 'push, HEAD manifest',
      baseThroughTarget: true,
      targetRules: () => [
        {
          method: 'HEAD',
          path: /\/manifests\/sha256:/,
          status: 200,
          headers: {
            'Docker-Content-Digest': OTHER_DIGEST,
            'Content-Type': MediaType.ociManifest,
            'Content-Length': '500',
          },
        },
      ],
      message: () => [
        new RegExp(`check manifest sha256:[0-9a-f]{64} on ${target.host}/e2e/`),
        `the registry answered for ${OTHER_DIGEST}`,
      ],
    },
    {
      answer: 'blob HEAD answered 200 for another digest',
      where: 'push, HEAD blob',
      targetRules: () => [
        {
          method: 'HEAD',
          path: /\/blobs\/sha256:/,
          status: 200,
          headers: { 'Docker-Content-Digest': OTHER_DIGEST, 'Content-Length': '10' },
        },
      ],
      message: () => [
        new RegExp(`check blob sha256:[0-9a-f]{64} on ${target.host}/e2e/`),
        `the registry answered for ${OTHER_DIGEST}`,
      ],
    },
    {
      answer: 'blob upload PUT answered with a Docker-Content-Digest naming another digest',
      where: 'push, PUT blob upload',
      targetRules: () => [
        {
          method: 'PUT',
          path: /\/blobs\/uploads\//,
          headers: { 'Docker-Content-Digest': OTHER_DIGEST },
        },
      ],
      message: () => [
        new RegExp(`upload blob sha256:[0-9a-f]{64} on ${target.host}/e2e/`),
        `the registry reports digest ${OTHER_DIGEST}, but the bytes hash to sha256:`,
      ],
    },
  ];

  it.each(cases)('$answer', async (c) => {
    for (const rule of c.sourceRules?.() ?? []) source.addRule(rule);
    for (const rule of c.targetRules?.() ?? []) target.addRule(rule);
    const name = repositoryName('hostile');
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${target.host}/${name}`, {
        'atlas-image': `${c.baseThroughTarget ? target.host : source.host}/${BASE_REPOSITORY}:latest`,
      }),
    );
    expect(stderrOf(run)).toBe('');
    const faultsSeen = [
      ...source.records.filter((r) => r.fault),
      ...target.records.filter((r) => r.lied),
    ];
    expect(faultsSeen.length).toBeGreaterThan(0);

    if (!c.message) {
      expect(run.errors).toEqual([]);
      expect(run.code).toBe(0);
      rows.push([c.answer, c.where, 'succeeds', c.check!()]);
      return;
    }
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    const message = annotationText(run.errors);
    for (const part of c.message()) {
      if (typeof part === 'string') expect(message).toContain(part);
      else expect(message).toMatch(part);
    }
    expect(message).toContain('Fix: ');
    c.afterFailure?.();
    // Nothing registered or deployed; no tag in the target repository.
    expect(aws.writes()).toEqual([]);
    const tags = await tagsList(registry.url, name);
    expect(tags.tags).toEqual([]);
    const manifestPuts = target.records.filter(
      (r) => r.method === 'PUT' && r.url.includes('/manifests/') && r.status === 201,
    );
    expect(manifestPuts).toHaveLength(c.manifestStored ? 1 : 0);
    rows.push([
      c.answer,
      c.where,
      c.manifestStored
        ? 'fails; manifest stored by digest before the lie, untagged; no AWS write'
        : 'fails; nothing pushed, no AWS write',
      message.split('\n')[0]!.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…'),
    ]);
  });
});

describe('blobs redirected to another host (S3-style)', () => {
  const username = 'deployer';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const basic = Buffer.from(`${username}:${password}`).toString('base64');
  let registry: RegistryServer;
  /** The registry's front door: answers blob GETs with a redirect to the storage host. */
  let front: FaultProxy;
  /** The storage, on another loopback address, with its own access to the blobs. */
  let storage: Relay;
  let aws: FakeAws;

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { username, password } });
    front = await startFaultProxy({ upstream: registry.url });
    storage = await startRelay({
      upstream: registry.url,
      bindAddress: '127.0.0.2',
      upstreamAuthorization: `Basic ${basic}`,
    });
    const dockerConfig = path.join(scratch, 'docker-redirect');
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [front.host]: { auth: basic } } }),
    );
    await pushStandInBase(testClient(dockerConfig).client, front.host);
    aws = (await startSeededAws()).aws;
  });
  afterAll(async () => {
    await aws?.close();
    await storage?.stop();
    await front?.stop();
    await registry?.stop();
  });

  it('follows the redirect and sends no credentials to the storage host', async () => {
    front.reset();
    front.addRule({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      times: 100,
      action: { kind: 'redirect', to: storage.url },
    });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${front.host}/${repositoryName('redirected')}`, {
        'dry-run': 'true',
        'task-definition': 'task-definition.json',
        'atlas-image': `${front.host}/${BASE_REPOSITORY}:latest`,
      }),
      { DOCKER_CONFIG: path.join(scratch, 'docker-redirect') },
    );
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    // Config and layer: each asked at the front door with the login, answered 307…
    const redirected = front.records.filter((r) => r.status === 307);
    expect(redirected).toHaveLength(2);
    expect(redirected.every((r) => r.authorization)).toBe(true);
    // …and fetched from the other host without any Authorization header.
    const fetched = storage.records.filter((r) => r.method === 'GET');
    expect(fetched.map((r) => r.url)).toEqual(redirected.map((r) => r.url));
    expect(fetched.map((r) => [r.authorization, r.status])).toEqual(
      fetched.map(() => [false, 200]),
    );
    expect(aws.calls).toEqual([]);
    rows.push([
      `blob GETs answered 307 to another host (${storage.host.split(':')[0]!}), registry behind basic auth`,
      'base pull (dry run), GET blob',
      'succeeds',
      `${fetched.length} blobs fetched from the other host with no Authorization header; the registry got the login`,
    ]);
  });

  it('refuses a redirect from https to plain http', async () => {
    // The same rule as __tests__/registry/transport.test.ts, here for the table: no loopback
    // registry speaks https, so the transport is given a scripted fetch.
    const transport = createTransport({
      fetch: async () =>
        new Response(null, {
          status: 307,
          headers: { Location: 'http://storage.example.com/blob?X-Amz-Signature=abc' },
        }),
    });
    const error = (await transport
      .send({
        method: 'GET',
        url: 'https://registry.example.com/v2/a/blobs/sha256:1',
        headers: { Authorization: 'Bearer secret' },
        followRedirects: true,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
    expect(error.message).toBe(
      'GET https://registry.example.com/v2/a/blobs/sha256:1 was redirected to plain HTTP (storage.example.com); refused',
    );
    rows.push([
      'blob GET on https redirected to plain http',
      'transport (scripted fetch; unit test in __tests__/registry/transport.test.ts)',
      'fails, nothing fetched from the http host',
      error.message,
    ]);
  });
});
