// The typed Atlas options of `migrate apply` (baseline, allow-dirty, exec-order, tx-mode,
// revisions-schema, to-version, vars), checked the way Atlas reads them. Pure.
import { redactPasswordsInText } from '../migrations/url-password';
import type { InputName, RawInputs } from './parse';
import { EXEC_ORDERS, TX_MODES, type AtlasVariable, type ExecOrder, type TxMode } from './settings';
import { PASSWORD_IN_VAR_FIX, VAR_TWICE_FIX } from './migrate-args';
import { shown } from './shown';

/** Collects a problem with an input; see Collector in parse.ts. */
export interface ProblemCollector {
  fail(input: InputName, problem: string, fix: string): undefined;
}

/** An HCL identifier, as hclsyntax scans one: what `var.<name>` can name. */
export const HCL_IDENTIFIER_RE = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;
const CONTROL_RE = /\p{Cc}/u;
const VERSION_EXAMPLE = '20240101120000 for 20240101120000_create_users.sql';

/**
 * Why `value` cannot be the version of a migration file, or undefined when it can be. Atlas's
 * version is the file name up to its first `_` (`.sql` dropped), and with `format = flyway` the
 * part between `V` and `__`, which may hold `_` (`3_1`). So only what no format allows is refused:
 * a path, a file name (`.sql`, `__`, or a `_` followed by a description), a line break.
 */
export function versionProblem(value: string): string | undefined {
  if (CONTROL_RE.test(value)) return 'holds a line break or another control character';
  if (/[/\\]/.test(value)) return 'is a path, not a version';
  if (/\.sql$/i.test(value)) return 'is a file name, not a version';
  if (value.includes('__') || /_.*\p{L}/u.test(value)) {
    return 'looks like a file name, not a version';
  }
  return undefined;
}

/** The version Atlas would read from a file name given in place of one. */
function versionFrom(value: string): string | undefined {
  const base = value
    .replace(/\\/g, '/')
    .split('/')
    .pop()!
    .replace(/\.sql$/i, '');
  const flyway = /^[VUB]([^_]+(?:_[^_]+)*?)__/.exec(base);
  const version = flyway ? flyway[1]! : base.split('_')[0]!;
  return version !== '' && versionProblem(version) === undefined ? version : undefined;
}

export function parseVersion(
  raw: RawInputs,
  name: 'baseline' | 'to-version',
  c: ProblemCollector,
): string | undefined {
  const value = raw[name];
  if (!value) return undefined;
  const problem = versionProblem(value);
  if (problem === undefined) return value;
  const version = versionFrom(value);
  return c.fail(
    name,
    `${shown(value)} ${problem}: Atlas's version of a migration file is its name up to the first _ (${VERSION_EXAMPLE})`,
    version !== undefined
      ? `use "${version}"`
      : 'give the version of one migration file, e.g. 20240101120000',
  );
}

function parseChoice<T extends string>(
  raw: RawInputs,
  name: InputName,
  allowed: readonly T[],
  what: string,
  meanings: Readonly<Record<T, string>>,
  c: ProblemCollector,
): T | undefined {
  const value = raw[name];
  if (!value) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const near = allowed.find((a) => a === value.trim().toLowerCase().replace(/_/g, '-'));
  const choices = allowed.map((a) => `'${a}' (${meanings[a]})`);
  return c.fail(
    name,
    `${shown(value)} is not ${what}: Atlas takes ${allowed.map((a) => `'${a}'`).join(', ')}`,
    near !== undefined
      ? `use '${near}'`
      : `use ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]!}`,
  );
}

/** What each `--exec-order` does, as Atlas documents it. */
export const EXEC_ORDER_MEANINGS: Readonly<Record<ExecOrder, string>> = {
  linear: 'the default: an unapplied file older than the last applied one is an error',
  'linear-skip': 'an unapplied file older than the last applied one is skipped',
  'non-linear': 'an unapplied file older than the last applied one is applied too',
};

/** What each `--tx-mode` does. */
export const TX_MODE_MEANINGS: Readonly<Record<TxMode, string>> = {
  file: 'the default: one transaction per file',
  all: 'one transaction for all files',
  none: 'no transaction',
};

export function parseExecOrder(raw: RawInputs, c: ProblemCollector): ExecOrder | undefined {
  return parseChoice(raw, 'exec-order', EXEC_ORDERS, 'an execution order', EXEC_ORDER_MEANINGS, c);
}

export function parseTxMode(raw: RawInputs, c: ProblemCollector): TxMode | undefined {
  return parseChoice(raw, 'tx-mode', TX_MODES, 'a transaction mode', TX_MODE_MEANINGS, c);
}

export function parseRevisionsSchema(raw: RawInputs, c: ProblemCollector): string | undefined {
  const value = raw['revisions-schema'];
  if (!value) return undefined;
  if (!CONTROL_RE.test(value)) return value;
  return c.fail(
    'revisions-schema',
    `${shown(value)} holds a line break or another control character`,
    'give one schema name, e.g. atlas_schema_revisions',
  );
}

/** `name=value` lines; blank lines, `#` comments and the blanks around each part are ignored. */
export function parseVars(raw: RawInputs, c: ProblemCollector): AtlasVariable[] {
  const value = raw.vars;
  if (!value) return [];
  const vars: AtlasVariable[] = [];
  value.split('\n').forEach((line, index) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const where = `line ${index + 1}`;
    const eq = text.indexOf('=');
    const name = eq > 0 ? text.slice(0, eq).trim() : '';
    const varValue = eq > 0 ? text.slice(eq + 1).trim() : '';
    const first = vars.find((v) => v.name === name);
    if (eq <= 0 || name === '') {
      c.fail(
        'vars',
        `${where} ${shown(redactPasswordsInText(text))} is not name=value`,
        'write one name=value pair per line, e.g. region=us-east-1',
      );
    } else if (!HCL_IDENTIFIER_RE.test(name)) {
      c.fail(
        'vars',
        `${where}: ${shown(name)} is not a variable name`,
        'use the label of a variable block of atlas-config: letters, digits, _ and -, not starting with a digit or -',
      );
    } else if (first !== undefined) {
      c.fail(
        'vars',
        `${where} sets ${shown(name)} a second time (first on line ${first.line})`,
        VAR_TWICE_FIX,
      );
    } else if (redactPasswordsInText(varValue) !== varValue) {
      c.fail(
        'vars',
        `${where}: the value of ${shown(name)} holds a password (value hidden), which would be in the task definition in plain text`,
        PASSWORD_IN_VAR_FIX,
      );
    } else {
      vars.push({ name, value: varValue, line: index + 1 });
    }
  });
  return vars;
}
