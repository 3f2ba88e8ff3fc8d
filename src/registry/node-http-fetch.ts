// A FetchLike over node:http/https: how the registry transport sends every request.
//
// Why not the global fetch (undici 6, Node 20), measured on this project's bench machine:
// - It keeps most of a streamed request body alive until well after the request is done: a
//   73 MB upload through fetch left 65-76 MB of ArrayBuffers live after a forced GC and peaked at
//   160 MB RSS; piped into http.request it peaked at 88 MB. For a 200 MB migration directory that
//   difference decides whether the action stays under its 200 MB memory bound.
// - It closes the connection after every HEAD (with an error the socket is destroyed with) and
//   tees every request body it sends (whose reader's release makes another error); Node formats
//   both errors' stacks at once, and in the bundle the first stack formatted makes
//   source-map-support parse dist/index.js.map: ~300 ms of CPU in a run that otherwise takes
//   ~900 (npm run bench, buildah comparison). node:http does neither.
//
// Same contract as fetch for what transport.ts uses: method, headers, a Buffer or async-iterable
// body sent with backpressure, an AbortSignal, no redirect following (node:http never follows),
// and a WHATWG Response whose body streams the answer.
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FetchLike } from './transport';

/** Statuses whose Response must have a null body (the Response constructor refuses one). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

export const nodeHttpFetch: FetchLike = (url, init) =>
  new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method,
      headers: init.headers as Record<string, string> | undefined,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    // Every error settles the promise once; later ones (after the answer came) are the body's.
    request.on('error', reject);
    request.once('response', (answer) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
          headers.append(name, item);
        }
      }
      const status = answer.statusCode ?? 0;
      const nullBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
      if (nullBody) answer.resume();
      resolve(
        new Response(nullBody ? null : (Readable.toWeb(answer) as unknown as ReadableStream), {
          status,
          statusText: answer.statusMessage ?? '',
          headers,
        }),
      );
    });
    const body = init.body as Buffer | Uint8Array | AsyncIterable<Uint8Array> | null | undefined;
    if (body === null || body === undefined) {
      request.end();
    } else if (body instanceof Uint8Array) {
      request.end(body);
    } else {
      // pipeline waits for the socket to drain before reading on; a source that fails fails the
      // request with its own error, as fetch does.
      pipeline(Readable.from(body, { objectMode: false }), request).catch((error: unknown) => {
        reject(error as Error);
        request.destroy(error as Error);
      });
    }
  });
