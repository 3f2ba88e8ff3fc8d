// The migration container's command. The image's entrypoint is Atlas itself, so this is only the
// argument list; the container starts in the project file's directory, so a relative config URL works.
import { InputError } from '../errors';

export interface MigrationCommandOptions {
  atlasEnv: string;
  /** A Go duration, passed through to Atlas. */
  lockTimeout: string;
  migrateArgs: readonly string[];
  /** The project file's name, given only when it is not atlas.hcl (Atlas's default). */
  configFile?: string;
}

/** Flags the action sets itself; a second copy in migrate-args would silently win or clash. */
const OWNED_FLAGS = ['--env', '--lock-timeout', '--config'];

export function buildMigrationCommand(options: MigrationCommandOptions): string[] {
  const clash = options.migrateArgs.find((arg) =>
    OWNED_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`)),
  );
  if (clash !== undefined) {
    const flag = clash.split('=')[0]!;
    const input =
      flag === '--env' ? 'atlas-env' : flag === '--config' ? 'atlas-config' : 'lock-timeout';
    throw new InputError(
      'migrate-args',
      `contains ${flag}, which the action already passes`,
      `remove ${flag} from migrate-args and set the '${input}' input instead`,
    );
  }
  return [
    'migrate',
    'apply',
    '--env',
    options.atlasEnv,
    '--lock-timeout',
    options.lockTimeout,
    ...(options.configFile ? ['--config', `file://${options.configFile}`] : []),
    ...options.migrateArgs,
  ];
}
