// Checks atlas.hcl against what this action is about to ship, before anything is built: the env
// that `migrate apply --env` will use exists, it reads the shipped migration directory, no
// password is written into a file that goes into the image, and Atlas can evaluate the env (its
// runtime contract: env-contract.ts).
import { posix } from 'node:path';
import { FileProblem, type InputError } from '../errors';
import { selectEnvBlocks } from './atlas-env';
import { undeclaredVarProblems, type GivenVariable } from './atlas-vars';
import { analyseEnvContract, type EnvContract } from './env-contract';
import { inspectEnvMigration, type ConfigWarning } from './env-migration';
import { outlineHcl } from './hcl-outline';
import { hclSyntaxProblems } from './hcl-syntax';
import { passwordWarnings } from './password-warnings';

export type { ConfigWarning } from './env-migration';

export interface AtlasConfigOptions {
  /** Workspace-relative path of atlas.hcl. */
  readonly file: string;
  /** The env `migrate apply --env` selects (input 'atlas-env'). */
  readonly env: string;
  /** Workspace-relative migration directory that is shipped (input 'migrations-dir'). */
  readonly migrationsDir: string;
  /** The names input 'vars' sets, with their lines there; each needs a `variable` block. */
  readonly vars?: readonly GivenVariable[];
}

export interface AtlasConfigReport {
  readonly problems: FileProblem[];
  /** Problems with inputs that the file shows (a 'vars' name no variable block declares). */
  readonly inputProblems?: InputError[];
  readonly warnings: ConfigWarning[];
  /**
   * Workspace-relative directory Atlas will read: from a literal `file://` dir, or Atlas's default
   * `file://migrations` when the env sets none. Resolved against the directory of atlas.hcl, where
   * Atlas runs.
   */
  readonly migrationDir?: string;
  /** The migration block's `format` (or the dir URL's `?format=`), when set: atlas, flyway, ... */
  readonly dirFormat?: string;
  /** Source text of a dir expression only Atlas can evaluate, e.g. `"file://${local.dir}"`. */
  readonly unresolved?: string;
  /**
   * What the selected env needs inside the migration container (its getenvs, runtimevars, an
   * Atlas Cloud directory); its problems are in `problems` too. Absent when no env is selected.
   */
  readonly contract?: EnvContract;
}

export async function inspectAtlasConfig(
  text: string,
  opts: AtlasConfigOptions,
): Promise<AtlasConfigReport> {
  const syntax = await hclSyntaxProblems(opts.file, text);
  if (syntax.length > 0) return { problems: syntax, warnings: [] };

  const root = outlineHcl(text);
  const warnings = passwordWarnings(root, opts.file);
  const varProblems = undeclaredVarProblems(root, opts.file, opts.vars ?? []);
  const inputProblems = varProblems.length > 0 ? { inputProblems: varProblems } : {};
  const envs = await selectEnvBlocks(root, opts.env);
  if (envs.selected.length === 0) {
    return {
      problems: [missingEnv(opts, envs.namesPresent, envs.ignoredUnlabeled.length)],
      ...inputProblems,
      warnings,
    };
  }

  const results = envs.selected.map((block) => inspectEnvMigration(block, opts));
  // One analysis of all the selected blocks: Atlas evaluates them, and what they share, together.
  const contract = await analyseEnvContract(root, envs.selected, {
    file: opts.file,
    vars: (opts.vars ?? []).map((v) => v.name),
    text,
    env: opts.env,
  });
  // Atlas runs the command once per block of that name; report every block, describe the first.
  const first = results[0]!;
  return {
    problems: [...results.flatMap((r) => r.problems), ...contract.problems],
    ...inputProblems,
    warnings: [...warnings, ...results.flatMap((r) => r.warnings)],
    ...(first.migrationDir === undefined ? {} : { migrationDir: first.migrationDir }),
    ...(first.dirFormat === undefined ? {} : { dirFormat: first.dirFormat }),
    ...(first.unresolved === undefined ? {} : { unresolved: first.unresolved }),
    contract,
  };
}

function missingEnv(
  opts: AtlasConfigOptions,
  namesPresent: readonly string[],
  ignoredUnlabeled: number,
): FileProblem {
  const quoted = namesPresent.map((n) => `"${n}"`).join(', ');
  const found = namesPresent.length > 0 ? `the envs defined are ${quoted}` : 'it defines no env';
  const unlabeled =
    ignoredUnlabeled > 0
      ? `; an env block without a label is used only when its name is atlas.env`
      : '';
  const fileName = posix.basename(opts.file);
  return new FileProblem(
    { file: opts.file },
    `env "${opts.env}" is not defined in ${opts.file} (${found}${unlabeled}), so 'atlas migrate apply --env ${opts.env}' would fail`,
    `add env "${opts.env}" { ... } to ${fileName}${
      namesPresent.length > 0
        ? `, or set input 'atlas-env' to one of ${quoted}`
        : ", or set input 'atlas-env'"
    }`,
  );
}
