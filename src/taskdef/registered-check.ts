// After RegisterTaskDefinition: does the revision ECS answered with hold every field that was sent?
// A field can be lost on the way (the SDK's serialiser dropped it and it could not be carried, or
// ECS ignored a member it does not know), and a service updated to such a revision runs without
// it. ECS adds defaults (`essential`, `cpu: 0`, `protocol: "tcp"`, `mountPoints: []`…) and read-only
// fields, so only what was sent is checked: each sent field must be there with an equal value, where
// equal allows for what the API reference says ECS rewrites:
// - task-level `cpu` and `memory` may be sent as "1 vCPU" / "1 GB" and come back as "1024" ("String
//   values are converted to an integer indicating the CPU units/MiB when the task definition is
//   registered"), and either may be a number or a numeric string;
// - any number may come back as the same number in a string, and the other way round;
// - `taskRoleArn` takes "the short name or full ARN of the IAM role": a name matches the role's ARN;
// - an empty value ("", [], {}) may come back absent: ECS leaves some empty members out;
// - list elements may come back in another order (each sent element must match one that came back),
//   and so may the strings of a list that is a set (requiresCompatibilities, capabilities…); other
//   lists of strings or numbers (a command) are compared in order.
//
// Pure.
import { isObject } from './json';
import { formatFieldPath, type FieldPath } from './unknown-fields';
import type { JsonObject, JsonValue } from './types';

export interface LostField {
  readonly path: FieldPath;
  /** What was sent there. */
  readonly sent: JsonValue;
  /** What the revision holds there instead; undefined when it holds nothing. */
  readonly registered: JsonValue | undefined;
}

/**
 * The fields of `sent` that `registered` does not hold with an equal value, deepest paths first
 * within each field (a lost member of a container is named, not the whole container).
 */
export function lostInRegistration(sent: JsonObject, registered: JsonObject): LostField[] {
  const lost: LostField[] = [];
  compare(sent, registered, [], lost);
  return lost;
}

/** `containerDefinitions[0].x (sent "a", the revision has none)`, one per field, for messages. */
export function describeLostField(field: LostField): string {
  const sent = preview(field.sent);
  return field.registered === undefined
    ? `${formatFieldPath(field.path)} (sent ${sent}; the revision has none)`
    : `${formatFieldPath(field.path)} (sent ${sent}; the revision has ${preview(field.registered)})`;
}

function preview(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function compare(
  sent: JsonValue | undefined,
  registered: JsonValue | undefined,
  path: FieldPath,
  lost: LostField[],
): void {
  if (sent === null || sent === undefined) return;
  if (registered === null || registered === undefined) {
    if (!isEmpty(sent)) lost.push({ path, sent, registered: undefined });
    return;
  }
  if (isObject(sent)) {
    if (!isObject(registered)) {
      lost.push({ path, sent, registered });
      return;
    }
    for (const key of Object.keys(sent)) {
      const own = Object.hasOwn(registered, key) ? registered[key] : undefined;
      compare(sent[key], own, [...path, key], lost);
    }
    return;
  }
  if (Array.isArray(sent)) {
    if (!Array.isArray(registered)) {
      lost.push({ path, sent, registered });
      return;
    }
    compareList(sent, registered, path, lost);
    return;
  }
  if (!samePrimitive(sent, registered, path)) lost.push({ path, sent, registered });
}

function compareList(
  sent: readonly JsonValue[],
  registered: readonly JsonValue[],
  path: FieldPath,
  lost: LostField[],
): void {
  const items = sent.filter((item) => item !== null);
  const answered = registered.filter((item) => item !== null);
  if (items.length === 0) return;
  if (items.every((item) => typeof item !== 'object')) {
    // A list of strings or numbers (a command, an entry point) is one value: order and count count.
    const set = SET_LISTS.has(String(path[path.length - 1]));
    const [mine, theirs] = set ? [sorted(items), sorted(answered)] : [items, answered];
    const equal =
      mine.length === theirs.length &&
      mine.every((item, index) => samePrimitive(item, theirs[index]!, path));
    if (!equal) lost.push({ path, sent: items, registered: answered });
    return;
  }
  items.forEach((item, index) => {
    const here = [...path, index];
    if (holds(item, answered[index], here)) return;
    if (answered.some((candidate) => holds(item, candidate, here))) return;
    compare(item, counterpart(item, answered, index), here, lost);
  });
}

/** Lists of strings or numbers whose order means nothing (ECS may answer them in another). */
const SET_LISTS: ReadonlySet<string> = new Set([
  'requiresCompatibilities',
  'compatibilities',
  'add',
  'drop',
  'permissions',
  'mountOptions',
  'ignoredExitCodes',
  'dockerSecurityOptions',
  'credentialSpecs',
]);

function sorted(items: readonly JsonValue[]): JsonValue[] {
  return [...items].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

function holds(sent: JsonValue, registered: JsonValue | undefined, path: FieldPath): boolean {
  const lost: LostField[] = [];
  compare(sent, registered, path, lost);
  return lost.length === 0;
}

/** Members that name a list element (a container, a variable, a tag, a mount…). */
const IDENTITY_KEYS = ['name', 'containerName', 'key', 'sourceVolume', 'containerPath', 'hostname'];

/** The element `item` is best compared with, for naming what it lost: the one with its name. */
function counterpart(
  item: JsonValue,
  answered: readonly JsonValue[],
  index: number,
): JsonValue | undefined {
  if (isObject(item)) {
    for (const key of IDENTITY_KEYS) {
      const identity = item[key];
      if (typeof identity !== 'string' && typeof identity !== 'number') continue;
      const named = answered.find(
        (candidate) => isObject(candidate) && candidate[key] === identity,
      );
      if (named !== undefined) return named;
    }
  }
  return answered[index];
}

function isEmpty(value: JsonValue): boolean {
  if (value === '') return true;
  if (Array.isArray(value)) return value.every((item) => item === null);
  if (isObject(value)) return Object.values(value).every((m) => m === null || m === undefined);
  return false;
}

function samePrimitive(sent: JsonValue, registered: JsonValue, path: FieldPath): boolean {
  if (sent === registered) return true;
  const field = path.length === 1 ? path[0] : undefined;
  if (field === 'cpu') return sameNumber(cpuUnits(sent), cpuUnits(registered));
  if (field === 'memory') return sameNumber(memoryMiB(sent), memoryMiB(registered));
  if (field === 'taskRoleArn' && typeof sent === 'string' && typeof registered === 'string') {
    return sameRole(sent, registered);
  }
  return sameNumber(numeric(sent), numeric(registered));
}

function sameNumber(a: number | undefined, b: number | undefined): boolean {
  return a !== undefined && a === b;
}

const NUMBER = /^\s*-?\d+(?:\.\d+)?\s*$/;

function numeric(value: JsonValue): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && NUMBER.test(value) ? Number(value) : undefined;
}

/** Task-level CPU in CPU units: 1024, "1024", "1 vCPU", "0.25 vcpu". */
function cpuUnits(value: JsonValue): number | undefined {
  const vcpu = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*vcpus?\s*$/i.exec(value) : null;
  return vcpu ? Math.round(Number(vcpu[1]) * 1024) : numeric(value);
}

/** Task-level memory in MiB: 2048, "2048", "2 GB", "2GB". */
function memoryMiB(value: JsonValue): number | undefined {
  const gb = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*gb\s*$/i.exec(value) : null;
  return gb ? Math.round(Number(gb[1]) * 1024) : numeric(value);
}

/** A role given by name (`app`, or `path/app`) is the role whose ARN ECS may answer with. */
function sameRole(sent: string, registered: string): boolean {
  if (sent.startsWith('arn:')) return false;
  const role = /^arn:[^:]+:iam::\d{12}:role\/(.+)$/.exec(registered)?.[1];
  if (role === undefined) return false;
  return role === sent || role.endsWith(`/${sent}`);
}
