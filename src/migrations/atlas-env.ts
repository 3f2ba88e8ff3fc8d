// Which `env` blocks of atlas.hcl `atlas migrate apply --env <name>` uses, by Atlas's rules
// (cmd/atlas/internal/cmdapi/project.go, partialParse).
import { getExpressionAst } from '../util/hcl2json';
import type { HclBlock } from './hcl-outline';

type ExpressionNode = NonNullable<Awaited<ReturnType<typeof getExpressionAst>>>;

export interface EnvSelection {
  /** The blocks Atlas runs with; several when the name is defined more than once. */
  readonly selected: readonly HclBlock[];
  /** Names of the labeled env blocks, for the message when none matches. */
  readonly namesPresent: readonly string[];
  /** Unlabeled env blocks Atlas drops because their `name` does not use `atlas.env`. */
  readonly ignoredUnlabeled: readonly HclBlock[];
}

/**
 * Blocks labeled with exactly the env name win. Only when there is none, Atlas uses the unlabeled
 * blocks whose `name` expression refers to `atlas.env` (the value of --env), which thereby match
 * any env name. Other unlabeled blocks, and blocks with two or more labels, are dropped.
 */
export async function selectEnvBlocks(root: HclBlock, env: string): Promise<EnvSelection> {
  const envBlocks = root.blocks.filter((b) => b.type === 'env');
  const labeled = envBlocks.filter((b) => b.labels.length === 1 && b.labels[0] === env);
  const dynamic: HclBlock[] = [];
  const ignoredUnlabeled: HclBlock[] = [];
  for (const block of envBlocks.filter((b) => b.labels.length === 0)) {
    const name = block.attributes.find((a) => a.name === 'name');
    if (name !== undefined && (await usesAtlasEnv(name.expression))) dynamic.push(block);
    else ignoredUnlabeled.push(block);
  }
  const namesPresent = [
    ...new Set(envBlocks.filter((b) => b.labels.length === 1).map((b) => b.labels[0]!)),
  ];
  return {
    selected: labeled.length > 0 ? labeled : dynamic,
    namesPresent,
    ignoredUnlabeled,
  };
}

async function usesAtlasEnv(expression: string): Promise<boolean> {
  try {
    const ast = await getExpressionAst('atlas.hcl', expression);
    return ast !== null && usesTraversal(ast);
  } catch {
    // The whole file parsed, so this is out of reach; an expression we cannot read is no match.
    return false;
  }
}

/** Mirrors Atlas's schemahcl.UseTraversal for the traversal `atlas.env`. */
function usesTraversal(node: ExpressionNode): boolean {
  switch (node.type) {
    case 'templateWrap':
    case 'template':
    case 'conditional':
    case 'function':
      return node.children.some(usesTraversal);
    case 'scopeTraversal': {
      const parts = node.meta.traversal;
      return (
        parts.length === 2 &&
        parts.every((p) => p.type === 'nameTraversal') &&
        parts[0]!.segment === 'atlas' &&
        parts[1]!.segment === 'env'
      );
    }
    default:
      return false;
  }
}
