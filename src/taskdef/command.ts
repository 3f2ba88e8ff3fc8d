// The migration container's command. The image's entrypoint is Atlas itself, so this is only the
// argument list (no shell: nothing is quoted); the container starts in the project file's
// directory, so a relative config URL works.
import { InputError } from '../errors';
import { migrateArgsConflicts, type TypedInput } from '../inputs/migrate-args';
import type { ExecOrder, Settings, TxMode } from '../inputs/settings';

export interface MigrationCommandOptions {
  atlasEnv: string;
  /** A Go duration, passed through to Atlas. */
  lockTimeout: string;
  migrateArgs: readonly string[];
  /** The project file's name, given only when it is not atlas.hcl (Atlas's default). */
  configFile?: string;
  /** `--baseline <version>`. */
  baseline?: string;
  /** `--allow-dirty`. */
  allowDirty?: boolean;
  /** `--exec-order <order>`. */
  execOrder?: ExecOrder;
  /** `--tx-mode <mode>`. */
  txMode?: TxMode;
  /** `--revisions-schema <schema>`. */
  revisionsSchema?: string;
  /** `--to-version <version>`. */
  toVersion?: string;
  /** Each `--var name=value`, in this order. */
  vars?: readonly { readonly name: string; readonly value: string }[];
  /** `--dry-run`: Atlas reports what it would apply and executes nothing (mode plan). */
  dryRun?: boolean;
}

/** The project file Atlas reads from its working directory when no --config is given. */
export const ATLAS_DEFAULT_CONFIG_FILE = 'atlas.hcl';

/** The Go template that makes Atlas print its report as JSON, one line per target. */
export const JSON_FORMAT = '{{ json . }}';

/** Flags the action sets itself; a second copy in migrate-args would silently win or clash. */
const OWNED_FLAGS: Readonly<Record<string, string>> = {
  '--env': 'atlas-env',
  '--lock-timeout': 'lock-timeout',
  '--config': 'atlas-config',
  '-c': 'atlas-config',
};

export function buildMigrationCommand(options: MigrationCommandOptions): string[] {
  const clash = options.migrateArgs.find((arg) =>
    Object.keys(OWNED_FLAGS).some((flag) => arg === flag || arg.startsWith(`${flag}=`)),
  );
  if (clash !== undefined) {
    const flag = clash.split('=')[0]!;
    throw new InputError(
      'migrate-args',
      `contains ${flag}, which the action already passes`,
      `remove ${flag} from migrate-args and set the '${OWNED_FLAGS[flag]!}' input instead`,
    );
  }
  const [conflict] = migrateArgsConflicts(options.migrateArgs, typedGiven(options));
  if (conflict !== undefined) throw conflict;
  return [
    'migrate',
    'apply',
    '--env',
    options.atlasEnv,
    '--lock-timeout',
    options.lockTimeout,
    ...(options.configFile ? ['--config', `file://${options.configFile}`] : []),
    ...(options.baseline ? ['--baseline', options.baseline] : []),
    ...(options.allowDirty ? ['--allow-dirty'] : []),
    ...(options.execOrder ? ['--exec-order', options.execOrder] : []),
    ...(options.txMode ? ['--tx-mode', options.txMode] : []),
    ...(options.revisionsSchema ? ['--revisions-schema', options.revisionsSchema] : []),
    ...(options.toVersion ? ['--to-version', options.toVersion] : []),
    ...(options.vars ?? []).flatMap((v) => ['--var', varArgument(v.name, v.value)]),
    ...(options.dryRun ? ['--dry-run'] : []),
    ...options.migrateArgs,
    '--format',
    JSON_FORMAT,
  ];
}

/**
 * The options of the command a run's settings give: the typed Atlas inputs, migrate-args, and
 * `--dry-run` in mode plan. `defaultConfigName` is the file Atlas finds without --config.
 */
export function migrationCommandOptions(
  settings: Pick<
    Settings,
    | 'atlasEnv'
    | 'atlasConfig'
    | 'lockTimeout'
    | 'migrateArgs'
    | 'baseline'
    | 'allowDirty'
    | 'execOrder'
    | 'txMode'
    | 'revisionsSchema'
    | 'toVersion'
    | 'vars'
    | 'mode'
  >,
  defaultConfigName: string = ATLAS_DEFAULT_CONFIG_FILE,
): MigrationCommandOptions {
  const configName = settings.atlasConfig.split('/').pop() ?? settings.atlasConfig;
  return {
    atlasEnv: settings.atlasEnv,
    lockTimeout: settings.lockTimeout,
    migrateArgs: [...settings.migrateArgs],
    ...(configName !== defaultConfigName ? { configFile: configName } : {}),
    ...(settings.baseline ? { baseline: settings.baseline } : {}),
    ...(settings.allowDirty ? { allowDirty: true } : {}),
    ...(settings.execOrder ? { execOrder: settings.execOrder } : {}),
    ...(settings.txMode ? { txMode: settings.txMode } : {}),
    ...(settings.revisionsSchema ? { revisionsSchema: settings.revisionsSchema } : {}),
    ...(settings.toVersion ? { toVersion: settings.toVersion } : {}),
    ...(settings.vars.length > 0
      ? { vars: settings.vars.map((v) => ({ name: v.name, value: v.value })) }
      : {}),
    ...(settings.mode === 'plan' ? { dryRun: true } : {}),
  };
}

/**
 * `name=value` as Atlas's `--var` reads it: one CSV record, so a value holding `,` or `"` is
 * quoted as a CSV field (`"name=a,b"`), or Atlas would split it or refuse the bare quote.
 */
export function varArgument(name: string, value: string): string {
  const pair = `${name}=${value}`;
  return /[,"]/.test(value) ? `"${pair.replace(/"/g, '""')}"` : pair;
}

function typedGiven(options: MigrationCommandOptions) {
  const inputs = new Set<TypedInput>();
  if (options.baseline) inputs.add('baseline');
  if (options.allowDirty) inputs.add('allow-dirty');
  if (options.execOrder) inputs.add('exec-order');
  if (options.txMode) inputs.add('tx-mode');
  if (options.revisionsSchema) inputs.add('revisions-schema');
  if (options.toVersion) inputs.add('to-version');
  return { inputs, varNames: new Set((options.vars ?? []).map((v) => v.name)) };
}
