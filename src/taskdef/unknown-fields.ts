// Fields the bundled SDK's model does not know. @aws-sdk/client-ecs 3.x serialises a request from
// its schema (@smithy/core's JsonShapeSerializer2 writes the modelled members of a structure and
// nothing else) and reads an answer the same way, so a field newer than the bundled model is
// dropped without a word, both ways. This module finds what one JSON value lacks of another, at
// any depth, and adds it back: the request as the SDK serialised it gets back what the task
// definition held (src/aws/carry-fields.ts), and the SDK's reading of an answer gets back what ECS
// sent (src/aws/raw-json.ts). Hand-written because the SDK has no pass-through for unmodelled
// members of a structure (only a union's `$unknown`), and no library diffs two JSON trees this way.
//
// Pure. `null` means absent here as everywhere (the SDK leaves out null members and null list
// elements), so a null in the source is never carried.
import { describeValue, isObject } from './json';
import type { JsonObject, JsonValue } from './types';

/** Where a field sits: keys and array indices from the root, e.g. ['containerDefinitions', 0, 'x']. */
export type FieldPath = readonly (string | number)[];

/** A field the two values hold in shapes that cannot be merged (a list in one, an object in the other). */
export interface UncarriedField {
  readonly path: FieldPath;
  /** What the source holds there: `an array`, `an object`… */
  readonly source: string;
  /** What the target holds there instead. */
  readonly target: string;
}

export interface MergedMembers {
  /** The target with the source's missing members added (a copy; the inputs are untouched). */
  readonly value: JsonValue;
  /** Every member added, in the order the source holds them. */
  readonly added: readonly FieldPath[];
  /** Source fields that could not be added because the target holds something else there. */
  readonly uncarried: readonly UncarriedField[];
}

/**
 * `target` plus every member of `source` it lacks, at every depth: objects are merged key by key,
 * arrays element by element (the source's null elements left out first, as the SDK does, so the
 * indices line up with what it wrote). Where both hold a value the target's is kept.
 */
export function addMissingMembers(target: JsonValue, source: JsonValue): MergedMembers {
  const added: FieldPath[] = [];
  const uncarried: UncarriedField[] = [];
  const value = merge(target, source, [], added, uncarried);
  return { value, added, uncarried };
}

function merge(
  target: JsonValue,
  source: JsonValue,
  path: FieldPath,
  added: FieldPath[],
  uncarried: UncarriedField[],
): JsonValue {
  if (isObject(source)) {
    if (!isObject(target)) {
      uncarried.push({ path, source: describeValue(source), target: describeValue(target) });
      return target;
    }
    const out = copyMembers(target);
    for (const key of Object.keys(source)) {
      const member = source[key];
      if (member === null || member === undefined) continue;
      const here = [...path, key];
      if (Object.hasOwn(target, key) && target[key] !== undefined) {
        setMember(out, key, merge(target[key] as JsonValue, member, here, added, uncarried));
      } else {
        setMember(out, key, withoutNulls(member));
        added.push(here);
      }
    }
    return out;
  }
  if (Array.isArray(source)) {
    const items = source.filter((item) => item !== null && item !== undefined);
    if (!Array.isArray(target)) {
      uncarried.push({ path, source: describeValue(source), target: describeValue(target) });
      return target;
    }
    if (target.length !== items.length) {
      // Elements cannot be paired: only primitives (nothing inside to carry) may differ in number.
      if (items.some((item) => typeof item === 'object')) {
        uncarried.push({
          path,
          source: `${items.length} element(s)`,
          target: `${target.length} element(s)`,
        });
      }
      return target;
    }
    return target.map((item, index) =>
      merge(item, items[index] as JsonValue, [...path, index], added, uncarried),
    );
  }
  return target;
}

/** A copy of `value` without null members or null elements, at every depth. */
export function withoutNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    return value.filter((item) => item !== null).map((item) => withoutNulls(item));
  }
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (member !== null && member !== undefined) setMember(out, key, withoutNulls(member));
    }
    return out;
  }
  return value;
}

function copyMembers(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(value)) setMember(out, key, value[key]);
  return out;
}

/**
 * Sets an own, enumerable member: plain assignment of "__proto__" would change the object's
 * prototype instead of adding the member JSON.parse made (and ECS would then judge).
 */
function setMember(object: JsonObject, key: string, value: JsonValue | undefined): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `containerDefinitions[0].linuxParameters.x`; a key that is not an identifier as `["a.b"]`. */
export function formatFieldPath(path: FieldPath): string {
  if (path.length === 0) return '(the whole value)';
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (!IDENTIFIER.test(segment)) return `[${JSON.stringify(segment)}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join('');
}

/** The value at `path`, or undefined. */
export function valueAt(root: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let value: JsonValue | undefined = root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      value = Array.isArray(value) ? value[segment] : undefined;
    } else {
      value = isObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}
