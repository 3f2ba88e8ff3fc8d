// Which task-definition fields the loopback ECS knows: every member of the bundled SDK's model
// (read from its schema, at every depth) plus FIELDS_BEYOND_SDK, the fields of an ECS newer than
// the SDK. RegisterTaskDefinition keeps every field it knows, as ECS does, and refuses any other
// with a ClientException naming it; a test can also make it drop a known field without a word
// (dropSilently), to play an ECS that ignores a member. The real ECS's message for a member it does
// not know is not documented; the fake's names the member and where it is.
import { RegisterTaskDefinitionRequest$ } from '@aws-sdk/client-ecs';
import { NormalizedSchema } from '@smithy/core/schema';
import { AwsFault, type JsonBody } from './protocol';

/**
 * Fields this fake ECS knows beyond the bundled SDK model, by the shape they belong to: made-up
 * names (no real ECS field is newer than @aws-sdk/client-ecs 3.1164.0 that we could find), so a
 * future SDK that learns a real field never makes these tests pass for the wrong reason.
 */
export const FIELDS_BEYOND_SDK: Readonly<Record<string, readonly string[]>> = {
  RegisterTaskDefinitionRequest: ['futureTaskSetting'],
  ContainerDefinition: ['futureContainerSetting'],
  LinuxParameters: ['futureLinuxSetting'],
};

/** `Shape.member`, e.g. `ContainerDefinition.futureContainerSetting`. */
export type ShapeMember = `${string}.${string}`;

/**
 * A copy of the request without the members `dropped` names; throws the ClientException ECS
 * answers for the first member it does not know.
 */
export function registerableBody(body: JsonBody, dropped: ReadonlySet<string>): JsonBody {
  return walk(NormalizedSchema.of(RegisterTaskDefinitionRequest$), body, '', dropped) as JsonBody;
}

function walk(
  schema: NormalizedSchema,
  value: unknown,
  path: string,
  dropped: ReadonlySet<string>,
): unknown {
  if (schema.isStructSchema() && isPlainObject(value)) {
    const shape = schema.getName() ?? '';
    const members = new Map<string, NormalizedSchema>(schema.structIterator());
    const beyond = FIELDS_BEYOND_SDK[shape] ?? [];
    const out: JsonBody = {};
    for (const [key, member] of Object.entries(value)) {
      const memberSchema = members.get(key);
      if (!memberSchema && !beyond.includes(key)) {
        throw new AwsFault(
          'ClientException',
          `Unexpected key '${key}' found in params${path === '' ? '' : `.${path}`}`,
        );
      }
      if (dropped.has(`${shape}.${key}`)) continue;
      const here = path === '' ? key : `${path}.${key}`;
      // A field beyond the SDK is taken as it is: its inside is this newer ECS's business.
      out[key] = memberSchema ? walk(memberSchema, member, here, dropped) : member;
    }
    return out;
  }
  if (schema.isListSchema() && Array.isArray(value)) {
    const element = schema.getValueSchema();
    return value.map((item, index) => walk(element, item, `${path}[${index}]`, dropped));
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Task-level sizes as ECS registers them: "String values are converted to an integer indicating
 * the CPU units [MiB] when the task definition is registered" ("1 vCPU" → "1024", "2 GB" → "2048").
 */
export function registeredTaskSize(field: 'cpu' | 'memory', value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const unit = field === 'cpu' ? 'vcpus?' : 'gb';
  const match = new RegExp(`^\\s*(\\d+(?:\\.\\d+)?)\\s*${unit}\\s*$`, 'i').exec(value);
  return match ? String(Math.round(Number(match[1]) * 1024)) : value;
}
