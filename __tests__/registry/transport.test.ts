// The transport's own rules, with a scripted fetch: https unless loopback, manual redirects that
// drop Authorization across origins and refuse downgrades, openers re-read on a resend.

import { Readable } from 'node:stream';
import { createTransport, registryBaseUrl, withQuery } from '../../src/registry/transport';

function scripted(answers: Array<(url: string, init: RequestInit) => Response>) {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, headers: { ...(init.headers as Record<string, string>) } });
    const next = answers.shift();
    if (!next) throw new Error('unexpected request');
    return next(url, init);
  };
  return { fetch, calls };
}

describe('registryBaseUrl', () => {
  it('speaks http only to loopback registries', () => {
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(registryBaseUrl('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe(
      'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    );
    expect(registryBaseUrl('localhost.example.com')).toBe('https://localhost.example.com');
  });

  it('appends the digest to upload locations that already carry a query', () => {
    expect(withQuery('http://r/v2/a/blobs/uploads/u?_state=x%3D', { digest: 'sha256:ab' })).toBe(
      'http://r/v2/a/blobs/uploads/u?_state=x%3D&digest=sha256%3Aab',
    );
  });
});

describe('redirects', () => {
  it('keeps Authorization on the same origin and drops it on another', async () => {
    const { fetch, calls } = scripted([
      () => new Response(null, { status: 307, headers: { Location: '/v2/a/blobs/other' } }),
      () =>
        new Response(null, {
          status: 302,
          headers: { Location: 'https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc' },
        }),
      () => new Response('blob', { status: 200 }),
    ]);
    const transport = createTransport({ fetch });
    const response = await transport.send({
      method: 'GET',
      url: 'https://registry.example.com/v2/a/blobs/sha256:1',
      headers: { Authorization: 'Bearer secret' },
      followRedirects: true,
    });
    expect((await response.readBytes(100)).toString()).toBe('blob');
    expect(calls.map((c) => c.url)).toEqual([
      'https://registry.example.com/v2/a/blobs/sha256:1',
      'https://registry.example.com/v2/a/blobs/other',
      'https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc',
    ]);
    expect(calls.map((c) => c.headers.Authorization)).toEqual([
      'Bearer secret',
      'Bearer secret',
      undefined,
    ]);
    expect(transport.stats.requests).toEqual({ GET: 3 });
    expect(transport.stats.bytesDown).toBe(4);
  });

  it('refuses a redirect from https to plain http', async () => {
    const { fetch } = scripted([
      () => new Response(null, { status: 302, headers: { Location: 'http://cdn.example.com/x' } }),
    ]);
    await expect(
      createTransport({ fetch }).send({
        method: 'GET',
        url: 'https://registry.example.com/v2/a/blobs/sha256:1',
        followRedirects: true,
      }),
    ).rejects.toThrow(/redirected to plain HTTP \(cdn\.example\.com\); refused/);
  });

  it('does not follow redirects unless asked', async () => {
    const { fetch } = scripted([
      () => new Response(null, { status: 307, headers: { Location: '/elsewhere' } }),
    ]);
    const response = await createTransport({ fetch }).send({ method: 'GET', url: 'https://r/v2/' });
    expect(response.status).toBe(307);
  });
});

describe('bodies', () => {
  it('opens a streamed body afresh for every send and counts its bytes', async () => {
    const received: number[] = [];
    const fetch = async (_url: string, init: RequestInit) => {
      let n = 0;
      for await (const chunk of init.body as unknown as AsyncIterable<Uint8Array>)
        n += chunk.length;
      received.push(n);
      return new Response(null, { status: 202 });
    };
    let opens = 0;
    const transport = createTransport({ fetch });
    const request = {
      method: 'PATCH',
      url: 'https://r/v2/a/blobs/uploads/1',
      body: () => {
        opens++;
        return Readable.from([Buffer.alloc(1000), Buffer.alloc(24)]);
      },
    };
    await transport.send(request);
    await transport.send(request);
    expect(opens).toBe(2);
    expect(received).toEqual([1024, 1024]);
    expect(transport.stats.bytesUp).toBe(2048);
  });

  it('parses distribution error bodies and Retry-After', async () => {
    const { fetch } = scripted([
      () =>
        new Response(
          JSON.stringify({
            errors: [{ code: 'TOOMANYREQUESTS', message: 'rate limit', detail: {} }],
          }),
          { status: 429, headers: { 'Retry-After': '12' } },
        ),
    ]);
    const response = await createTransport({ fetch }).send({
      method: 'GET',
      url: 'https://r/v2/x',
    });
    const error = await response.toError();
    expect(error.message).toBe('GET answered HTTP 429 (TOOMANYREQUESTS: rate limit)');
    expect(error.retryAfterMs).toBe(12_000);
    expect(error.errors).toEqual([{ code: 'TOOMANYREQUESTS', message: 'rate limit' }]);
  });
});
