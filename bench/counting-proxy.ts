// npm run bench: a loopback HTTP proxy in front of a registry that counts what crosses it, so the
// buildah comparison measures both tools the same way and trusts neither one's own figures.
// Per request: the method, and the bytes of the request body (up) and of the response body
// (down), counted as they stream through. Headers are not counted; they are the same order of
// size for both tools and would only blur the body figures. The Host header is passed on as the
// client sent it, so the registry's Location headers point back at the proxy.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

export interface Traffic {
  requests: number;
  byMethod: Record<string, number>;
  /** Request body bytes: what the client sent the registry. */
  bytesUp: number;
  /** Response body bytes: what the client received from the registry. */
  bytesDown: number;
}

export interface CountingProxy {
  /** `127.0.0.1:<port>`: a registry name as references use it. */
  readonly host: string;
  traffic(): Traffic;
  reset(): void;
  stop(): Promise<void>;
}

export function emptyTraffic(): Traffic {
  return { requests: 0, byMethod: {}, bytesUp: 0, bytesDown: 0 };
}

export function addTraffic(a: Traffic, b: Traffic): Traffic {
  const byMethod = { ...a.byMethod };
  for (const [method, n] of Object.entries(b.byMethod))
    byMethod[method] = (byMethod[method] ?? 0) + n;
  return {
    requests: a.requests + b.requests,
    byMethod,
    bytesUp: a.bytesUp + b.bytesUp,
    bytesDown: a.bytesDown + b.bytesDown,
  };
}

export async function startCountingProxy(upstreamUrl: string): Promise<CountingProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let traffic = emptyTraffic();

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const counted = traffic;
    counted.requests++;
    const method = req.method ?? 'GET';
    counted.byMethod[method] = (counted.byMethod[method] ?? 0) + 1;
    const upstreamReq = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    upstreamReq.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.on('data', (chunk: Buffer) => {
      counted.bytesUp += chunk.length;
    });
    req.pipe(upstreamReq);
    upstreamReq.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => {
        counted.bytesDown += chunk.length;
      });
      up.pipe(res);
    });
    req.on('aborted', () => upstreamReq.destroy());
  };

  const server = createServer(forward);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    traffic: () => structuredClone(traffic),
    reset: () => {
      traffic = emptyTraffic();
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
