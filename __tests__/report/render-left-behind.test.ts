import type { PlannedDeregistration } from '../../src/deploy/left-behind';
import {
  reasonText,
  renderLeftBehind,
  type DeregistrationOutcome,
} from '../../src/report/render-left-behind';

const PREFIX = 'arn:aws:ecs:us-east-1:123456789012:task-definition/';
const rolledBack = (label: string): PlannedDeregistration => ({
  taskDefinitionArn: `${PREFIX}${label}`,
  label,
  reason: 'rolled-back',
});
const old = (label: string): PlannedDeregistration => ({
  taskDefinitionArn: `${PREFIX}${label}`,
  label,
  reason: 'old-migration',
});
const migration = { family: 'web-migrate', active: 8, keep: 5 };

function outcome(fields: Partial<DeregistrationOutcome>): DeregistrationOutcome {
  return {
    deregistered: [],
    failed: [],
    notTried: [],
    kept: [],
    deferred: 0,
    problems: [],
    ...fields,
  };
}

describe('renderLeftBehind', () => {
  it('says which revisions were deregistered, and why', () => {
    expect(
      renderLeftBehind(
        outcome({
          deregistered: [rolledBack('web:4'), old('web-migrate:1'), old('web-migrate:2')],
          migration,
        }),
      ),
    ).toBe(
      [
        '### Revisions left behind',
        '',
        '- Deregistered `web:4` (rolled back)',
        '- Deregistered `web-migrate:1`, `web-migrate:2` (older than the newest 5 of `web-migrate`)',
        '',
      ].join('\n'),
    );
  });

  it('says what failed, what was not tried after a refusal, and what was kept', () => {
    const text = renderLeftBehind(
      outcome({
        failed: [
          { ...old('web-migrate:1'), error: 'ecs:DeregisterTaskDefinition failed:\nAccessDenied' },
        ],
        notTried: [old('web-migrate:2'), old('web-migrate:3')],
        kept: [{ label: 'web:4', reason: 'rolled-back', why: 'service web runs it' }],
        migration,
      }),
    );
    expect(text).toContain('- Kept `web:4` (rolled back): service web runs it');
    expect(text).toContain(
      '- ⚠️ Could not deregister `web-migrate:1` (older than the newest 5 of `web-migrate`): ecs:DeregisterTaskDefinition failed: AccessDenied',
    );
    expect(text).toContain('- ⚠️ Not tried after that refusal: `web-migrate:2`, `web-migrate:3`');
    expect(text).not.toContain('Deregistered');
  });

  it('counts what is left for the next runs, and lists problems', () => {
    const text = renderLeftBehind(
      outcome({
        deregistered: [old('web-migrate:1'), old('web-migrate:2')],
        deferred: 7,
        problems: ['Kept the older revisions of web-migrate: could not list them'],
        migration,
      }),
    );
    expect(text).toContain(
      '- 7 more older revision(s) are left for the next runs (at most 2 a run)',
    );
    expect(text).toContain('- ⚠️ Kept the older revisions of web-migrate: could not list them');
  });

  it('says there was nothing to deregister in the migration family', () => {
    expect(
      renderLeftBehind(outcome({ migration: { family: 'web-migrate', active: 3, keep: 5 } })),
    ).toContain(
      '- Nothing to deregister: `web-migrate` has 3 active revision(s), and the newest 5 are kept',
    );
  });

  it('renders nothing when there was nothing to consider', () => {
    expect(renderLeftBehind(outcome({}))).toBe('');
  });
});

describe('reasonText', () => {
  it('names the reason', () => {
    expect(reasonText('rolled-back', undefined)).toBe('rolled back');
    expect(reasonText('old-migration', migration)).toBe('older than the newest 5 of `web-migrate`');
    expect(reasonText('old-migration', undefined)).toBe(
      'older than the newest revisions of its family',
    );
  });
});
