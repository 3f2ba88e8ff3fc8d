// deregister-revisions' I/O through the real SDK against the loopback ECS: what it lists and
// deregisters, what it keeps, and how a refused call becomes a warning. Also pins the fake's
// ListTaskDefinitions and DeregisterTaskDefinition to the ECS API reference.
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { AwsCallError } from '../../src/aws/errors';
import { deregisterLeftBehind, deregisterPhase } from '../../src/deploy/deregister';
import { migrationLeftBehind } from '../../src/deploy/left-behind';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';
import { recordingIO } from './fakes';

const CLUSTER = 'prod';
const SETTINGS = { cluster: CLUSTER, services: ['web'] };

let aws: FakeAws;
let clients: AwsClients | undefined;
let restoreEnv: (() => void) | undefined;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
});
afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  restoreEnv?.();
  restoreEnv = undefined;
  await aws.close();
});

function ecs() {
  restoreEnv = useFakeAwsEnv(aws);
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/test' });
  return createAwsApis(clients).ecs;
}

/** Registers revisions 1..count of a family; returns their ARNs, oldest first. */
function addRevisions(family: string, count: number): string[] {
  return Array.from({ length: count }, () =>
    aws.ecs.addTaskDefinition({ family, containerDefinitions: [{ name: 'c', image: 'nginx' }] }),
  );
}

function statusOf(arn: string): string | undefined {
  return aws.ecs.taskDefinition(arn)?.status;
}

describe('deregisterLeftBehind', () => {
  it('lists the migration family page by page and deregisters the oldest beyond the newest 5, 20 a run', async () => {
    const web = addRevisions('web', 2);
    const migrate = addRevisions('web-migrate', 130);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: web[1]! });
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      migrationLeftBehind('web-migrate', migrate[129]!),
      { ecs: ecs(), io },
    );

    const lists = aws.callsOf('ListTaskDefinitions');
    expect(lists.map((c) => ({ ...c.body, nextToken: typeof c.body.nextToken }))).toEqual([
      {
        familyPrefix: 'web-migrate',
        status: 'ACTIVE',
        sort: 'DESC',
        maxResults: 100,
        nextToken: 'undefined',
      },
      {
        familyPrefix: 'web-migrate',
        status: 'ACTIVE',
        sort: 'DESC',
        maxResults: 100,
        nextToken: 'string',
      },
    ]);
    const deregistered = aws.callsOf('DeregisterTaskDefinition').map((c) => c.body.taskDefinition);
    expect(deregistered).toEqual(migrate.slice(0, 20));
    expect(outcome.deregistered.map((d) => d.label)).toEqual(
      Array.from({ length: 20 }, (_, i) => `web-migrate:${i + 1}`),
    );
    expect(outcome.deferred).toBe(105);
    expect(outcome.migration).toEqual({ family: 'web-migrate', active: 130, keep: 5 });
    for (const arn of migrate.slice(0, 20)) expect(statusOf(arn)).toBe('INACTIVE');
    for (const arn of [...migrate.slice(20), ...web]) expect(statusOf(arn)).toBe('ACTIVE');
    expect(io.text('info')).toContain(
      'Deregistered web-migrate:1 (older than the newest 5 of web-migrate)',
    );
    expect(io.text('warning')).toEqual([]);
  });

  it('deregisters a rolled-back revision nothing uses; it stays describable, INACTIVE', async () => {
    const [previous, failed] = addRevisions('web', 2);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: previous! });
    const api = ecs();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      { rolledBackRevisions: [failed!] },
      { ecs: api, io: recordingIO() },
    );

    expect(outcome.deregistered.map((d) => d.label)).toEqual(['web:2']);
    expect(aws.callsOf('ListTaskDefinitions')).toEqual([]);
    const described = await api.describeTaskDefinition({ taskDefinition: failed! });
    expect(described.taskDefinition?.status).toBe('INACTIVE');
    expect(statusOf(previous!)).toBe('ACTIVE');
  });

  it('keeps a rolled-back revision the service runs again, without a DeregisterTaskDefinition', async () => {
    const [, failed] = addRevisions('web', 2);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: failed! });
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      { rolledBackRevisions: [failed!] },
      { ecs: ecs(), io },
    );

    expect(outcome.deregistered).toEqual([]);
    expect(outcome.kept).toEqual([
      { label: 'web:2', reason: 'rolled-back', why: 'service web runs it' },
    ]);
    expect(aws.callsOf('DeregisterTaskDefinition')).toEqual([]);
    expect(statusOf(failed!)).toBe('ACTIVE');
    expect(io.text('info')).toContain('Kept web:2, which would have gone: service web runs it');
  });

  it('stops at an access denial: one warning naming the permission, the rest not tried', async () => {
    const web = addRevisions('web', 1);
    const migrate = addRevisions('web-migrate', 9);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: web[0]! });
    aws.fault(
      'DeregisterTaskDefinition',
      { kind: 'status', status: 400, type: 'AccessDeniedException' },
      Infinity,
    );
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      migrationLeftBehind('web-migrate', migrate[8]!),
      { ecs: ecs(), io },
    );

    expect(aws.callsOf('DeregisterTaskDefinition')).toHaveLength(1);
    expect(outcome.failed.map((f) => f.label)).toEqual(['web-migrate:1']);
    expect(outcome.notTried.map((f) => f.label)).toEqual([
      'web-migrate:2',
      'web-migrate:3',
      'web-migrate:4',
    ]);
    const warnings = io.text('warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Could not deregister web-migrate:1 \(older than the newest 5 of web-migrate\) \(3 more not tried\): ecs:DeregisterTaskDefinition on task definition .*AccessDeniedException/,
    );
    expect(warnings[0]).toContain("the step's outcome does not change");
    expect(warnings[0]).toContain(
      'allow ecs:DeregisterTaskDefinition (and ecs:ListTaskDefinitions)',
    );
    for (const arn of migrate) expect(statusOf(arn)).toBe('ACTIVE');
  });

  it('goes on after a failure that is not a refusal', async () => {
    const web = addRevisions('web', 1);
    const migrate = addRevisions('web-migrate', 7);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: web[0]! });
    aws.fault(
      'DeregisterTaskDefinition',
      { kind: 'status', status: 400, type: 'ClientException' },
      1,
    );
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      migrationLeftBehind('web-migrate', migrate[6]!),
      { ecs: ecs(), io },
    );

    expect(outcome.failed.map((f) => f.label)).toEqual(['web-migrate:1']);
    expect(outcome.deregistered.map((f) => f.label)).toEqual(['web-migrate:2']);
    expect(io.text('warning')[0]).not.toContain('allow ecs:DeregisterTaskDefinition');
  });

  it('keeps the family when it cannot be listed, and still deregisters the rolled-back revision', async () => {
    const [previous, failed] = addRevisions('web', 2);
    const migrate = addRevisions('web-migrate', 8);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: previous! });
    aws.fault('ListTaskDefinitions', {
      kind: 'status',
      status: 400,
      type: 'AccessDeniedException',
    });
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      SETTINGS,
      { rolledBackRevisions: [failed!], ...migrationLeftBehind('web-migrate', migrate[7]!) },
      { ecs: ecs(), io },
    );

    expect(outcome.deregistered.map((d) => d.label)).toEqual(['web:2']);
    expect(outcome.migration).toBeUndefined();
    expect(outcome.problems).toHaveLength(1);
    expect(io.text('warning')[0]).toMatch(
      /^Kept the older revisions of web-migrate: could not list them \(ecs:ListTaskDefinitions .*AccessDeniedException.*\)\. Allow ecs:DeregisterTaskDefinition \(and ecs:ListTaskDefinitions\)/,
    );
    for (const arn of migrate) expect(statusOf(arn)).toBe('ACTIVE');
  });

  it('deregisters nothing when it cannot tell which revisions the service uses', async () => {
    const [, failed] = addRevisions('web', 2);
    const io = recordingIO();

    const outcome = await deregisterLeftBehind(
      { cluster: CLUSTER, services: ['gone'] },
      { rolledBackRevisions: [failed!] },
      { ecs: ecs(), io },
    );

    expect(outcome.deregistered).toEqual([]);
    expect(aws.callsOf('DeregisterTaskDefinition')).toEqual([]);
    expect(io.text('warning')[0]).toMatch(
      /^Deregistered nothing: could not read gone to check which revisions they still use/,
    );
  });
});

describe('deregisterPhase', () => {
  const result = { summary: '## Deploy\n', leftBehind: { rolledBackRevisions: ['x'] } };

  it('does nothing, and calls nothing, when deregister-revisions is false', async () => {
    const io = recordingIO();
    const after = await deregisterPhase({ ...SETTINGS, deregisterRevisions: false }, result, {
      ecs: ecs(),
      io,
    });
    expect(after).toBe(result);
    expect(aws.calls).toEqual([]);
    expect(io.lines).toEqual([]);
  });

  it('calls nothing when the mode left nothing behind', async () => {
    const io = recordingIO();
    const plain = { summary: 'S', leftBehind: {} };
    expect(
      await deregisterPhase({ ...SETTINGS, deregisterRevisions: true }, plain, { ecs: ecs(), io }),
    ).toBe(plain);
    expect(
      await deregisterPhase(
        { ...SETTINGS, deregisterRevisions: true },
        { summary: 'S' },
        { ecs: ecs(), io },
      ),
    ).toEqual({ summary: 'S' });
    expect(aws.calls).toEqual([]);
  });

  it('appends the section to the mode’s summary, in a log group', async () => {
    const [previous, failed] = addRevisions('web', 2);
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: previous! });
    const io = recordingIO();
    const after = await deregisterPhase(
      { ...SETTINGS, deregisterRevisions: true },
      {
        summary: '## Deploy\n',
        leftBehind: { rolledBackRevisions: [failed!] },
        error: new Error('x'),
      },
      { ecs: ecs(), io },
    );
    expect(after.summary).toBe(
      '## Deploy\n\n### Revisions left behind\n\n- Deregistered `web:2` (rolled back)\n',
    );
    expect(after.error?.message).toBe('x');
    expect(io.text('group')).toEqual(['Deregister the revisions left behind']);
  });
});

describe('the fake ECS, as the API reference has it', () => {
  it('ListTaskDefinitions: familyPrefix is the full family, ASC by default, pages of maxResults', async () => {
    const web = addRevisions('web', 3);
    const migrate = addRevisions('web-migrate', 2);
    addRevisions('api', 1);
    const api = ecs();
    expect((await api.listTaskDefinitions({ familyPrefix: 'web' })).taskDefinitionArns).toEqual(
      web,
    );
    expect(
      (await api.listTaskDefinitions({ familyPrefix: 'web-migrate', sort: 'DESC' }))
        .taskDefinitionArns,
    ).toEqual([...migrate].reverse());
    const all = await api.listTaskDefinitions({});
    expect(all.taskDefinitionArns?.map((a) => a.split('/')[1])).toEqual([
      'api:1',
      'web:1',
      'web:2',
      'web:3',
      'web-migrate:1',
      'web-migrate:2',
    ]);
    const first = await api.listTaskDefinitions({ maxResults: 4 });
    expect(first.taskDefinitionArns).toHaveLength(4);
    const second = await api.listTaskDefinitions({ maxResults: 4, nextToken: first.nextToken! });
    expect(second.taskDefinitionArns).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
    // A token is for the query it came from.
    await expect(
      api.listTaskDefinitions({ maxResults: 4, sort: 'DESC', nextToken: first.nextToken! }),
    ).rejects.toMatchObject({ code: 'InvalidParameterException' });
    await expect(api.listTaskDefinitions({ maxResults: 101 })).rejects.toMatchObject({
      code: 'InvalidParameterException',
    });
  });

  it('DeregisterTaskDefinition: a revision is required; INACTIVE ones are listed only while referenced', async () => {
    const [first, second] = addRevisions('web', 2);
    const api = ecs();
    await expect(api.deregisterTaskDefinition({ taskDefinition: 'web' })).rejects.toBeInstanceOf(
      AwsCallError,
    );
    await expect(api.deregisterTaskDefinition({ taskDefinition: 'web:9' })).rejects.toMatchObject({
      code: 'ClientException',
    });
    const answer = await api.deregisterTaskDefinition({ taskDefinition: 'web:1' });
    expect(answer.taskDefinition).toMatchObject({ taskDefinitionArn: first, status: 'INACTIVE' });
    expect(answer.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    // Again: accepted, nothing changes.
    const again = await api.deregisterTaskDefinition({ taskDefinition: first! });
    expect(again.taskDefinition?.deregisteredAt).toEqual(answer.taskDefinition?.deregisteredAt);
    expect((await api.listTaskDefinitions({ familyPrefix: 'web' })).taskDefinitionArns).toEqual([
      second,
    ]);
    // INACTIVE: listed only while a service or a task still references it.
    expect(
      (await api.listTaskDefinitions({ familyPrefix: 'web', status: 'INACTIVE' }))
        .taskDefinitionArns,
    ).toEqual([]);
    await api.deregisterTaskDefinition({ taskDefinition: second! });
    aws.ecs.addService({ cluster: CLUSTER, name: 'web', taskDefinition: second! });
    expect(
      (await api.listTaskDefinitions({ familyPrefix: 'web', status: 'INACTIVE' }))
        .taskDefinitionArns,
    ).toEqual([second]);
    // The family's bare name now resolves to no ACTIVE revision.
    await expect(api.describeTaskDefinition({ taskDefinition: 'web' })).rejects.toMatchObject({
      code: 'ClientException',
    });
  });
});
