// The functions an atlas.hcl expression may call. Atlas evaluates a project file with one
// hcl.EvalContext whose functions are, at ariga/atlas commit a5e0aecc (June 2026):
//   - schemahcl/stdlib.go, stdFuncs(): the cty stdlib functions Atlas registers and its own
//     (urlescape, urlqueryset, urlsetpath, urluserinfo, yamlmerge, empty, print, sql, ...);
//   - schemahcl/stdlib.go, stdTypes(): the type constructors list, set, map, tuple, object;
//   - cmd/atlas/internal/cmdapi/project.go, parseConfig(): file, glob, fileset, getenv.
// Atlas's documentation (atlasgo.io/atlas-schema/projects, "Builtin Functions") lists file,
// fileset and getenv on top of the standard library. A call to any other name fails the whole
// evaluation with HCL's "Call to unknown function; There is no function named ...".

const STD_FUNCS = [
  'abs',
  'alltrue',
  'can',
  'ceil',
  'chomp',
  'chunklist',
  'coalescelist',
  'compact',
  'concat',
  'contains',
  'csvdecode',
  'distinct',
  'element',
  'empty',
  'endswith',
  'flatten',
  'floor',
  'format',
  'formatdate',
  'formatlist',
  'indent',
  'index',
  'join',
  'jsondecode',
  'jsonencode',
  'yamldecode',
  'yamlencode',
  'yamlmerge',
  'keys',
  'length',
  'log',
  'lower',
  'max',
  'merge',
  'min',
  'parseint',
  'pow',
  'print',
  'range',
  'regex',
  'regexall',
  'regexpescape',
  'regexreplace',
  'replace',
  'reverse',
  'setintersection',
  'setproduct',
  'setsubtract',
  'setunion',
  'signum',
  'slice',
  'sort',
  'split',
  'startswith',
  'strrev',
  'substr',
  'timeadd',
  'title',
  'tobool',
  'tolist',
  'tonumber',
  'toset',
  'tostring',
  'trim',
  'trimprefix',
  'trimspace',
  'trimsuffix',
  'try',
  'upper',
  'urlescape',
  'urluserinfo',
  'urlqueryset',
  'urlsetpath',
  'values',
  'zipmap',
  'sql',
];
const TYPE_FUNCS = ['list', 'set', 'map', 'tuple', 'object'];
const PROJECT_FUNCS = ['file', 'glob', 'fileset', 'getenv'];

/** Every function name an atlas.hcl expression can call. */
export const ATLAS_FUNCTIONS: ReadonlySet<string> = new Set([
  ...STD_FUNCS,
  ...TYPE_FUNCS,
  ...PROJECT_FUNCS,
]);

/** Names other tools use for reading an environment variable; Atlas's is getenv. */
const ENV_READERS = new Set(['env', 'getEnv', 'Getenv', 'environ', 'environment', 'envvar']);

/**
 * The Atlas function a call to the unknown `name` most likely meant: getenv for the env readers
 * of other tools, else a name 1-2 edits away (or equal ignoring case).
 */
export function closestAtlasFunction(name: string): string | undefined {
  if (ENV_READERS.has(name) || name.toLowerCase() === 'getenv') return 'getenv';
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const candidate of ATLAS_FUNCTIONS) {
    if (candidate === name.toLowerCase()) return candidate;
    const distance = editDistance(name, candidate);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
