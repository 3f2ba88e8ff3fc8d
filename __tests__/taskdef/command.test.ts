import { InputError } from '../../src/errors';
import { buildMigrationCommand } from '../../src/taskdef';
import { migrationCommandOptions, varArgument } from '../../src/taskdef/command';
import { parseInputs, type RawInputs } from '../../src/inputs/parse';
import { thrown } from './helpers';

const BASE = { atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: [] as string[] };

describe('buildMigrationCommand', () => {
  it('builds migrate apply with the env and lock timeout, and always asks for the JSON report', () => {
    expect(buildMigrationCommand(BASE)).toEqual([
      'migrate',
      'apply',
      '--env',
      'deploy',
      '--lock-timeout',
      '10m',
      '--format',
      '{{ json . }}',
    ]);
  });

  it('names a project file that is not atlas.hcl, then appends migrate-args', () => {
    expect(
      buildMigrationCommand({
        atlasEnv: 'prod',
        lockTimeout: '1h30m',
        migrateArgs: ['--tx-mode', 'all', '--baseline', '20240101000000'],
        configFile: 'atlas.prod.hcl',
      }),
    ).toEqual([
      'migrate',
      'apply',
      '--env',
      'prod',
      '--lock-timeout',
      '1h30m',
      '--config',
      'file://atlas.prod.hcl',
      '--tx-mode',
      'all',
      '--baseline',
      '20240101000000',
      '--format',
      '{{ json . }}',
    ]);
  });

  it('passes every typed option in a fixed order, after --lock-timeout and --config, before migrate-args', () => {
    expect(
      buildMigrationCommand({
        ...BASE,
        // Given in another order than the command's, to show the order is the command's own.
        dryRun: true,
        vars: [
          { name: 'region', value: 'eu-west-1' },
          { name: 'tier', value: 'gold' },
        ],
        toVersion: '20240301000000',
        revisionsSchema: 'atlas_meta',
        txMode: 'all',
        execOrder: 'linear-skip',
        allowDirty: true,
        configFile: 'db.hcl',
        migrateArgs: ['--dir', 'file://migrations', '2'],
      }),
    ).toEqual([
      'migrate',
      'apply',
      '--env',
      'deploy',
      '--lock-timeout',
      '10m',
      '--config',
      'file://db.hcl',
      '--allow-dirty',
      '--exec-order',
      'linear-skip',
      '--tx-mode',
      'all',
      '--revisions-schema',
      'atlas_meta',
      '--to-version',
      '20240301000000',
      '--var',
      'region=eu-west-1',
      '--var',
      'tier=gold',
      '--dry-run',
      '--dir',
      'file://migrations',
      '2',
      '--format',
      '{{ json . }}',
    ]);
  });

  it('puts --baseline first among the typed options', () => {
    expect(buildMigrationCommand({ ...BASE, baseline: '20240101000000', txMode: 'none' })).toEqual([
      'migrate',
      'apply',
      '--env',
      'deploy',
      '--lock-timeout',
      '10m',
      '--baseline',
      '20240101000000',
      '--tx-mode',
      'none',
      '--format',
      '{{ json . }}',
    ]);
  });

  it('leaves out the options that are not set (false, empty)', () => {
    expect(
      buildMigrationCommand({ ...BASE, allowDirty: false, dryRun: false, vars: [], baseline: '' }),
    ).toEqual(buildMigrationCommand(BASE));
  });

  it('quotes a --var value holding a comma or a double quote as one CSV field, as Atlas reads it', () => {
    expect(varArgument('region', 'eu-west-1')).toBe('region=eu-west-1');
    expect(varArgument('tags', 'a,b')).toBe('"tags=a,b"');
    expect(varArgument('motd', 'say "hi"')).toBe('"motd=say ""hi"""');
    expect(varArgument('empty', '')).toBe('empty=');
    expect(
      buildMigrationCommand({ ...BASE, vars: [{ name: 'tags', value: 'a,b' }] }).slice(6, 8),
    ).toEqual(['--var', '"tags=a,b"']);
  });

  it.each([
    ['--env', 'atlas-env'],
    ['--env=prod', 'atlas-env'],
    ['--lock-timeout=5m', 'lock-timeout'],
    ['--config', 'atlas-config'],
    ['-c', 'atlas-config'],
  ])('rejects %s in migrate-args, pointing at the %s input', (arg, input) => {
    const error = thrown(() => buildMigrationCommand({ ...BASE, migrateArgs: ['-x', arg] }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain("Input 'migrate-args': contains -");
    expect(error.message).toContain(`set the '${input}' input instead`);
  });

  it.each<[string, string[], Partial<Parameters<typeof buildMigrationCommand>[0]>, string]>([
    [
      '--format',
      ['--format', '{{ .Applied }}'],
      {},
      "Input 'migrate-args': sets --format, which the action sets itself: it always passes --format '{{ json . }}' and reads Atlas's JSON report from the log. Fix: remove --format from migrate-args; the outputs and the step summary come from that report",
    ],
    [
      '--dry-run',
      ['--dry-run'],
      {},
      "Input 'migrate-args': sets --dry-run, which the action sets itself in mode 'plan'. Fix: remove --dry-run from migrate-args and set input 'mode' to 'plan': it runs migrate apply --dry-run once and changes nothing",
    ],
    [
      '--tx-mode with tx-mode set',
      ['--tx-mode=none'],
      { txMode: 'all' },
      "Input 'migrate-args': sets --tx-mode, and input 'tx-mode' sets it too. Fix: remove --tx-mode from migrate-args and keep input 'tx-mode'",
    ],
    [
      '--var for a name vars sets',
      ['--var', 'region=us-east-1'],
      { vars: [{ name: 'region', value: 'eu-west-1' }] },
      "Input 'migrate-args': sets --var region, and input 'vars' sets \"region\" too. Fix: remove --var region from migrate-args and keep the line in input 'vars'",
    ],
    [
      'a flag given twice',
      ['--exec-order', 'linear', '--exec-order', 'non-linear'],
      {},
      "Input 'migrate-args': sets --exec-order twice. Fix: give it once: Atlas keeps only the last value",
    ],
  ])('refuses %s, as the input checks do', (_name, migrateArgs, options, message) => {
    const error = thrown(() => buildMigrationCommand({ ...BASE, ...options, migrateArgs }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(message);
  });
});

describe('migrationCommandOptions', () => {
  const parse = (raw: RawInputs) =>
    parseInputs(
      { service: 'api', 'image-repository': 'registry.example.com/m', ...raw },
      { workspace: '/repo', isFile: () => false },
    );

  it('maps the settings of a plain run to env, lock timeout and migrate-args', () => {
    expect(migrationCommandOptions(parse({}))).toEqual({
      atlasEnv: 'deploy',
      lockTimeout: '10m',
      migrateArgs: [],
    });
  });

  it('maps every typed input, the config file name and mode plan', () => {
    const settings = parse({
      'atlas-config': 'db/atlas.prod.hcl',
      'atlas-env': 'prod',
      'lock-timeout': '2m',
      'migrate-args': '--dir file://migrations',
      'to-version': '20240301000000',
      'exec-order': 'non-linear',
      'tx-mode': 'file',
      'revisions-schema': 'meta',
      'allow-dirty': 'true',
      vars: 'region=eu-west-1\ntier = gold',
      mode: 'plan',
    });
    expect(migrationCommandOptions(settings)).toEqual({
      atlasEnv: 'prod',
      lockTimeout: '2m',
      migrateArgs: ['--dir', 'file://migrations'],
      configFile: 'atlas.prod.hcl',
      allowDirty: true,
      execOrder: 'non-linear',
      txMode: 'file',
      revisionsSchema: 'meta',
      toVersion: '20240301000000',
      vars: [
        { name: 'region', value: 'eu-west-1' },
        { name: 'tier', value: 'gold' },
      ],
      dryRun: true,
    });
    expect(migrationCommandOptions(parse({ baseline: '7' })).baseline).toBe('7');
  });

  it('names no config file for atlas.hcl in a subfolder', () => {
    expect(
      migrationCommandOptions(parse({ 'atlas-config': 'db/atlas.hcl' })).configFile,
    ).toBeUndefined();
  });

  it.each(['sidecar', 'run-task'])('adds no --dry-run in mode %s', (mode) => {
    expect(migrationCommandOptions(parse({ mode })).dryRun).toBeUndefined();
  });
});
