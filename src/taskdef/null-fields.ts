// `null` in a task-definition file means "absent", as everyone else reads it: the AWS SDK v3
// serialiser leaves out null members, null map values and null list elements (checked against the
// bundled @aws-sdk/client-ecs: `"command": ["a", null, "b"]` goes out as `["a", "b"]`), and
// aws-actions/amazon-ecs-deploy-task-definition removes them before registering. Files exported
// by older tools (`ecs-cli`, describe output piped through jq, Terraform's jsonencode) are full of
// them. So they are dropped here, at any depth, null array elements included (exactly what the SDK
// would have sent ECS), and each one is recorded so the run can say what it left out.
import { formatLocation, type FileLocation } from '../errors';
import type { JsonPath } from './check-shape';
import { isObject } from './json';
import type { JsonValue } from './types';

/** A null a file held, dropped. */
export interface DroppedNull {
  /** As messages write paths: `taskDefinition.containerDefinitions[0].command`. */
  readonly path: string;
  readonly location: FileLocation;
}

/**
 * The one warning a run gives for the nulls dropped from `file`: every path, with its line and
 * column, so the user can see nothing they meant was lost. Undefined when nothing was dropped.
 */
export function droppedNullsWarning(
  file: string,
  dropped: readonly DroppedNull[],
): string | undefined {
  if (dropped.length === 0) return undefined;
  const where = dropped.map(({ path, location }) => {
    const at = formatLocation({ ...location, file: '' }).slice(1);
    return at === '' ? path : `${path} (${at})`;
  });
  const count = dropped.length === 1 ? 'a null field' : `${dropped.length} null fields`;
  return `${file}: dropped ${count}, since null means absent to ECS and the AWS SDK (as aws-actions/amazon-ecs-deploy-task-definition reads it too): ${where.join(', ')}`;
}

export interface DroppedNulls {
  /** Where each null was, as paths into the file as written (array indices before dropping). */
  readonly paths: readonly JsonPath[];
  /**
   * The path, in the file as written, of the value at `path` once the nulls are dropped: the
   * two differ where an array lost an element before it.
   */
  originalPath(path: JsonPath): JsonPath;
}

/**
 * Removes every null member and every null array element from `root`, which must be a value
 * JSON.parse just made (it is changed in place, which keeps own `__proto__` keys as JSON.parse
 * made them). The root itself is never dropped: a file that is only `null` is refused later.
 * Iterative, so nesting as deep as JSON.parse accepts cannot overflow the stack.
 */
export function dropNulls(root: JsonValue): DroppedNulls {
  const paths: JsonPath[] = [];
  /** For each array that lost elements, the original index of each element kept. */
  const kept = new Map<JsonValue[], number[]>();
  // Depth first, children pushed in reverse so they come off in file order; a dropped null stays
  // on the stack as a marker so the paths come out in the order a reader meets them. Paths are
  // parent links, spelt out only for a null, so deep nesting stays linear.
  const pending: Step[] = [{ value: root }];

  for (let step = pending.pop(); step !== undefined; step = pending.pop()) {
    const { value } = step;
    if (value === null) {
      if (step.parent) paths.push(pathOf(step));
      continue;
    }
    const children: Step[] = [];
    if (Array.isArray(value)) {
      const indices: number[] = [];
      value.forEach((item, index) => {
        children.push({ value: item, parent: step, segment: index });
        if (item !== null) indices.push(index);
      });
      if (indices.length < value.length) {
        kept.set(value, indices);
        // Compacted in place: a spread of a long array into splice() would overflow the stack.
        indices.forEach((from, to) => (value[to] = value[from]!));
        value.length = indices.length;
      }
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        const member = value[key];
        if (member === undefined) continue;
        children.push({ value: member, parent: step, segment: key });
        if (member === null) delete value[key];
      }
    }
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }

  return {
    paths,
    originalPath(path: JsonPath): JsonPath {
      if (kept.size === 0) return path;
      // Walks the value as it now is, translating indices where its array lost elements.
      let at: JsonValue | undefined = root;
      return path.map((segment) => {
        const here = at;
        if (Array.isArray(here) && typeof segment === 'number') {
          at = here[segment];
          return kept.get(here)?.[segment] ?? segment;
        }
        at = isObject(here) ? here[String(segment)] : undefined;
        return segment;
      });
    },
  };
}

interface Step {
  readonly value: JsonValue;
  readonly parent?: Step;
  readonly segment?: string | number;
}

function pathOf(step: Step): JsonPath {
  const path: (string | number)[] = [];
  for (let at: Step | undefined = step; at?.parent; at = at.parent) path.push(at.segment!);
  return path.reverse();
}
