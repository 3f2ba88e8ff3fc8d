// What the selected env of atlas.hcl needs at run time, inside the migration container: the
// environment variables its evaluation reads, the runtimevar sources it reads with the task's
// credentials, an Atlas Cloud migration directory, and the problems Atlas would stop on
// (a function it does not have, a reference that does not resolve, a variable with no value).
// Pure. The checks against the container (which variables it will have) and AWS (whether the
// secrets exist) use this; see env-contract-check.ts and deploy/preflight.ts.
//
// What Atlas evaluates for `migrate apply --env E` (ariga/atlas, cmd/atlas/internal/cmdapi/
// project.go parseConfig and partialParse; schemahcl/schemahcl.go EvalOptions; schemahcl/
// context.go setInputVals and evalReferences):
//   - partialParse drops every env block but the selected ones, so whatever only another env
//     refers to is never evaluated: its getenvs, data sources and locals do not concern E.
//   - setInputVals decodes EVERY `variable` block first, in a context with the functions and
//     `atlas` only (no var, local or data yet): a variable with neither a --var value nor a
//     default stops Atlas ("missing value for required variable"), used by E or not.
//   - evalReferences evaluates EVERY attribute of every `locals` block, and a `data` block only
//     when the remaining body (E, the `atlas` block, top-level lint/diff/test) refers to it, or an
//     evaluated local or data block does. A data block is read for real (a runtimevar is fetched,
//     an external_schema program runs) as soon as it is evaluated.
//   - then every attribute of E's blocks (and of lint, diff, ...) is evaluated; an unknown
//     function or variable anywhere there fails the command.
// So the problems below cover everything evaluated; `getenvs` only those whose value reaches
// E (or a data source that is read), since a getenv in an unused local is called but harmless.
import { FileProblem, type FileLocation } from '../errors';
import { ATLAS_FUNCTIONS, closestAtlasFunction, editDistance } from './atlas-functions';
import { DIR_FORMATS } from './dir-url';
import {
  literalString,
  readExpression,
  type ExpressionFacts,
  type ExpressionNode,
  type Reference,
  type SourcePosition,
} from './hcl-expression';
import type { HclAttribute, HclBlock } from './hcl-outline';
import { parseRuntimevarUrl } from './runtimevar-url';

/** Where in atlas.hcl. */
export interface HclRef {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/** A `getenv("NAME")` the env's evaluation reaches. */
export interface EnvGetenv {
  readonly name: string;
  readonly at: HclRef;
  /**
   * The attributes whose value it reaches, relative to the env block (`url`, `dev`,
   * `migration.dir`), or `atlas.cloud.token`, or `data.<type>.<label>` for a data source that is
   * read while its value reaches no attribute.
   */
  readonly via?: readonly string[];
}

/** A `data "runtimevar" "<label>" { url = "..." }` the env's evaluation reaches. */
export interface RuntimevarSource {
  readonly label: string;
  /** The url as written (when it is a literal). */
  readonly url: string;
  /** `awssecretsmanager`, `awsparamstore`, or another gocloud runtimevar scheme. */
  readonly scheme: string;
  /** The secret's or parameter's name (or ARN), without the query. */
  readonly name: string;
  /** `?region=` of the URL; absent: the task's own region. */
  readonly region?: string;
  readonly at: HclRef;
}

/** A runtimevar that is read, whose url is computed by Atlas (`"...://${var.name}"`). */
export interface UnresolvedRuntimevar {
  readonly label: string;
  /** The url's source text. */
  readonly expression: string;
  /** The scheme when the url's literal start shows it. */
  readonly scheme?: string;
  readonly at: HclRef;
}

/** A migration directory in Atlas Cloud: `dir = "atlas://NAME[?tag=T]"` or `data "remote_dir"`. */
export interface CloudDirectory {
  readonly kind: 'atlas-url' | 'remote_dir';
  /** The directory's name (its source text when Atlas computes it). */
  readonly name: string;
  readonly tag?: string;
  readonly at: HclRef;
}

/** A data source that runs a program inside the container when it is evaluated. */
export interface ExternalProgram {
  /** `external_schema` or `external`. */
  readonly type: string;
  readonly label: string;
  /** The command line, when it is a list of literal strings. */
  readonly program?: readonly string[];
  readonly at: HclRef;
}

export interface EnvContract {
  readonly getenvs: readonly EnvGetenv[];
  readonly runtimevars: readonly RuntimevarSource[];
  readonly cloudDirectory?: CloudDirectory;
  /** Unknown functions, references that do not resolve, variables used with no value. */
  readonly problems: readonly FileProblem[];
  /** Runtimevars that are read but whose url only Atlas can compute. */
  readonly unresolvedRuntimevars?: readonly UnresolvedRuntimevar[];
  /** Programs Atlas runs in the container while it evaluates the env (ORM schema loaders). */
  readonly externalPrograms?: readonly ExternalProgram[];
  /**
   * Selected env blocks that set no `url`: Atlas then needs `--url` (input 'migrate-args') or
   * stops with 'required flag "url" not set'.
   */
  readonly withoutUrl?: readonly HclRef[];
}

export interface EnvContractOptions {
  /** Workspace-relative path of atlas.hcl. */
  readonly file: string;
  /** The names input 'vars' sets. */
  readonly vars: readonly string[];
  /** The file's text: places every column exactly (without it, first-line columns are left out). */
  readonly text?: string;
  /** The --env name (input 'atlas-env'), for messages about unlabeled env blocks. */
  readonly env?: string;
}

/** The scheme-less values Atlas declares for one attribute path (project.go WithScopedEnums). */
const REVIEW_MODES = ['ALWAYS', 'WARNING', 'ERROR'];
const SCOPED_ENUMS: Readonly<Record<string, readonly string[]>> = {
  'env.migration.format': DIR_FORMATS,
  'env.migration.exec_order': ['LINEAR', 'LINEAR_SKIP', 'NON_LINEAR'],
  'env.lint.review': REVIEW_MODES,
  'lint.review': REVIEW_MODES,
};
/** Variables of every scope (schemahcl/stdlib.go stdTypes), used in `type = string`. */
const TYPE_NAMES = new Set(['string', 'bool', 'number', 'int']);
/** Top-level blocks Atlas evaluates besides env, variable, locals and data (Project's fields). */
const PROJECT_BLOCKS = new Set(['atlas', 'lint', 'diff', 'test']);
/** What a variable block may hold (schemahcl/context.go blockVar). */
const VARIABLE_ATTRIBUTES = new Set(['type', 'default', 'description']);
/** The data sources that run a program when they are evaluated. */
const PROGRAM_SOURCES = new Set(['external_schema', 'external']);
/** Variable names of other tools' configs, likely meant as environment variables. */
const ENV_LIKE = /^[A-Z][A-Z0-9_]*$/;

type Where = 'env' | 'variable' | 'config';

interface Scope {
  /** Block types from the top level, then the attribute name: env.migration.dir. */
  readonly path: readonly string[];
  readonly where: Where;
  /** Inside an env block with for_each (not its for_each itself). */
  readonly each: boolean;
  /** Block type names visible as references here. */
  readonly blockNames: ReadonlySet<string>;
  /** How messages name the block: env "deploy", locals, data "runtimevar" "url", ... */
  readonly owner: string;
}

/** One attribute read: what it calls, what it refers to, the problems it alone shows. */
interface AttrScan {
  readonly attr: HclAttribute;
  readonly facts: ExpressionFacts;
  readonly getenvs: readonly { name: string; at: SourcePosition }[];
  readonly edges: readonly { node: string; at: SourcePosition; text: string }[];
  readonly problems: readonly FileProblem[];
}

/** A local, data source or variable: what evaluating it reads. */
interface GraphNode {
  readonly id: string;
  readonly scans: readonly AttrScan[];
}

export async function analyseEnvContract(
  root: HclBlock,
  envBlocks: readonly HclBlock[],
  opts: EnvContractOptions,
): Promise<EnvContract> {
  return new Analysis(root, envBlocks, opts).run();
}

class Analysis {
  private readonly variables = new Map<string, HclBlock>();
  private readonly locals = new Map<string, HclAttribute>();
  private readonly data = new Map<string, HclBlock>();
  private readonly topNames = new Set<string>();
  private readonly nodes = new Map<string, GraphNode>();
  private readonly given: ReadonlySet<string>;

  constructor(
    private readonly root: HclBlock,
    private readonly envBlocks: readonly HclBlock[],
    private readonly opts: EnvContractOptions,
  ) {
    this.given = new Set(opts.vars);
    for (const block of root.blocks) {
      if (block.type === 'variable' && block.labels.length === 1) {
        if (!this.variables.has(block.labels[0]!)) this.variables.set(block.labels[0]!, block);
      } else if (block.type === 'locals') {
        for (const attr of block.attributes) this.locals.set(attr.name, attr);
      } else if (block.type === 'data' && block.labels.length === 2) {
        const id = `${block.labels[0]}.${block.labels[1]}`;
        if (!this.data.has(id)) this.data.set(id, block);
      } else if (!['variable', 'locals', 'data'].includes(block.type)) {
        // Top-level blocks are references too (schemahcl blockVars): env.<name>, lint, ...
        this.topNames.add(block.type);
      }
    }
  }

  async run(): Promise<EnvContract> {
    const file = this.opts.file;
    // Roots: each attribute of the selected env blocks and of the `atlas` block, whose values
    // reach the env; and of top-level lint/diff/test, evaluated for any env.
    const used: { via: string; scan: AttrScan }[] = [];
    const evaluatedOnly: AttrScan[] = [];
    for (const env of this.envBlocks) {
      const forEach = env.attributes.some((a) => a.name === 'for_each');
      const owner = this.envName(env);
      for (const { via, scan } of await this.scanBlock(env, ['env'], [], {
        where: 'env',
        each: forEach,
        owner,
      })) {
        used.push({ via, scan });
      }
    }
    for (const block of this.root.blocks.filter((b) => PROJECT_BLOCKS.has(b.type))) {
      const scans = await this.scanBlock(block, [block.type], [block.type], {
        where: 'config',
        each: false,
        owner: `the ${block.type} block`,
      });
      if (block.type === 'atlas') used.push(...scans);
      else evaluatedOnly.push(...scans.map((s) => s.scan));
    }
    for (const attr of this.root.attributes) {
      evaluatedOnly.push(await this.scanAttr(attr, this.scope(['', attr.name], 'config', false)));
    }

    // Everything Atlas evaluates: the roots, every local and variable, and what they refer to.
    const evaluated = new Set<string>();
    const pending: string[] = [
      ...[...this.locals.keys()].map((n) => `local.${n}`),
      ...[...this.variables.keys()].map((n) => `var.${n}`),
      ...[...used.map((u) => u.scan), ...evaluatedOnly].flatMap((s) => s.edges.map((e) => e.node)),
    ];
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (evaluated.has(id)) continue;
      evaluated.add(id);
      const node = await this.node(id);
      pending.push(...node.scans.flatMap((s) => s.edges.map((e) => e.node)));
    }

    const problems: FileProblem[] = [];
    const addProblems = (scans: readonly AttrScan[]): void => {
      for (const scan of scans) problems.push(...scan.problems);
    };
    addProblems(used.map((u) => u.scan));
    addProblems(evaluatedOnly);
    for (const id of sorted(evaluated)) addProblems((await this.node(id)).scans);

    // The getenvs whose value reaches a root attribute, or a data source that is read.
    const getenvs = new Map<string, { name: string; at: HclRef; via: Set<string> }>();
    const addGetenvs = (scan: AttrScan, via: string): void => {
      for (const read of scan.getenvs) {
        const at = this.ref(read.at);
        const key = `${at.line}:${at.column ?? 0}:${read.name}`;
        const entry = getenvs.get(key) ?? { name: read.name, at, via: new Set<string>() };
        entry.via.add(via);
        getenvs.set(key, entry);
      }
    };
    const reachedBy = new Map<string, Set<string>>();
    for (const { via, scan } of used) {
      addGetenvs(scan, via);
      for (const id of await this.reach(scan)) {
        const node = await this.node(id);
        if (id.startsWith('var.') && this.given.has(id.slice(4))) continue; // --var wins
        node.scans.forEach((s) => addGetenvs(s, via));
        reachedBy.set(id, (reachedBy.get(id) ?? new Set()).add(via));
      }
    }
    const runtimevars: RuntimevarSource[] = [];
    const unresolvedRuntimevars: UnresolvedRuntimevar[] = [];
    const externalPrograms: ExternalProgram[] = [];
    for (const id of sorted(evaluated).filter((i) => i.startsWith('data.'))) {
      const block = this.data.get(id.slice(5))!;
      const [type, label] = block.labels as [string, string];
      if (!reachedBy.has(id)) {
        // Read while evaluating an unused local: its inputs still decide whether the read works.
        (await this.node(id)).scans.forEach((s) => addGetenvs(s, id));
        for (const dep of await this.reachAll((await this.node(id)).scans)) {
          if (dep.startsWith('var.') && this.given.has(dep.slice(4))) continue;
          (await this.node(dep)).scans.forEach((s) => addGetenvs(s, id));
        }
      }
      if (type === 'runtimevar') {
        const read = await this.runtimevar(block, label);
        problems.push(...read.problems);
        if (read.source) runtimevars.push(read.source);
        if (read.unresolved) unresolvedRuntimevars.push(read.unresolved);
      } else if (PROGRAM_SOURCES.has(type)) {
        externalPrograms.push(await this.program(block, type, label));
      }
    }
    problems.push(...(await this.variableProblems(used)));

    const cloudDirectory = await this.cloudDirectory();
    const withoutUrl = this.envBlocks
      .filter((b) => !b.attributes.some((a) => a.name === 'url'))
      .map((b) => ({ file, line: b.line, column: b.column }));
    return {
      getenvs: [...getenvs.values()]
        .sort((a, b) => a.at.line - b.at.line || (a.at.column ?? 0) - (b.at.column ?? 0))
        .map((g) => ({ name: g.name, at: g.at, via: [...g.via].sort() })),
      runtimevars,
      ...(cloudDirectory ? { cloudDirectory } : {}),
      problems: dedupe(problems).sort(
        (a, b) =>
          (a.location.line ?? 0) - (b.location.line ?? 0) ||
          (a.location.column ?? 0) - (b.location.column ?? 0),
      ),
      ...(unresolvedRuntimevars.length > 0 ? { unresolvedRuntimevars } : {}),
      ...(externalPrograms.length > 0 ? { externalPrograms } : {}),
      ...(withoutUrl.length > 0 ? { withoutUrl } : {}),
    };
  }

  /** The nodes one root attribute's value depends on, transitively. */
  private async reach(scan: AttrScan): Promise<Set<string>> {
    return this.reachAll([scan]);
  }

  private async reachAll(scans: readonly AttrScan[]): Promise<Set<string>> {
    const seen = new Set<string>();
    const pending = scans.flatMap((s) => s.edges.map((e) => e.node));
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      pending.push(...(await this.node(id)).scans.flatMap((s) => s.edges.map((e) => e.node)));
    }
    return seen;
  }

  /** Reads a block's attributes and nested blocks; `via` is each attribute's path. */
  private async scanBlock(
    block: HclBlock,
    path: readonly string[],
    via: readonly string[],
    base: { where: Where; each: boolean; owner: string },
    blockNames?: ReadonlySet<string>,
  ): Promise<{ via: string; scan: AttrScan }[]> {
    // A top-level block also sees its own child blocks by type (schemahcl setLocalVars).
    const names = blockNames ?? new Set([...this.topNames, ...block.blocks.map((b) => b.type)]);
    const scans: { via: string; scan: AttrScan }[] = [];
    for (const attr of block.attributes) {
      // for_each itself is evaluated before each exists.
      const each = base.each && !(path.length === 1 && attr.name === 'for_each');
      const scope: Scope = {
        path: [...path, attr.name],
        where: base.where,
        each,
        blockNames: names,
        owner: base.owner,
      };
      scans.push({ via: [...via, attr.name].join('.'), scan: await this.scanAttr(attr, scope) });
    }
    for (const child of block.blocks) {
      scans.push(
        ...(await this.scanBlock(child, [...path, child.type], [...via, child.type], base, names)),
      );
    }
    return scans;
  }

  private scope(path: readonly string[], where: Where, each: boolean, owner = 'atlas.hcl'): Scope {
    return { path, where, each, blockNames: this.topNames, owner };
  }

  private async node(id: string): Promise<GraphNode> {
    const known = this.nodes.get(id);
    if (known) return known;
    let scans: AttrScan[] = [];
    if (id.startsWith('local.')) {
      const attr = this.locals.get(id.slice(6))!;
      const scope = this.scope(['locals', attr.name], 'config', false, 'the locals block');
      scans = [await this.scanAttr(attr, scope)];
    } else if (id.startsWith('data.')) {
      const block = this.data.get(id.slice(5))!;
      const owner = `data "${block.labels[0]}" "${block.labels[1]}"`;
      scans = (
        await this.scanBlock(block, ['data'], [], { where: 'config', each: false, owner })
      ).map((s) => s.scan);
    } else {
      const block = this.variables.get(id.slice(4))!;
      // Only what Atlas decodes; anything else is refused as such (variableProblems).
      const decoded = {
        ...block,
        blocks: [],
        attributes: block.attributes.filter((a) => VARIABLE_ATTRIBUTES.has(a.name)),
      };
      const owner = `variable "${block.labels[0]}"`;
      scans = (
        await this.scanBlock(decoded, ['variable'], [], { where: 'variable', each: false, owner })
      ).map((s) => s.scan);
    }
    const node = { id, scans };
    this.nodes.set(id, node);
    return node;
  }

  private async scanAttr(attr: HclAttribute, scope: Scope): Promise<AttrScan> {
    const facts = await readExpression(attr, this.opts.text);
    const problems: FileProblem[] = [];
    const getenvs: { name: string; at: SourcePosition }[] = [];
    for (const call of facts.calls) {
      if (!ATLAS_FUNCTIONS.has(call.name)) {
        problems.push(this.unknownFunction(call.name, call.text, call.at, scope));
      } else if (call.name === 'getenv' && call.literalArg !== undefined) {
        getenvs.push({ name: call.literalArg, at: call.at });
      }
    }
    const edges: { node: string; at: SourcePosition; text: string }[] = [];
    for (const reference of facts.references) {
      const resolved = this.resolve(reference, scope);
      if (resolved instanceof FileProblem) problems.push(resolved);
      else if (resolved !== undefined)
        edges.push({ node: resolved, at: reference.at, text: reference.text });
    }
    return { attr, facts, getenvs, edges, problems };
  }

  /** The node a reference reads, undefined when it needs none, or the problem Atlas stops on. */
  private resolve(ref: Reference, scope: Scope): string | FileProblem | undefined {
    const [root, first, second] = ref.segments;
    if (root === undefined) return undefined;
    if (root === 'atlas' || TYPE_NAMES.has(root)) return undefined;
    if (scope.where === 'variable' && ['var', 'local', 'data', 'each'].includes(root)) {
      return this.problem(
        ref.at,
        `the ${scope.path[scope.path.length - 1]} of ${scope.owner} refers to ${ref.text}, but Atlas evaluates variable blocks before any variable, local or data source exists, so it stops with 'Unknown variable; There is no variable named "${root}"'`,
        `give ${scope.owner} a literal default (or one computed with functions such as getenv), and refer to ${ref.text} where the variable is used instead`,
      );
    }
    switch (root) {
      case 'var':
        if (first === undefined) return undefined;
        if (this.variables.has(first)) return `var.${first}`;
        return this.undeclaredVariable(ref, first, scope);
      case 'local':
        if (first === undefined && this.locals.size > 0) return undefined;
        if (first !== undefined && this.locals.has(first)) return `local.${first}`;
        return this.undefinedLocal(ref, first, scope);
      case 'data': {
        if (first === undefined) return this.data.size > 0 ? undefined : this.undefinedData(ref);
        if (second === undefined) {
          const typed = [...this.data.keys()].some((k) => k.startsWith(`${first}.`));
          return typed ? undefined : this.undefinedData(ref, first);
        }
        return this.data.has(`${first}.${second}`)
          ? `data.${first}.${second}`
          : this.undefinedData(ref, first, second);
      }
      case 'each':
        if (!scope.each) return this.eachOutsideForEach(ref, scope);
        if (first === undefined || first === 'key' || first === 'value') return undefined;
        return this.problem(
          ref.at,
          `${ref.text} in ${scope.owner} is not defined: each has only each.key and each.value, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "${first}"'`,
          `use each.value (the for_each element) or each.key`,
        );
    }
    if (ref.segments.length === 1 && SCOPED_ENUMS[scope.path.join('.')]?.includes(root)) {
      return undefined;
    }
    if (scope.blockNames.has(root)) return undefined;
    return this.unknownVariable(ref, root, scope);
  }

  private unknownFunction(
    name: string,
    text: string,
    at: SourcePosition,
    scope: Scope,
  ): FileProblem {
    const closest = closestAtlasFunction(name);
    const call = text.length > 60 ? `${name}(...)` : text;
    const fix =
      closest === 'getenv'
        ? `write ${closest}${text.slice(name.length)}: getenv is Atlas's function for reading an environment variable`
        : closest !== undefined
          ? `write ${closest}${text.length > 60 ? '(...)' : text.slice(name.length)} (Atlas has ${closest}, not ${name})`
          : `use Atlas's HCL functions (getenv, file, fileset, format, join, split, replace, lower, upper, urlescape, urlqueryset, jsondecode, ...) or compute the value outside atlas.hcl and pass it with input 'vars'`;
    return this.problem(
      at,
      `${call} in ${scope.owner} calls ${name}, a function Atlas does not have, so Atlas stops with 'Call to unknown function; There is no function named "${name}"'`,
      fix,
    );
  }

  private unknownVariable(ref: Reference, root: string, scope: Scope): FileProblem {
    const wrap = (expr: string): string => (ref.inTemplate ? `\${${expr}}` : expr);
    const fix = ENV_LIKE.test(root)
      ? `write ${wrap(`getenv("${root}")`)} to read the environment variable ${root}, or declare variable "${root}" { type = string } and write ${wrap(`var.${root}`)}`
      : `declare variable "${root}" { type = string } and write ${wrap(`var.${root}`)}, or define ${root} in a locals { } block and write ${wrap(`local.${root}`)}`;
    const shown = ref.inTemplate ? `\${${ref.text}}` : ref.text;
    return this.problem(
      ref.at,
      `${shown} in ${scope.owner} refers to ${root}, which atlas.hcl does not define (Atlas knows var., local., data., atlas.env, and each. in a for_each env), so Atlas stops with 'Unknown variable; There is no variable named "${root}"'`,
      fix,
    );
  }

  private undeclaredVariable(ref: Reference, name: string, scope: Scope): FileProblem {
    const near = closestName(name, [...this.variables.keys()]);
    const declare = `declare variable "${name}" { type = string } with a default, or set by input 'vars'`;
    return this.problem(
      ref.at,
      `${ref.text} in ${scope.owner} refers to variable "${name}", which no variable block declares, so Atlas stops with 'Unsupported attribute; This object does not have an attribute named "${name}"'`,
      near !== undefined
        ? `write var.${near} (variable "${near}" on line ${this.variables.get(near)!.line}), or ${declare}`
        : declare,
    );
  }

  private undefinedLocal(ref: Reference, name: string | undefined, scope: Scope): FileProblem {
    const defined = [...this.locals.keys()];
    const atlasSays =
      defined.length === 0
        ? `'Unknown variable; There is no variable named "local"'`
        : `'Unsupported attribute; This object does not have an attribute named "${name}"'`;
    const near = name === undefined ? undefined : closestName(name, defined);
    const add = `add ${name ?? '<name>'} = ... to a locals { } block`;
    return this.problem(
      ref.at,
      `${ref.text} in ${scope.owner} refers to a local${name === undefined ? '' : ` "${name}"`} that no locals block defines, so Atlas stops with ${atlasSays}`,
      near !== undefined
        ? `write local.${near} (line ${this.locals.get(near)!.line}), or ${add}`
        : defined.length > 0
          ? `${add}, or use one of ${defined.map((d) => `local.${d}`).join(', ')}`
          : add,
    );
  }

  private undefinedData(ref: Reference, type?: string, label?: string): FileProblem {
    const sameType = [...this.data.entries()].filter(([k]) => type && k.startsWith(`${type}.`));
    const missing = label === undefined ? (type ?? '') : label;
    const atlasSays =
      this.data.size === 0
        ? `'Unknown variable; There is no variable named "data"'`
        : `'Unsupported attribute; This object does not have an attribute named "${missing}"'`;
    const block = `data "${type ?? '<type>'}" "${label ?? '<label>'}" { ... }`;
    return this.problem(
      ref.at,
      `${ref.text} refers to ${type === undefined ? 'a data source' : `data "${type}"${label === undefined ? '' : ` "${label}"`}`}, which atlas.hcl does not define, so Atlas stops with ${atlasSays}`,
      sameType.length > 0
        ? `add ${block} to atlas.hcl, or refer to ${sameType.map(([k, b]) => `data.${k} (line ${b.line})`).join(', ')}`
        : `add ${block} to atlas.hcl`,
    );
  }

  private eachOutsideForEach(ref: Reference, scope: Scope): FileProblem {
    const inEnv =
      scope.where === 'env' && !(scope.path.length === 2 && scope.path[1] === 'for_each');
    return this.problem(
      ref.at,
      `${ref.text} in ${scope.owner} is only defined inside an env block with for_each${inEnv ? `, and ${scope.owner} has none` : ''}, so Atlas stops with 'Unknown variable; There is no variable named "each"'`,
      inEnv
        ? `add for_each = [...] to ${scope.owner}, or replace ${ref.text} with the value`
        : `replace ${ref.text} with the value, or move the expression into the for_each env block`,
    );
  }

  /** Variables with no value, and variables Atlas cannot decode. */
  private async variableProblems(
    used: readonly { via: string; scan: AttrScan }[],
  ): Promise<FileProblem[]> {
    const problems: FileProblem[] = [];
    const envUses = new Map<string, SourcePosition>();
    for (const { scan } of used) {
      for (const edge of scan.edges) {
        if (!edge.node.startsWith('var.') || envUses.has(edge.node)) continue;
        envUses.set(edge.node, edge.at);
      }
      for (const id of await this.reach(scan)) {
        for (const s of (await this.node(id)).scans) {
          for (const edge of s.edges) {
            if (edge.node.startsWith('var.') && !envUses.has(edge.node)) {
              envUses.set(edge.node, edge.at);
            }
          }
        }
      }
    }
    const envs = this.envBlocks.map((b) => this.envName(b));
    const envName = envs.length > 0 ? [...new Set(envs)].join(', ') : 'the env';
    for (const [name, block] of this.variables) {
      const at = { file: this.opts.file, line: block.line, column: block.column };
      if (!block.attributes.some((a) => a.name === 'type')) {
        problems.push(
          new FileProblem(
            at,
            `variable "${name}" has no type, so Atlas stops with 'Missing required argument; The argument "type" is required'`,
            `add type = string (or number, bool, list(string), ...) to variable "${name}"`,
          ),
        );
      }
      // Atlas decodes a variable block into type, default and description only (schemahcl
      // blockVar), and HCL refuses anything else: Terraform's sensitive, nullable, validation.
      for (const extra of [
        ...block.attributes.filter((a) => !VARIABLE_ATTRIBUTES.has(a.name)),
        ...block.blocks,
      ]) {
        const isBlock = 'blocks' in extra;
        problems.push(
          new FileProblem(
            { file: this.opts.file, line: extra.line, column: extra.column },
            `variable "${name}" has ${isBlock ? `a ${extra.type} block` : `a ${extra.name} attribute`}, which Atlas's variable blocks do not have (only type, default and description), so Atlas stops with '${isBlock ? `Unsupported block type; Blocks of type "${extra.type}" are not expected here` : `Unsupported argument; An argument named "${extra.name}" is not expected here`}'`,
            `remove ${isBlock ? `the ${extra.type} block` : extra.name} from variable "${name}"`,
          ),
        );
      }
      if (block.attributes.some((a) => a.name === 'default') || this.given.has(name)) continue;
      const use = envUses.get(`var.${name}`);
      const problem =
        use !== undefined
          ? `variable "${name}" has no default and input 'vars' does not set it, so Atlas stops with 'missing value for required variable "${name}"' before it runs anything (${envName} uses it on line ${use.line})`
          : `variable "${name}" has no default and input 'vars' does not set it; Atlas needs a value for every variable atlas.hcl declares, even one ${envName} does not use, and stops with 'missing value for required variable "${name}"'`;
      problems.push(
        new FileProblem(
          at,
          problem,
          `add a default to variable "${name}" (default = ...), or set input 'vars' to ${name}=<value>`,
        ),
      );
    }
    return problems;
  }

  private async runtimevar(
    block: HclBlock,
    label: string,
  ): Promise<{
    source?: RuntimevarSource;
    unresolved?: UnresolvedRuntimevar;
    problems: FileProblem[];
  }> {
    const urlAttr = block.attributes.find((a) => a.name === 'url');
    const what = `data "runtimevar" "${label}"`;
    if (urlAttr === undefined) {
      return {
        problems: [
          new FileProblem(
            { file: this.opts.file, line: block.line, column: block.column },
            `${what} has no url, so Atlas stops with 'Missing required argument; The argument "url" is required'`,
            `set url = "awssecretsmanager://<secret name>?region=<region>" (or awsparamstore://<parameter name>?region=<region>&decoder=string)`,
          ),
        ],
      };
    }
    const at = this.attrRef(urlAttr);
    const scan = (await this.node(`data.runtimevar.${label}`)).scans.find(
      (s) => s.attr === urlAttr,
    );
    const url = scan?.facts.ast ? this.staticString(scan.facts.ast, 0) : undefined;
    if (url === undefined) {
      const prefix = scan?.facts.ast ? literalPrefix(scan.facts.ast) : undefined;
      const scheme =
        prefix === undefined ? undefined : /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(prefix)?.[1];
      return {
        unresolved: {
          label,
          expression: urlAttr.expression,
          ...(scheme ? { scheme: scheme.toLowerCase() } : {}),
          at,
        },
        problems: [],
      };
    }
    const parsed = parseRuntimevarUrl(url);
    if (parsed === undefined) {
      return {
        problems: [
          new FileProblem(
            at,
            `${what} has url "${url}", which names no driver (no scheme://), so Atlas cannot open the variable`,
            `write url = "awssecretsmanager://${url}?region=<region>" for a Secrets Manager secret, or "awsparamstore://${url}?region=<region>&decoder=string" for an SSM parameter`,
          ),
        ],
      };
    }
    const problems: FileProblem[] = [];
    if (parsed.invalid !== undefined) {
      const isArn = parsed.name.startsWith('arn:');
      const kind = parsed.scheme === 'awsparamstore' ? 'parameter' : 'secret';
      problems.push(
        new FileProblem(
          at,
          `${what} has url "${url}", which ${isArn ? `names the ${kind} by its ARN, and ` : ''}${parsed.invalid}, so Atlas stops with 'data.runtimevar.${label}: parsing url: ...'`,
          isArn
            ? `name the ${kind} by its name: url = "${parsed.scheme}://<${kind} name>${parsed.region ? `?region=${parsed.region}` : '?region=<region>'}"`
            : `write the url as ${parsed.scheme}://<name>?region=<region>`,
        ),
      );
    }
    if (parsed.decoder !== undefined && parsed.decoder !== 'string') {
      problems.push(
        new FileProblem(
          at,
          `${what} has url "${url}" with decoder=${parsed.decoder}, which Atlas refuses ('unsupported decoder: "${parsed.decoder}"'): it reads a runtimevar as a string only`,
          `remove decoder=${parsed.decoder} (or write decoder=string) and decode the value in atlas.hcl, e.g. jsondecode(data.runtimevar.${label}).password`,
        ),
      );
    }
    return {
      source: {
        label,
        url,
        scheme: parsed.scheme,
        name: parsed.name,
        ...(parsed.region ? { region: parsed.region } : {}),
        at,
      },
      problems,
    };
  }

  private async program(block: HclBlock, type: string, label: string): Promise<ExternalProgram> {
    const attr = block.attributes.find((a) => a.name === 'program');
    const scan = (await this.node(`data.${type}.${label}`)).scans.find((s) => s.attr === attr);
    const ast = scan?.facts.ast;
    let program: string[] | undefined;
    if (ast?.type === 'tuple') {
      const items = ((ast.children ?? []) as ExpressionNode[]).map(literalString);
      if (items.every((i): i is string => i !== undefined)) program = items;
    }
    return {
      type,
      label,
      ...(program ? { program } : {}),
      at: { file: this.opts.file, line: block.line, column: block.column },
    };
  }

  /** The first selected env's Atlas Cloud directory, if its migration dir is one. */
  private async cloudDirectory(): Promise<CloudDirectory | undefined> {
    for (const env of this.envBlocks) {
      const migration = env.blocks.find((b) => b.type === 'migration');
      const dir = migration?.attributes.find((a) => a.name === 'dir');
      if (dir === undefined) continue;
      const facts = await readExpression(dir, this.opts.text);
      if (facts.ast === undefined) continue;
      const at = this.attrRef(dir);
      const remote = this.remoteDirOf(facts.ast, 0);
      if (remote !== undefined) {
        const block = this.data.get(`remote_dir.${remote}`)!;
        const name = await this.blockString(block, 'name');
        const tag = await this.blockString(block, 'tag');
        return { kind: 'remote_dir', name: name ?? remote, ...(tag ? { tag } : {}), at };
      }
      const value = this.staticString(facts.ast, 0);
      const text = value ?? literalPrefix(facts.ast);
      if (text === undefined || !/^atlas:\/\//i.test(text)) continue;
      if (value === undefined) return { kind: 'atlas-url', name: dir.expression, at };
      const rest = value.slice('atlas://'.length);
      const queryAt = rest.indexOf('?');
      const name = queryAt === -1 ? rest : rest.slice(0, queryAt);
      const tag = new URLSearchParams(queryAt === -1 ? '' : rest.slice(queryAt + 1)).get('tag');
      return { kind: 'atlas-url', name: decodeSafe(name), ...(tag ? { tag } : {}), at };
    }
    return undefined;
  }

  /** The label of the `data "remote_dir"` an expression reads, through templates and locals. */
  private remoteDirOf(node: ExpressionNode, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const children = (node.children ?? []) as ExpressionNode[];
    if (node.type === 'templateWrap' && children.length === 1) {
      return this.remoteDirOf(children[0]!, depth + 1);
    }
    if (node.type !== 'scopeTraversal') return undefined;
    const parts = node.meta.traversal.map((p) => p.segment);
    if (parts[0] === 'data' && parts[1] === 'remote_dir' && parts[2] !== undefined) {
      return this.data.has(`remote_dir.${parts[2]}`) ? parts[2] : undefined;
    }
    if (parts[0] === 'local' && parts.length === 2 && this.locals.has(parts[1]!)) {
      const local = this.nodes.get(`local.${parts[1]}`)?.scans[0]?.facts.ast;
      return local === undefined ? undefined : this.remoteDirOf(local, depth + 1);
    }
    return undefined;
  }

  private async blockString(block: HclBlock, name: string): Promise<string | undefined> {
    const attr = block.attributes.find((a) => a.name === name);
    if (attr === undefined) return undefined;
    const facts = await readExpression(attr, this.opts.text);
    return facts.ast === undefined ? undefined : this.staticString(facts.ast, 0);
  }

  /**
   * The string an expression evaluates to when no run-time input decides it: literals, and
   * templates of literals, locals and variables with a literal default that 'vars' does not set.
   */
  private staticString(node: ExpressionNode, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const literal = literalString(node);
    if (literal !== undefined) return literal;
    const children = (node.children ?? []) as ExpressionNode[];
    switch (node.type) {
      case 'literalValue':
        return node.meta.type === 'number' ? node.meta.value : undefined;
      case 'template':
      case 'templateWrap': {
        let value = '';
        for (const child of children) {
          const part = this.staticString(child, depth + 1);
          if (part === undefined) return undefined;
          value += part;
        }
        return value;
      }
      case 'scopeTraversal': {
        const parts = node.meta.traversal;
        if (parts.length !== 2 || parts.some((p) => p.type !== 'nameTraversal')) return undefined;
        const [rootName, name] = [parts[0]!.segment, parts[1]!.segment];
        let target: HclAttribute | undefined;
        if (rootName === 'var' && !this.given.has(name)) {
          target = this.variables.get(name)?.attributes.find((a) => a.name === 'default');
        } else if (rootName === 'local') {
          target = this.locals.get(name);
        }
        if (target === undefined) return undefined;
        const scan = this.scannedAttr(target);
        return scan?.facts.ast ? this.staticString(scan.facts.ast, depth + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  private scannedAttr(attr: HclAttribute): AttrScan | undefined {
    for (const node of this.nodes.values()) {
      const scan = node.scans.find((s) => s.attr === attr);
      if (scan) return scan;
    }
    return undefined;
  }

  private envName(block: HclBlock): string {
    if (block.labels.length === 1) return `env "${block.labels[0]}"`;
    return this.opts.env !== undefined
      ? `env "${this.opts.env}" (the env block on line ${block.line})`
      : `the env block on line ${block.line}`;
  }

  private ref(at: SourcePosition): HclRef {
    return { file: this.opts.file, ...at };
  }

  private attrRef(attr: HclAttribute): HclRef {
    return { file: this.opts.file, line: attr.line, column: attr.column };
  }

  private problem(at: SourcePosition, problem: string, fix: string): FileProblem {
    const location: FileLocation = { file: this.opts.file, ...at };
    return new FileProblem(location, problem, fix);
  }
}

/** The literal text an expression starts with (`"atlas://${var.x}"` gives `atlas://`). */
function literalPrefix(node: ExpressionNode): string | undefined {
  if (node.type !== 'template') return undefined;
  const first = ((node.children ?? []) as ExpressionNode[])[0];
  return first?.type === 'literalValue' && first.meta.type === 'string'
    ? first.meta.value
    : undefined;
}

function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === name.toLowerCase()) return candidate;
    const distance = editDistance(name, candidate);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

function dedupe(problems: readonly FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    if (seen.has(p.message)) return false;
    seen.add(p.message);
    return true;
  });
}
