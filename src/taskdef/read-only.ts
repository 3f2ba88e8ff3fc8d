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
  // Set on a revision being deleted; the SDK knew it only as output, and dropped it from requests,
  // but fields it does not model now reach ECS (src/aws/carry-fields.ts).
  'deleteRequestedAt',
] as const;

/** A shallow copy without the read-only fields, other keys in their order; the input is untouched. */
export function stripReadOnly<T extends JsonObject>(td: T): T {
  const copy = { ...td };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}
