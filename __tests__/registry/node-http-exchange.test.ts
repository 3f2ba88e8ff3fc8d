// The node:http exchange every registry request goes through: what transport.ts relies on of it
// (streamed bodies with backpressure, headers as fetch reads them, null bodies, errors, abort).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { NodeHeaders, nodeHttpExchange } from '../../src/registry/node-http-exchange';
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

function chunks(count: number, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < count; i++) yield Buffer.alloc(size, i);
    })(),
  );
}

async function text(body: Readable | null): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body ?? []) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString();
}

const signal = () => new AbortController().signal;

describe('nodeHttpExchange', () => {
  it('streams a body and answers with status, headers and body', async () => {
    handler = (req, body, res) => {
      res.writeHead(202, { Location: '/next', 'X-Method': req.method ?? '' });
      res.end(`${body.length}:${body[0]}:${body[body.length - 1]}`);
    };
    const response = await nodeHttpExchange(`${base}/upload`, {
      method: 'PATCH',
      headers: { 'Content-Length': String(8 * 65536) },
      body: chunks(8, 65536),
      signal: signal(),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('/next');
    expect(response.headers.get('X-Method')).toBe('PATCH');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await text(response.body)).toBe(`${8 * 65536}:0:7`);
  });

  it('sends a Buffer body and gives a null body for 204 and for HEAD', async () => {
    handler = (_req, body, res) => {
      res.writeHead(204, { 'Docker-Content-Digest': `len-${body.length}` });
      res.end();
    };
    const put = await nodeHttpExchange(`${base}/put`, {
      method: 'PUT',
      headers: {},
      body: Buffer.from('abc'),
      signal: signal(),
    });
    expect(put.status).toBe(204);
    expect(put.headers.get('docker-content-digest')).toBe('len-3');
    expect(put.body).toBeNull();

    handler = (_req, _body, res) => {
      res.writeHead(200, { 'Content-Length': '10' });
      res.end();
    };
    const head = await nodeHttpExchange(`${base}/head`, {
      method: 'HEAD',
      headers: {},
      signal: signal(),
    });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('rejects with the system error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      nodeHttpExchange(`http://127.0.0.1:${port}/`, {
        method: 'GET',
        headers: {},
        signal: signal(),
      }),
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
      nodeHttpExchange(`${base}/broken`, {
        method: 'PATCH',
        headers: { 'Content-Length': '100' },
        body: Readable.from(broken()),
        signal: signal(),
      }),
    ).rejects.toThrow('source broke');

    const controller = new AbortController();
    handler = () => undefined; // never answers
    const pending = nodeHttpExchange(`${base}/stall`, {
      method: 'GET',
      headers: {},
      signal: controller.signal,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('NodeHeaders', () => {
  it('reads names case-insensitively and joins repeated values as fetch does', () => {
    const headers = new NodeHeaders({ 'x-repeated': ['a', 'b'], location: '/x' });
    expect(headers.get('X-Repeated')).toBe('a, b');
    expect(headers.get('Location')).toBe('/x');
    expect(headers.get('content-length')).toBeNull();
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
    // fetch closes the connection after a HEAD and tees every body it sends: see node-http-exchange.ts.
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

describe('a request body released before its end', () => {
  it('fails the request, so its socket does not hold the process open', async () => {
    // The registry answers (keeping the connection) once it has the bytes Content-Length
    // announced; the source has sent them all but not ended when the answer is read and the
    // source released. Its request must not be left unfinished on a socket in use.
    const connections: Array<Promise<void>> = [];
    const eager = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { 'Content-Length': '0' }).end());
    });
    eager.on('connection', (socket) =>
      connections.push(new Promise((resolve) => socket.on('close', () => resolve()))),
    );
    await new Promise<void>((resolve) => eager.listen(0, '127.0.0.1', resolve));
    try {
      const port = (eager.address() as AddressInfo).port;
      const transport = createTransport();
      const response = await transport.send({
        method: 'PATCH',
        url: `http://127.0.0.1:${port}/v2/x/blobs/uploads/1`,
        headers: { 'Content-Length': '4' },
        body: () => {
          const unended = new Readable({ read() {} });
          unended.push(Buffer.from('abcd'));
          return unended;
        },
      });
      expect(response.status).toBe(202);
      await response.discard();
      expect(connections).toHaveLength(1);
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        connections[0]!.then(() => 'closed'),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still open after 2 s'), 2000))),
      ]);
      clearTimeout(timer);
      expect(closed).toBe('closed');
    } finally {
      eager.closeAllConnections();
      await new Promise<void>((resolve) => eager.close(() => resolve()));
    }
  });
});
