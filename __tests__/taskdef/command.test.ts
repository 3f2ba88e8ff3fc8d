import { InputError } from '../../src/errors';
import { buildMigrationCommand } from '../../src/taskdef';
import { thrown } from './helpers';

describe('buildMigrationCommand', () => {
  it('builds migrate apply with the env and lock timeout', () => {
    expect(
      buildMigrationCommand({ atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: [] }),
    ).toEqual(['migrate', 'apply', '--env', 'deploy', '--lock-timeout', '10m']);
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
    ]);
  });

  it.each([
    ['--env', 'atlas-env'],
    ['--env=prod', 'atlas-env'],
    ['--lock-timeout=5m', 'lock-timeout'],
    ['--config', 'atlas-config'],
  ])('rejects %s in migrate-args, pointing at the %s input', (arg, input) => {
    const error = thrown(() =>
      buildMigrationCommand({ atlasEnv: 'deploy', lockTimeout: '10m', migrateArgs: ['-x', arg] }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain("Input 'migrate-args': contains --");
    expect(error.message).toContain(`set the '${input}' input instead`);
  });
});
