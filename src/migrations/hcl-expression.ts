// What one attribute expression of atlas.hcl calls and refers to, read from HashiCorp's
// expression syntax tree (through getExpressionAst), with file positions.
import { getExpressionAst } from '../util/hcl2json';
import type { HclAttribute } from './hcl-outline';

export type ExpressionNode = NonNullable<Awaited<ReturnType<typeof getExpressionAst>>>;

/** A 1-based position in atlas.hcl; the column is absent when the file text was not given. */
export interface SourcePosition {
  readonly line: number;
  readonly column?: number;
}

export interface FunctionCall {
  readonly name: string;
  /** The call's source text. */
  readonly text: string;
  /** The first argument when it is a literal string (`getenv("NAME")`). */
  readonly literalArg?: string;
  readonly at: SourcePosition;
}

/** A variable reference whose root is not bound by an enclosing `for` expression. */
export interface Reference {
  /** Its name segments: `var.x[0]` is ['var', 'x']; an index by a literal string is a name. */
  readonly segments: readonly string[];
  readonly text: string;
  /** Inside a `"...${}..."` template or heredoc. */
  readonly inTemplate: boolean;
  readonly at: SourcePosition;
}

export interface ExpressionFacts {
  /** Undefined when the parser could not read the expression on its own. */
  readonly ast?: ExpressionNode;
  readonly calls: readonly FunctionCall[];
  readonly references: readonly Reference[];
}

/**
 * Parses `attr`'s expression. `text` (the whole file) places columns exactly; without it only
 * positions past the expression's first line have one.
 */
export async function readExpression(attr: HclAttribute, text?: string): Promise<ExpressionFacts> {
  // The outline drops the newline after a heredoc's closing marker, which the parser needs.
  const source = attr.expression.startsWith('<<') ? `${attr.expression}\n` : attr.expression;
  let ast: ExpressionNode | null;
  try {
    ast = await getExpressionAst('atlas.hcl', source);
  } catch {
    // The whole file parsed; an expression the parser will not take alone is left to Atlas.
    return { calls: [], references: [] };
  }
  if (ast === null) return { calls: [], references: [] };
  const locate = locator(attr, source, text);
  const calls: FunctionCall[] = [];
  const references: Reference[] = [];
  const visit = (node: ExpressionNode, bound: ReadonlySet<string>, inTemplate: boolean): void => {
    const children = (node.children ?? []) as ExpressionNode[];
    switch (node.type) {
      case 'function': {
        const literalArg = children[0] === undefined ? undefined : literalString(children[0]);
        calls.push({
          name: node.meta.name,
          text: node.meta.value,
          ...(literalArg === undefined ? {} : { literalArg }),
          at: locate(node.meta.nameRange?.start.byte ?? node.range?.start.byte ?? 0),
        });
        break;
      }
      case 'scopeTraversal': {
        const parts = node.meta.traversal;
        if (parts.length > 0 && !bound.has(parts[0]!.segment)) {
          const segments: string[] = [];
          for (const part of parts) {
            const name = part.type === 'nameTraversal' ? part.segment : quotedKey(part.segment);
            if (name === undefined) break;
            segments.push(name);
          }
          references.push({
            segments,
            text: node.meta.value,
            inTemplate,
            at: locate(node.range?.start.byte ?? 0),
          });
        }
        return;
      }
      case 'for': {
        // The collection is evaluated outside the loop; the rest sees the loop's symbols.
        const inner = new Set(bound);
        if (node.meta.keyVar) inner.add(node.meta.keyVar);
        if (node.meta.valVar) inner.add(node.meta.valVar);
        children.forEach((child, i) => visit(child, i === 0 ? bound : inner, inTemplate));
        return;
      }
      case 'template':
      case 'templateWrap':
        children.forEach((child) => visit(child, bound, true));
        return;
    }
    children.forEach((child) => visit(child, bound, inTemplate));
  };
  visit(ast, new Set(), false);
  return { ast, calls, references };
}

/** The value of a string literal node (`"NAME"`), or undefined. */
export function literalString(node: ExpressionNode): string | undefined {
  if (node.type === 'literalValue') {
    return node.meta.type === 'string' ? node.meta.value : undefined;
  }
  if (node.type !== 'template') return undefined;
  let value = '';
  for (const child of (node.children ?? []) as ExpressionNode[]) {
    if (child.type !== 'literalValue' || child.meta.type !== 'string') return undefined;
    value += child.meta.value;
  }
  return value;
}

/** `["name"]` in a traversal is the attribute `name`; other indexes end the name segments. */
function quotedKey(segment: string): string | undefined {
  const match = /^"([^"\\]*)"$/.exec(segment);
  return match?.[1];
}

/** Maps a UTF-8 byte offset inside the expression to its line and column in the file. */
function locator(
  attr: HclAttribute,
  source: string,
  text: string | undefined,
): (byte: number) => SourcePosition {
  const bytes = Buffer.from(source, 'utf8');
  const startColumn = text === undefined ? undefined : expressionColumn(attr, text);
  return (byte) => {
    const before = bytes.subarray(0, Math.max(0, Math.min(byte, bytes.length))).toString('utf8');
    const lines = before.split('\n');
    const last = [...lines[lines.length - 1]!].length;
    const line = attr.line + lines.length - 1;
    if (lines.length > 1) return { line, column: last + 1 };
    return startColumn === undefined ? { line } : { line, column: startColumn + last };
  };
}

/** The 1-based column where `attr`'s expression starts: after its name, blanks, `=`, blanks. */
function expressionColumn(attr: HclAttribute, text: string): number | undefined {
  let lineStart = 0;
  for (let line = 1; line < attr.line; line++) {
    const newline = text.indexOf('\n', lineStart);
    if (newline === -1) return undefined;
    lineStart = newline + 1;
  }
  const lineEnd = text.indexOf('\n', lineStart);
  const chars = [...text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd)];
  let i = attr.column - 1 + [...attr.name].length;
  while (chars[i] === ' ' || chars[i] === '\t') i++;
  if (chars[i] !== '=') return undefined;
  i++;
  while (chars[i] === ' ' || chars[i] === '\t') i++;
  return i + 1;
}
