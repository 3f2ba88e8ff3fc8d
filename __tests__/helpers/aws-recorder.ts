// A loopback HTTP endpoint that records every request an AWS SDK client sends to it and answers
// each with a server error. Pointing AWS_ENDPOINT_URL at it proves that a run made no AWS call.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  target: string | undefined;
}

export interface AwsRecorder {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startAwsRecorder(): Promise<AwsRecorder> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      target: req.headers['x-amz-target'] as string | undefined,
    });
    req.resume();
    res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: 'InternalFailure', message: 'recorder' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
