// Input variables of atlas.hcl: the top-level `variable "name" { type = ... default = ... }`
// blocks Atlas fills from `--var name=value`. Atlas ignores a --var no block declares, so a typo in
// input 'vars' would silently leave the variable at its default; this finds it before anything runs.
import { InputError } from '../errors';
import type { HclBlock } from './hcl-outline';

export interface DeclaredVariable {
  readonly name: string;
  /** 1-based line of the block in atlas.hcl. */
  readonly line: number;
}

/** A name given in input 'vars', with its line there. */
export interface GivenVariable {
  readonly name: string;
  readonly line: number;
}

/** The `variable` blocks at the top level of the file, in file order. */
export function declaredVariables(root: HclBlock): DeclaredVariable[] {
  return root.blocks
    .filter((block) => block.type === 'variable' && block.labels.length === 1)
    .map((block) => ({ name: block.labels[0]!, line: block.line }));
}

/** One problem (naming input 'vars') for each given name that `file` declares no variable for. */
export function undeclaredVarProblems(
  root: HclBlock,
  file: string,
  given: readonly GivenVariable[],
): InputError[] {
  const declared = declaredVariables(root);
  const names = new Set(declared.map((v) => v.name));
  const list = declared.map((v) => `"${v.name}" on line ${v.line}`).join(', ');
  return given
    .filter((v) => !names.has(v.name))
    .map((v) => {
      const near = closest(v.name, declared);
      const declaredText =
        declared.length === 0 ? 'it declares no variable' : `its variables: ${list}`;
      const declare = `declare it in ${file} (variable "${v.name}" { type = string })`;
      return new InputError(
        'vars',
        `line ${v.line} sets "${v.name}", but ${file} declares no variable "${v.name}" (${declaredText}), and Atlas ignores a value no variable block takes`,
        near !== undefined
          ? `use "${near.name}" (declared on line ${near.line}), or ${declare}`
          : declared.length > 0
            ? `use one of the declared names, ${declare}, or remove the line`
            : `${declare}, or remove the line`,
      );
    });
}

/** The declared variable a typo most likely meant: same letters ignoring case, or 1-2 edits away. */
function closest(
  name: string,
  declared: readonly DeclaredVariable[],
): DeclaredVariable | undefined {
  let best: DeclaredVariable | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const candidate of declared) {
    if (candidate.name.toLowerCase() === name.toLowerCase()) return candidate;
    const distance = editDistance(name, candidate.name);
    if (distance <= bestDistance) {
      if (best === undefined || distance < bestDistance) best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, with a transposition counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
