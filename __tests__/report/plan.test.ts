import { parseInputs, type RawInputs } from '../../src/inputs/parse';
import { describeAtlasOptions, planDeploy } from '../../src/report/plan';
import { renderDryRunSummary } from '../../src/report/render-summary';

const CTX = { family: 'api', imageReference: 'x@sha256:1', blobCount: 3, tags: ['t1'] };

function settings(raw: RawInputs) {
  return parseInputs(
    { service: 'api', 'image-repository': 'registry.example.com/m', ...raw },
    { workspace: '/repo', isFile: () => false },
  );
}

function migrationStep(raw: RawInputs) {
  const steps = planDeploy(settings(raw), CTX).filter((c) => c.call === 'atlas migrate apply');
  expect(steps).toHaveLength(1);
  return steps[0]!;
}

describe('planDeploy: the Atlas command', () => {
  it('shows the exact command of a plain run, with the JSON report format quoted as a shell would', () => {
    expect(migrationStep({})).toEqual({
      phase: 'migrate',
      call: 'atlas migrate apply',
      detail:
        "in the atlas container of each new task, before the app containers start: `atlas migrate apply --env deploy --lock-timeout 10m --format '{{ json . }}'`",
    });
  });

  it('shows every typed option in the command and in words', () => {
    const step = migrationStep({
      'atlas-config': 'db/prod.hcl',
      'to-version': '20240301000000',
      'exec-order': 'linear-skip',
      'tx-mode': 'all',
      'revisions-schema': 'atlas_meta',
      'allow-dirty': 'true',
      vars: 'region=eu-west-1\ntags=a,b',
      'migrate-args': '--dir file://migrations',
    });
    expect(step.detail).toBe(
      'in the atlas container of each new task, before the app containers start: ' +
        "`atlas migrate apply --env deploy --lock-timeout 10m --config file://prod.hcl --allow-dirty --exec-order linear-skip --tx-mode all --revisions-schema atlas_meta --to-version 20240301000000 --var region=eu-west-1 --var '\"tags=a,b\"' --dir file://migrations --format '{{ json . }}'`. " +
        'Atlas options: allow-dirty (a database that already holds other objects is migrated); ' +
        'exec-order linear-skip (an unapplied file older than the last applied one is skipped); ' +
        'tx-mode all (one transaction for all files); ' +
        'revisions-schema atlas_meta (where Atlas keeps its revisions table); ' +
        'to-version 20240301000000 (no file after that version is applied); ' +
        'vars region=eu-west-1, tags=a,b',
    );
  });

  it('explains a baseline', () => {
    expect(migrationStep({ baseline: '20240101000000' }).detail).toContain(
      '--baseline 20240101000000 --format',
    );
    expect(migrationStep({ baseline: '20240101000000' }).detail).toContain(
      'Atlas options: baseline 20240101000000 (a database without revisions is taken to be at that version; only later files are applied)',
    );
  });

  it('runs the command in the migration task in mode run-task, between RunTask and its watch', () => {
    const calls = planDeploy(settings({ mode: 'run-task', 'tx-mode': 'none' }), CTX);
    const index = calls.findIndex((c) => c.call === 'atlas migrate apply');
    expect(calls[index - 1]!.call).toBe('ecs:RunTask');
    expect(calls[index + 1]!.call).toBe('ecs:DescribeTasks, logs:GetLogEvents');
    expect(calls[index]!.detail).toBe(
      "in the migration container of that task: `atlas migrate apply --env deploy --lock-timeout 10m --tx-mode none --format '{{ json . }}'`. Atlas options: tx-mode none (no transaction)",
    );
  });

  it('in mode plan, registers and runs the migration task only: no UpdateService, no watch', () => {
    const calls = planDeploy(settings({ mode: 'plan' }), CTX);
    expect(calls.map((c) => c.call).slice(-4)).toEqual([
      'ecs:RegisterTaskDefinition',
      'ecs:RunTask',
      'atlas migrate apply',
      'ecs:DescribeTasks, logs:GetLogEvents',
    ]);
    expect(calls.some((c) => c.call === 'ecs:UpdateService')).toBe(false);
    expect(calls.at(-1)!.detail).toContain('the service is never updated');
  });

  it('shows --dry-run in mode plan', () => {
    const step = migrationStep({ mode: 'plan' });
    expect(step.detail).toContain("--dry-run --format '{{ json . }}'`");
    expect(step.detail).toContain(
      'Atlas options: dry run (Atlas reports what it would apply and executes nothing)',
    );
  });

  it('keeps a value with a backtick or a quote readable in the summary table', () => {
    const step = migrationStep({ vars: "motd=it's `on`" });
    expect(step.detail).toContain(
      "`` atlas migrate apply --env deploy --lock-timeout 10m --var 'motd=it'\\''s `on`' --format",
    );
    const md = renderDryRunSummary({
      image: {
        reference: 'r',
        digest: 'd',
        platform: 'linux/amd64',
        base: 'b',
        baseDigest: 'bd',
        layerDigest: 'ld',
        layerSize: 1,
        layerUncompressedSize: 1,
        fileCount: 1,
        layoutDir: '/l',
      },
      migrations: [],
      taskDefinitionFile: '/t.json',
      family: 'api',
      taskDefinitionDiff: '',
      plan: planDeploy(settings({ vars: 'tier=a|b' }), CTX),
      warnings: [],
    });
    expect(md).toContain('| migrate | `atlas migrate apply` | in the atlas container');
    expect(md).toContain("--var 'tier=a\\|b'");
  });
});

describe('describeAtlasOptions', () => {
  it('says nothing when no typed option is set', () => {
    expect(
      describeAtlasOptions({ atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: [] }),
    ).toEqual([]);
  });

  it.each([
    ['linear', 'the default: an unapplied file older than the last applied one is an error'],
    ['non-linear', 'an unapplied file older than the last applied one is applied too'],
  ] as const)('explains exec-order %s', (execOrder, meaning) => {
    expect(
      describeAtlasOptions({ atlasEnv: 'd', lockTimeout: '1m', migrateArgs: [], execOrder }),
    ).toEqual([`exec-order ${execOrder} (${meaning})`]);
  });

  it('explains tx-mode file', () => {
    expect(
      describeAtlasOptions({ atlasEnv: 'd', lockTimeout: '1m', migrateArgs: [], txMode: 'file' }),
    ).toEqual(['tx-mode file (the default: one transaction per file)']);
  });
});
