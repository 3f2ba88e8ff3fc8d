// Helpers over parsed JSON.
import type { JsonObject, JsonValue } from './types';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy through JSON, which keeps key order and own "__proto__" keys exactly as JSON.parse
 * made them (structuredClone would too, but this states the data is plain JSON).
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** What a value is, for messages: `a string ("x")`, `an array`, ... */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  return 'an object';
}
