// DescribeTaskDefinition returns these, and RegisterTaskDefinition rejects them.
import type { JsonObject } from './types';

export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

/** A shallow copy without the read-only fields, other keys in their order; the input is untouched. */
export function stripReadOnly<T extends JsonObject>(td: T): T {
  const copy = { ...td };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}
