// The node:http sender used for streamed request bodies (blob uploads): it must behave like fetch
// for everything transport.ts relies on.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeHttpFetch } from '../../src/registry/node-http-fetch';
import { Readable } from 'node:stream';
import { createTransport } from '../../src/registry/transport';

let server: Server;
let base: string;
let handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function* chunks(count: number, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, i);
}

describe('nodeHttpFetch', () => {
  it('streams an async-iterable body and answers with status, headers and body', async () => {
    handler = (req, body, res) => {
      res.writeHead(202, { Location: '/next', 'X-Method': req.method ?? '' });
      res.end(`${body.length}:${body[0]}:${body[body.length - 1]}`);
    };
    const response = await nodeHttpFetch(`${base}/upload`, {
      method: 'PATCH',
      headers: { 'Content-Length': String(8 * 65536) },
      body: chunks(8, 65536) as unknown as RequestInit['body'],
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/next');
    expect(response.headers.get('x-method')).toBe('PATCH');
    expect(await response.text()).toBe(`${8 * 65536}:0:7`);
  });

  it('sends a Buffer body and gives a null body for 204 and for HEAD', async () => {
    handler = (_req, body, res) => {
      res.writeHead(204, { 'Docker-Content-Digest': `len-${body.length}` });
      res.end();
    };
    const put = await nodeHttpFetch(`${base}/put`, { method: 'PUT', body: Buffer.from('abc') });
    expect(put.status).toBe(204);
    expect(put.headers.get('docker-content-digest')).toBe('len-3');
    expect(put.body).toBeNull();

    handler = (_req, _body, res) => {
      res.writeHead(200, { 'Content-Length': '10' });
      res.end();
    };
    const head = await nodeHttpFetch(`${base}/head`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('rejects with the system error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      nodeHttpFetch(`http://127.0.0.1:${port}/`, { method: 'GET' }),
    ).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('fails the request when the body source fails, and stops on abort', async () => {
    handler = (_req, _body, res) => res.end('late');
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('part');
      throw new Error('source broke');
    }
    await expect(
      nodeHttpFetch(`${base}/broken`, {
        method: 'PATCH',
        headers: { 'Content-Length': '100' },
        body: broken() as unknown as RequestInit['body'],
      }),
    ).rejects.toThrow('source broke');

    const controller = new AbortController();
    handler = () => undefined; // never answers
    const pending = nodeHttpFetch(`${base}/stall`, { method: 'GET', signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('the transport', () => {
  it('sends every request through node:http, not fetch, when none is injected', async () => {
    const seen: string[] = [];
    handler = (req, body, res) => {
      // undici's fetch always sends Sec-Fetch-Mode; node:http sends nothing it is not given.
      const via = req.headers['sec-fetch-mode'] ? 'fetch' : 'node:http';
      seen.push(`${req.method} ${body.length} ${req.headers['user-agent'] ?? ''} via ${via}`);
      res.writeHead(201);
      res.end();
    };
    const transport = createTransport({ userAgent: 'atlas-ecs-deploy-test' });
    const streamed = await transport.send({
      method: 'PUT',
      url: `${base}/v2/x/blobs/uploads/1`,
      headers: { 'Content-Length': '3' },
      body: () => Readable.from([Buffer.from('abc')]),
    });
    await streamed.discard();
    const buffered = await transport.send({
      method: 'PUT',
      url: `${base}/v2/x/manifests/1`,
      body: Buffer.from('{}'),
    });
    await buffered.discard();
    // fetch closes the connection after a HEAD and tees every body it sends: see node-http-fetch.ts.
    const head = await transport.send({ method: 'HEAD', url: `${base}/v2/x/blobs/sha256:1` });
    await head.discard();
    const get = await transport.send({ method: 'GET', url: `${base}/v2/x/manifests/1` });
    await get.discard();
    expect(seen).toEqual([
      'PUT 3 atlas-ecs-deploy-test via node:http',
      'PUT 2 atlas-ecs-deploy-test via node:http',
      'HEAD 0 atlas-ecs-deploy-test via node:http',
      'GET 0 atlas-ecs-deploy-test via node:http',
    ]);
    expect(transport.stats.bytesUp).toBe(5);
  });
});
