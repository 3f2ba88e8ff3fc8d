// The fault injection of the loopback endpoints the fault matrices rely on: FakeAws answers a
// status, a throttle, a dropped connection or a slow answer for the next calls of one operation
// and records each attempt; the fault proxy drops a registry request or delays it. Checked with
// the real SDK client, so the attempt counts are the ones the action sees.
import {
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  CONNECTION_RESET,
  FakeAws,
  RESET_AFTER_PROCESSING,
  useFakeAwsEnv,
} from '../helpers/fake-aws';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

let aws: FakeAws;
let restoreEnv: () => void;
let ecs: ECSClient;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
  const taskDefinition = aws.ecs.addTaskDefinition({
    family: 'web',
    containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
  });
  aws.ecs.addService({ cluster: 'prod', name: 'web', taskDefinition, desiredCount: 1 });
  restoreEnv = useFakeAwsEnv(aws);
  ecs = new ECSClient({ maxAttempts: 3 });
});
afterEach(async () => {
  ecs?.destroy();
  restoreEnv?.();
  await aws.close();
});

const describe1 = () =>
  ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

describe('FakeAws.fault', () => {
  it.each([
    [{ kind: 'status', status: 500 } as const, 'ServerException'],
    [{ kind: 'throttle' } as const, 'ThrottlingException'],
    [{ kind: 'reset' } as const, CONNECTION_RESET],
  ])('answers %j once, and the SDK retry gets through: error %s recorded', async (fault, error) => {
    aws.fault('DescribeServices', fault);
    const answer = await describe1();
    expect(answer.services?.[0]?.serviceName).toBe('web');
    const calls = aws.callsOf('DescribeServices');
    expect(calls.map((c) => c.error)).toEqual([error, undefined]);
    expect(calls.map((c) => c.fault)).toEqual([fault.kind, undefined]);
    expect(aws.counts()).toEqual({ DescribeServices: 1 });
  });

  it('keeps failing every call when told Infinity times, until the SDK gives up', async () => {
    aws.fault('DescribeServices', { kind: 'status', status: 503 }, Infinity);
    await expect(describe1()).rejects.toMatchObject({
      name: 'ServerException',
      $metadata: { httpStatusCode: 503, attempts: 3 },
    });
    expect(aws.callsOf('DescribeServices')).toHaveLength(3);
  });

  it('answers slowly but correctly', async () => {
    aws.fault('DescribeServices', { kind: 'slow', ms: 300 });
    const started = Date.now();
    const answer = await describe1();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.services).toHaveLength(1);
    expect(aws.calls.map((c) => [c.error, c.fault])).toEqual([[undefined, 'slow']]);
  });

  it('does the work before dropping the connection: a retried register makes two revisions', async () => {
    aws.fault('RegisterTaskDefinition', { kind: 'reset-after-processing' });
    const answer = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
      }),
    );
    // Revision 1 is the service's; the first attempt made 2, which nobody was told about.
    expect(answer.taskDefinition?.revision).toBe(3);
    expect(aws.ecs.taskDefinitions.map((t) => t.revision)).toEqual([1, 2, 3]);
    expect(aws.callsOf('RegisterTaskDefinition').map((c) => c.error)).toEqual([
      RESET_AFTER_PROCESSING,
      undefined,
    ]);
  });

  it('keeps throttle(op, n) as n ThrottlingExceptions, queued after other faults', async () => {
    aws.fault('DescribeServices', { kind: 'status', status: 500 });
    aws.throttle('DescribeServices', 1);
    await describe1();
    expect(aws.callsOf('DescribeServices').map((c) => c.error)).toEqual([
      'ServerException',
      'ThrottlingException',
      undefined,
    ]);
  });
});

describe('fault proxy reset and delay', () => {
  let upstream: http.Server;
  let proxy: FaultProxy;
  const bodies: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end(`got ${req.method} ${body.length}`);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    proxy = await startFaultProxy({ upstream: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await proxy.stop();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('drops the connection without forwarding', async () => {
    bodies.length = 0;
    proxy.addRule({ method: 'PUT', path: /^\/x/, action: { kind: 'reset' } });
    await expect(fetch(`${proxy.url}/x`, { method: 'PUT', body: 'abc' })).rejects.toThrow();
    expect(bodies).toEqual([]);
    expect(proxy.records.at(-1)).toMatchObject({ method: 'PUT', status: -1, fault: 'reset' });
  });

  it('delays, then forwards the whole body', async () => {
    bodies.length = 0;
    proxy.addRule({ method: 'PATCH', path: /^\/y/, action: { kind: 'delay', ms: 300 } });
    const started = Date.now();
    const response = await fetch(`${proxy.url}/y`, { method: 'PATCH', body: 'x'.repeat(100_000) });
    expect(await response.text()).toBe('got PATCH 100000');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(proxy.records.at(-1)).toMatchObject({ status: 200, fault: 'delay' });
  });
});
