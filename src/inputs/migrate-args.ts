// What migrate-args says to Atlas, flag by flag, and where it clashes with what the action passes
// itself. Shared by the input checks (every problem at once) and the command builder (a last guard).
import { InputError } from '../errors';
import { redactPasswordsInText } from '../migrations/url-password';

/** The fix for a `--var` (or a `vars` line) given twice: both inputs check it. */
export const VAR_TWICE_FIX = 'give each variable once: Atlas would pass both values as a list';
/** The fix for a password in a `--var` value, which would sit in the task definition. */
export const PASSWORD_IN_VAR_FIX = `pass the database URL through input 'database-url-secret' (read it with getenv("DATABASE_URL")), or read the secret in atlas.hcl with a data "runtimevar" block`;

/** `migrate apply` flags that take no value. */
const BOOLEAN_FLAGS = new Set(['--allow-dirty', '--dry-run']);
/** Flags that take the next argument as their value even when it starts with `-`, as pflag does. */
const VALUE_FLAGS = new Set([
  '--baseline',
  '--exec-order',
  '--tx-mode',
  '--revisions-schema',
  '--to-version',
  '--var',
  '--format',
  '--log',
  '--env',
  '--lock-timeout',
  '--config',
  '-c',
  '--url',
  '-u',
  '--dir',
]);

/**
 * Flags the caller checks itself, with messages of its own (the env, the lock timeout, the config
 * and the database URL); left out here so each is reported once.
 */
const CHECKED_ELSEWHERE = new Set(['--env', '--lock-timeout', '--config', '-c', '--url', '-u']);

/** The typed inputs that pass a `migrate apply` flag, by flag. */
export const TYPED_FLAG_INPUTS = {
  '--baseline': 'baseline',
  '--allow-dirty': 'allow-dirty',
  '--exec-order': 'exec-order',
  '--tx-mode': 'tx-mode',
  '--revisions-schema': 'revisions-schema',
  '--to-version': 'to-version',
} as const;

export type TypedFlag = keyof typeof TYPED_FLAG_INPUTS;
export type TypedInput = (typeof TYPED_FLAG_INPUTS)[TypedFlag];

/** One flag of migrate-args and its value (`--flag value` or `--flag=value`). */
export interface MigrateArgFlag {
  readonly flag: string;
  readonly value?: string;
}

/** The flags of migrate-args in order; positional arguments (the amount) are left out. */
export function migrateArgFlags(args: readonly string[]): MigrateArgFlag[] {
  const flags: MigrateArgFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.push({ flag: arg.slice(0, eq), value: arg.slice(eq + 1) });
      continue;
    }
    const next = args[i + 1];
    if (!BOOLEAN_FLAGS.has(arg) && next !== undefined) {
      if (VALUE_FLAGS.has(arg) || !next.startsWith('-')) {
        flags.push({ flag: arg, value: next });
        i++;
        continue;
      }
    }
    flags.push({ flag: arg });
  }
  return flags;
}

/** Whether migrate-args turns a boolean flag on (`--allow-dirty`, `--allow-dirty=true`). */
export function setsBooleanFlag(args: readonly string[], flag: string): boolean {
  return migrateArgFlags(args).some(
    (f) => f.flag === flag && (f.value === undefined || !/^(false|0|f)$/i.test(f.value)),
  );
}

/**
 * The variable names of a `--var` value. Atlas reads it as one CSV record of `name=value` fields
 * (`--var a=1,b=2` sets two), which this follows closely enough to find the names.
 */
function varNames(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((field) => field.replace(/^"/, ''))
    .filter((field) => field.indexOf('=') > 0)
    .map((field) => field.slice(0, field.indexOf('=')));
}

/** What the typed inputs already pass to Atlas. */
export interface TypedOptionsGiven {
  /** The typed inputs that are set (allow-dirty: only when true). */
  readonly inputs: ReadonlySet<TypedInput>;
  /** The names input 'vars' sets. */
  readonly varNames: ReadonlySet<string>;
}

const FORMAT_ARGUMENT = `--format '{{ json . }}'`;

/**
 * Every clash of migrate-args with the flags the action passes itself, and every flag it repeats:
 * `--format`, `--log` and `--dry-run` always; a typed input's flag when that input is set; a
 * `--var` for a name input 'vars' sets; a flag given twice; a `--var` value with a password.
 */
export function migrateArgsConflicts(
  args: readonly string[],
  typed: TypedOptionsGiven,
): InputError[] {
  const problems: InputError[] = [];
  const reported = new Set<string>();
  const seen = new Set<string>();
  const fail = (key: string, problem: string, fix: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(new InputError('migrate-args', problem, fix));
  };
  for (const { flag, value } of migrateArgFlags(args)) {
    if (CHECKED_ELSEWHERE.has(flag)) continue;
    if (flag === '--format') {
      fail(
        flag,
        `sets --format, which the action sets itself: it always passes ${FORMAT_ARGUMENT} and reads Atlas's JSON report from the log`,
        'remove --format from migrate-args; the outputs and the step summary come from that report',
      );
      continue;
    }
    if (flag === '--log') {
      fail(
        flag,
        `sets --log, which Atlas refuses together with the ${FORMAT_ARGUMENT} the action passes`,
        'remove --log from migrate-args',
      );
      continue;
    }
    if (flag === '--dry-run') {
      fail(
        flag,
        "sets --dry-run, which the action sets itself in mode 'plan'",
        "remove --dry-run from migrate-args and set input 'mode' to 'plan': it runs migrate apply --dry-run once and changes nothing",
      );
      continue;
    }
    if (flag === '--var') {
      for (const name of varNames(value)) {
        const key = `--var ${name}`;
        if (typed.varNames.has(name)) {
          fail(
            key,
            `sets --var ${name}, and input 'vars' sets "${name}" too`,
            `remove --var ${name} from migrate-args and keep the line in input 'vars'`,
          );
        } else if (seen.has(key)) {
          fail(key, `sets --var ${name} twice`, VAR_TWICE_FIX);
        }
        seen.add(key);
      }
      if (value !== undefined && redactPasswordsInText(value) !== value) {
        fail(
          `${flag} password`,
          'sets a --var whose value holds a password (value hidden), which would be in the task definition in plain text',
          PASSWORD_IN_VAR_FIX,
        );
      }
      continue;
    }
    const input = (TYPED_FLAG_INPUTS as Record<string, TypedInput | undefined>)[flag];
    if (input !== undefined && typed.inputs.has(input)) {
      fail(
        flag,
        `sets ${flag}, and input '${input}' sets it too`,
        `remove ${flag} from migrate-args and keep input '${input}'`,
      );
    } else if (seen.has(flag)) {
      fail(
        flag,
        `sets ${flag} twice`,
        BOOLEAN_FLAGS.has(flag) ? 'give it once' : 'give it once: Atlas keeps only the last value',
      );
    }
    seen.add(flag);
  }
  return problems;
}
