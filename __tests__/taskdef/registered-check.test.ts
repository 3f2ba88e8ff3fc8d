import type { JsonObject } from '../../src/taskdef';
import {
  describeLostField,
  lostInRegistration,
  type LostField,
} from '../../src/taskdef/registered-check';
import { formatFieldPath } from '../../src/taskdef/unknown-fields';

const sent = (): JsonObject => ({
  family: 'web',
  taskRoleArn: 'arn:aws:iam::123456789012:role/app',
  cpu: '256',
  memory: '512',
  futureTaskSetting: { mode: 'strict' },
  containerDefinitions: [
    {
      name: 'atlas',
      image: 'repo@sha256:abc',
      essential: false,
      command: ['migrate', 'apply', '--env', 'deploy'],
      secrets: [
        { name: 'DATABASE_URL', valueFrom: 'arn:aws:secretsmanager:us-east-1:1:secret:db' },
      ],
    },
    {
      name: 'web',
      image: 'nginx',
      futureContainerSetting: 'on',
      linuxParameters: { initProcessEnabled: true, futureLinuxSetting: 3 },
      environment: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      dependsOn: [{ containerName: 'atlas', condition: 'SUCCESS' }],
    },
  ],
  tags: [{ key: 'team', value: 'db' }],
});

/** ECS's answer: what was sent, plus its defaults and read-only fields. */
const registered = (): JsonObject => {
  const td = sent();
  const containers = td.containerDefinitions as JsonObject[];
  for (const c of containers) {
    c.cpu = 0;
    c.mountPoints = [];
    c.volumesFrom = [];
    c.portMappings = [];
    c.essential ??= true;
  }
  return {
    ...td,
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
    revision: 8,
    status: 'ACTIVE',
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: 1710090000.5,
  };
};

const paths = (lost: readonly LostField[]) => lost.map((f) => formatFieldPath(f.path));

describe('lostInRegistration', () => {
  it('finds nothing lost when ECS kept every field and only added defaults and read-only fields', () => {
    expect(lostInRegistration(sent(), registered())).toEqual([]);
  });

  it('names a field ECS dropped, at any depth: top level, in a container, in a nested object', () => {
    const answer = registered();
    delete answer.futureTaskSetting;
    const web = (answer.containerDefinitions as JsonObject[])[1]!;
    delete web.futureContainerSetting;
    delete (web.linuxParameters as JsonObject).futureLinuxSetting;
    const lost = lostInRegistration(sent(), answer);
    expect(paths(lost)).toEqual([
      'futureTaskSetting',
      'containerDefinitions[1].futureContainerSetting',
      'containerDefinitions[1].linuxParameters.futureLinuxSetting',
    ]);
    expect(lost[0]).toEqual({
      path: ['futureTaskSetting'],
      sent: { mode: 'strict' },
      registered: undefined,
    });
  });

  it('names a changed value with what came back', () => {
    const answer = registered();
    (answer.containerDefinitions as JsonObject[])[0]!.essential = true;
    const lost = lostInRegistration(sent(), answer);
    expect(lost).toEqual([
      { path: ['containerDefinitions', 0, 'essential'], sent: false, registered: true },
    ]);
    expect(describeLostField(lost[0]!)).toBe(
      'containerDefinitions[0].essential (sent false; the revision has true)',
    );
  });

  it('matches containers and list elements in any order, and names a lost member by its element’s name', () => {
    const answer = registered();
    const containers = answer.containerDefinitions as JsonObject[];
    containers.reverse();
    const web = containers[0]!;
    (web.environment as JsonObject[]).reverse();
    expect(lostInRegistration(sent(), answer)).toEqual([]);

    delete web.futureContainerSetting;
    // `web` is now first in the answer, second in what was sent: the path is the sent one.
    expect(paths(lostInRegistration(sent(), answer))).toEqual([
      'containerDefinitions[1].futureContainerSetting',
    ]);
  });

  it('names a list element that did not come back at all', () => {
    const answer = registered();
    const web = (answer.containerDefinitions as JsonObject[])[1]!;
    web.environment = [{ name: 'A', value: '1' }];
    const lost = lostInRegistration(sent(), answer);
    expect(paths(lost)).toEqual(['containerDefinitions[1].environment[1]']);
  });

  it('compares a list of strings as one value: order and count', () => {
    const answer = registered();
    (answer.containerDefinitions as JsonObject[])[0]!.command = ['migrate', 'apply'];
    expect(paths(lostInRegistration(sent(), answer))).toEqual(['containerDefinitions[0].command']);
    (answer.containerDefinitions as JsonObject[])[0]!.command = [
      'apply',
      'migrate',
      '--env',
      'deploy',
    ];
    expect(paths(lostInRegistration(sent(), answer))).toEqual(['containerDefinitions[0].command']);
  });

  it('compares the strings of a list that is a set in any order', () => {
    const td: JsonObject = { ...sent(), requiresCompatibilities: ['FARGATE', 'EC2'] };
    expect(
      lostInRegistration(td, { ...registered(), requiresCompatibilities: ['EC2', 'FARGATE'] }),
    ).toEqual([]);
    expect(
      paths(lostInRegistration(td, { ...registered(), requiresCompatibilities: ['EC2'] })),
    ).toEqual(['requiresCompatibilities']);
  });

  it('takes task-level cpu and memory as ECS converts them ("1 vCPU" is "1024", "2 GB" is "2048")', () => {
    const td = { ...sent(), cpu: '1 vCPU', memory: '2 GB' };
    expect(lostInRegistration(td, { ...registered(), cpu: '1024', memory: '2048' })).toEqual([]);
    expect(
      lostInRegistration(
        { ...sent(), cpu: '0.25 vcpu', memory: '1GB' },
        {
          ...registered(),
          cpu: '256',
          memory: '1024',
        },
      ),
    ).toEqual([]);
    expect(paths(lostInRegistration(td, { ...registered(), cpu: '512', memory: '2048' }))).toEqual([
      'cpu',
    ]);
  });

  it('takes a number and the same number in a string as equal, and nothing else', () => {
    const answer = registered();
    (answer.containerDefinitions as JsonObject[])[1]!.environment = [
      { name: 'A', value: 1 },
      { name: 'B', value: '2' },
    ];
    expect(lostInRegistration(sent(), answer)).toEqual([]);
    (answer.containerDefinitions as JsonObject[])[1]!.environment = [
      { name: 'A', value: '1.0x' },
      { name: 'B', value: '2' },
    ];
    expect(paths(lostInRegistration(sent(), answer))).toEqual([
      'containerDefinitions[1].environment[0].value',
    ]);
  });

  it('takes a task role given by name as the role’s ARN', () => {
    const byName = { ...sent(), taskRoleArn: 'app' };
    expect(lostInRegistration(byName, registered())).toEqual([]);
    expect(
      lostInRegistration(byName, {
        ...registered(),
        taskRoleArn: 'arn:aws:iam::123456789012:role/service/app',
      }),
    ).toEqual([]);
    expect(
      paths(
        lostInRegistration(byName, {
          ...registered(),
          taskRoleArn: 'arn:aws:iam::123456789012:role/other',
        }),
      ),
    ).toEqual(['taskRoleArn']);
  });

  it('lets an empty value come back absent, and ignores nulls sent', () => {
    const td: JsonObject = {
      ...sent(),
      volumes: [],
      placementConstraints: [],
      ipcMode: null,
      pidMode: '',
    };
    const containers = td.containerDefinitions as JsonObject[];
    containers[1]!.dockerLabels = {};
    expect(lostInRegistration(td, registered())).toEqual([]);
  });

  it('names tags lost', () => {
    expect(paths(lostInRegistration(sent(), { ...registered(), tags: [] }))).toEqual(['tags[0]']);
    const answer = registered();
    delete answer.tags;
    expect(paths(lostInRegistration(sent(), answer))).toEqual(['tags']);
  });

  it('names an object that came back as something else', () => {
    const answer = { ...registered(), futureTaskSetting: 'strict' };
    expect(lostInRegistration(sent(), answer)).toEqual([
      { path: ['futureTaskSetting'], sent: { mode: 'strict' }, registered: 'strict' },
    ]);
  });
});

describe('describeLostField', () => {
  it('says what was sent and that the revision has none, shortening long values', () => {
    expect(
      describeLostField({
        path: ['containerDefinitions', 0, 'futureContainerSetting'],
        sent: 'x'.repeat(200),
        registered: undefined,
      }),
    ).toBe(
      `containerDefinitions[0].futureContainerSetting (sent "${'x'.repeat(76)}...; the revision has none)`,
    );
  });
});
