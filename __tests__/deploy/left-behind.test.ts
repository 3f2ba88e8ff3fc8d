import {
  KEPT_MIGRATION_REVISIONS,
  MAX_DEREGISTRATIONS_PER_RUN,
  migrationLeftBehind,
  parseRevision,
  planLeftBehind,
  revisionLabel,
  revisionsInUse,
  rolledBackLeftBehind,
  type LeftBehindFacts,
} from '../../src/deploy/left-behind';
import type { DeploymentReport } from '../../src/deploy/run-deployment';

const PREFIX = 'arn:aws:ecs:us-east-1:123456789012:task-definition/';
const arn = (family: string, revision: number) => `${PREFIX}${family}:${revision}`;
/** Revisions `from`..`to` of a family, newest first, as ListTaskDefinitions sort DESC gives them. */
const revisions = (family: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => arn(family, to - i));

function plan(facts: Partial<LeftBehindFacts> & Pick<LeftBehindFacts, 'leftBehind'>) {
  return planLeftBehind({ inUse: [], ...facts });
}
const labels = (p: ReturnType<typeof planLeftBehind>) => p.deregister.map((d) => d.label);

describe('parseRevision and revisionLabel', () => {
  it.each([
    [arn('web', 12), { family: 'web', revision: 12 }],
    [
      'arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web-migrate:3',
      { family: 'web-migrate', revision: 3 },
    ],
    ['web_2:7', { family: 'web_2', revision: 7 }],
  ])('reads %s', (text, id) => {
    expect(parseRevision(text)).toEqual(id);
  });

  it.each(['web', `${PREFIX}web`, 'web:0', 'web:x', 'a b:1', ''])(
    'reads no revision in %j',
    (text) => {
      expect(parseRevision(text)).toBeUndefined();
      expect(revisionLabel(text)).toBe(text);
    },
  );

  it('names a revision family:revision', () => {
    expect(revisionLabel(arn('web-migrate', 4))).toBe('web-migrate:4');
  });
});

describe('the migration family beyond the newest revisions', () => {
  const family = 'web-migrate';

  it('keeps exactly the newest 5 and deregisters the rest, oldest first', () => {
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 8)),
      migrationRevisions: revisions(family, 1, 8),
    });
    expect(KEPT_MIGRATION_REVISIONS).toBe(5);
    expect(labels(p)).toEqual(['web-migrate:1', 'web-migrate:2', 'web-migrate:3']);
    expect(p.deregister.every((d) => d.reason === 'old-migration')).toBe(true);
    expect(p.deregister[0]!.taskDefinitionArn).toBe(arn(family, 1));
    expect(p.migration).toEqual({ family, active: 8, keep: 5 });
    expect(p.deferred).toBe(0);
  });

  it.each([
    [5, []],
    [6, ['web-migrate:1']],
    [1, []],
  ])('with %i active revisions deregisters %j', (count, expected) => {
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, count)),
      migrationRevisions: revisions(family, 1, count),
    });
    expect(labels(p)).toEqual(expected);
  });

  it('keeps the revision this run used even when newer ones push it beyond the newest 5', () => {
    // Concurrent runs registered 9 to 14 after this run's 8.
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 8)),
      migrationRevisions: revisions(family, 6, 14),
    });
    expect(labels(p)).toEqual(['web-migrate:6', 'web-migrate:7', 'web-migrate:9']);
    expect(labels(p)).not.toContain('web-migrate:8');
  });

  it('counts only the exact family: a prefix match (web for web-migrate) is ignored', () => {
    const p = plan({
      leftBehind: migrationLeftBehind('web', arn('web', 3)),
      migrationRevisions: [...revisions('web-migrate', 1, 9), ...revisions('web', 1, 3)],
    });
    expect(labels(p)).toEqual([]);
    expect(p.migration).toEqual({ family: 'web', active: 3, keep: 5 });
  });

  it('reads the pages in any order, each revision once', () => {
    const listed = revisions(family, 1, 7);
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 7)),
      migrationRevisions: [...listed.slice(4), ...listed, 'garbage'],
    });
    expect(labels(p)).toEqual(['web-migrate:1', 'web-migrate:2']);
    expect(p.migration?.active).toBe(7);
  });

  it('never deregisters a revision a service runs or a deployment uses', () => {
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 8)),
      migrationRevisions: revisions(family, 1, 8),
      inUse: [{ revision: 'web-migrate:2', by: 'service odd runs it' }],
    });
    expect(labels(p)).toEqual(['web-migrate:1', 'web-migrate:3']);
    expect(p.kept).toEqual([
      { label: 'web-migrate:2', reason: 'old-migration', why: 'service odd runs it' },
    ]);
  });

  it('plans nothing for the family when it could not be listed', () => {
    const p = plan({ leftBehind: migrationLeftBehind(family, arn(family, 8)) });
    expect(p.deregister).toEqual([]);
    expect(p.migration).toBeUndefined();
  });

  it('deregisters at most the per-run limit, the oldest first, and counts the rest', () => {
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 40)),
      migrationRevisions: revisions(family, 1, 40),
    });
    expect(MAX_DEREGISTRATIONS_PER_RUN).toBe(20);
    expect(labels(p)).toHaveLength(20);
    expect(labels(p)[0]).toBe('web-migrate:1');
    expect(labels(p)[19]).toBe('web-migrate:20');
    expect(p.deferred).toBe(15);
  });

  it('takes keep and maxPerRun from the facts', () => {
    const p = plan({
      leftBehind: migrationLeftBehind(family, arn(family, 6)),
      migrationRevisions: revisions(family, 1, 6),
      keep: 2,
      maxPerRun: 3,
    });
    expect(labels(p)).toEqual(['web-migrate:1', 'web-migrate:2', 'web-migrate:3']);
    expect(p.deferred).toBe(1);
  });
});

describe('a rolled-back service revision', () => {
  it('is deregistered when nothing uses it', () => {
    const p = plan({ leftBehind: { rolledBackRevisions: [arn('web', 4)] } });
    expect(p.deregister).toEqual([
      { taskDefinitionArn: arn('web', 4), label: 'web:4', reason: 'rolled-back' },
    ]);
    expect(p.migration).toBeUndefined();
  });

  it('is kept when the service runs it now (someone deployed it again)', () => {
    const p = plan({
      leftBehind: { rolledBackRevisions: [arn('web', 4)] },
      inUse: revisionsInUse([{ serviceName: 'web', taskDefinition: arn('web', 4) }]),
    });
    expect(p.deregister).toEqual([]);
    expect(p.kept).toEqual([{ label: 'web:4', reason: 'rolled-back', why: 'service web runs it' }]);
  });

  it('is kept while a deployment still has tasks of it', () => {
    const p = plan({
      leftBehind: { rolledBackRevisions: [arn('web', 4)] },
      inUse: revisionsInUse([
        {
          serviceName: 'web',
          taskDefinition: arn('web', 3),
          deployments: [
            { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: arn('web', 3), runningCount: 1 },
            { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: arn('web', 4), runningCount: 2 },
          ],
        },
      ]),
    });
    expect(p.deregister).toEqual([]);
    expect(p.kept[0]!.why).toBe('deployment ecs-svc/1 of service web (ACTIVE, 2 task(s)) uses it');
  });

  it('comes first, and is planned once when the migration family lists it too', () => {
    const p = plan({
      leftBehind: {
        rolledBackRevisions: [arn('web', 2), arn('web', 2)],
        ...migrationLeftBehind('web', arn('web', 9)),
      },
      migrationRevisions: revisions('web', 1, 9),
    });
    expect(labels(p)).toEqual(['web:2', 'web:1', 'web:3', 'web:4']);
    expect(p.deregister.map((d) => d.reason)).toEqual([
      'rolled-back',
      'old-migration',
      'old-migration',
      'old-migration',
    ]);
  });
});

describe('revisionsInUse', () => {
  it('names the service’s revision and every deployment that is PRIMARY, rolling out or has tasks', () => {
    const used = revisionsInUse([
      {
        serviceName: 'web',
        taskDefinition: arn('web', 5),
        deployments: [
          {
            id: 'ecs-svc/5',
            status: 'PRIMARY',
            taskDefinition: arn('web', 5),
            rolloutState: 'IN_PROGRESS',
          },
          { id: 'ecs-svc/4', status: 'ACTIVE', taskDefinition: arn('web', 4), pendingCount: 1 },
          {
            id: 'ecs-svc/3',
            status: 'ACTIVE',
            taskDefinition: arn('web', 3),
            rolloutState: 'IN_PROGRESS',
          },
          // Failed and rolled back, its tasks gone: it uses nothing any more.
          {
            id: 'ecs-svc/2',
            status: 'ACTIVE',
            taskDefinition: arn('web', 2),
            rolloutState: 'FAILED',
            runningCount: 0,
          },
          { id: 'ecs-svc/1', status: 'ACTIVE' },
        ],
      },
    ]);
    expect(used.map((u) => u.revision)).toEqual(['web:5', 'web:5', 'web:4', 'web:3']);
    expect(used[1]!.by).toBe('deployment ecs-svc/5 of service web (PRIMARY, IN_PROGRESS) uses it');
  });
});

describe('rolledBackLeftBehind', () => {
  const deployed = {
    taskDefinitionArn: arn('web', 4),
    previousTaskDefinitionArn: arn('web', 3),
  } as DeploymentReport['deployed'];
  const failedRollout = (cause: 'failed' | 'rolled-back' | 'superseded') =>
    ({ status: 'failed', kind: 'rollout', cause }) as unknown as DeploymentReport['outcome'];
  const ourRollback = {
    rolledBack: true,
    method: 'stop-service-deployment',
    taskDefinitionArn: arn('web', 3),
    deploymentId: 'ecs-svc/2',
  } as const;

  it('names the registered revision our rollback put the service off', () => {
    expect(
      rolledBackLeftBehind(
        { deployed, outcome: failedRollout('failed'), rollback: ourRollback },
        true,
      ),
    ).toEqual({ rolledBackRevisions: [arn('web', 4)] });
  });

  it('names it when ECS rolled back by itself', () => {
    expect(
      rolledBackLeftBehind(
        { deployed, outcome: failedRollout('rolled-back'), rollback: undefined },
        true,
      ),
    ).toEqual({ rolledBackRevisions: [arn('web', 4)] });
  });

  it.each([
    [
      'a rollback that failed',
      failedRollout('failed'),
      { rolledBack: false, method: 'update-service', error: 'x' } as const,
      true,
    ],
    ['no rollback (rollback-on-failure false)', failedRollout('failed'), undefined, true],
    ['a deployment replaced by someone else', failedRollout('superseded'), undefined, true],
    [
      'a success',
      { status: 'succeeded' } as unknown as DeploymentReport['outcome'],
      undefined,
      true,
    ],
    ['not waited for', undefined, undefined, true],
    ['a revision this run did not register', failedRollout('rolled-back'), undefined, false],
  ])('names nothing for %s', (_label, outcome, rollback, registered) => {
    expect(rolledBackLeftBehind({ deployed, outcome, rollback }, registered)).toEqual({});
  });

  it('names nothing when the failed revision is the one the service went back to', () => {
    const same = { ...deployed, taskDefinitionArn: arn('web', 3) };
    expect(
      rolledBackLeftBehind(
        { deployed: same, outcome: failedRollout('rolled-back'), rollback: undefined },
        true,
      ),
    ).toEqual({});
  });
});
