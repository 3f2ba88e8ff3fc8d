// The HttpExchange over node:http/https: how the registry transport sends every request. It
// answers with the IncomingMessage itself as the body, so a blob streams from the socket to its
// consumer through Node streams only.
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
// Why not WHATWG Response and Headers over node:http either (what this module gave before): the
// first Headers loads Node's internal undici (~25 ms of CPU at start-up), and every body chunk
// then crossed Readable.toWeb, a web stream and its reader (~40 ms for a 40 MiB layer; same
// bench, CPU profile).
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HeaderLookup, HttpExchange } from './transport';

/** Statuses that carry no body. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** node:http's header object (lower-case names) read as fetch's Headers.get reads. */
export class NodeHeaders implements HeaderLookup {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

export const nodeHttpExchange: HttpExchange = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: init.method,
      headers: init.headers,
      signal: init.signal,
    });
    // Every error settles the promise once; later ones (after the answer came) are the body's.
    request.on('error', reject);
    request.once('response', (answer) => {
      const status = answer.statusCode ?? 0;
      const nullBody = init.method === 'HEAD' || NULL_BODY_STATUSES.has(status);
      if (nullBody) answer.resume();
      resolve({
        status,
        headers: new NodeHeaders(answer.headers),
        body: nullBody ? null : (answer as Readable),
      });
    });
    const body = init.body;
    if (body === undefined) {
      request.end();
    } else if (Buffer.isBuffer(body)) {
      request.end(body);
    } else {
      // pipeline waits for the socket to drain before reading on; a source that fails fails the
      // request with its own error, as fetch does.
      pipeline(body, request).catch((error: unknown) => {
        reject(error as Error);
        request.destroy(error as Error);
      });
    }
  });
