// What RegisterTaskDefinition did with the fields it was sent: those the bundled SDK does not know
// are carried past it (src/aws/carry-fields.ts), and ECS answers with the revision as it keeps it
// (src/aws/raw-json.ts). Here: the revision must hold every field sent, or the step stops before
// any service runs it; and a refusal of a request that carried such fields says which they were.
import type { RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs';
import { carriedFieldsOf } from '../aws/carry-fields';
import { rawAnswerOf } from '../aws/raw-json';
import { isAwsError } from '../aws/errors';
import { errorMessage } from '../errors';
import { isObject } from '../taskdef/json';
import { describeLostField, lostInRegistration, type LostField } from '../taskdef/registered-check';
import { formatFieldPath, type FieldPath } from '../taskdef/unknown-fields';
import type { JsonObject } from '../taskdef';

/** A revision registered without some of the fields sent: it must not reach a service. */
export class FieldsLostError extends Error {
  constructor(
    readonly taskDefinitionArn: string,
    readonly lost: readonly LostField[],
    carried: readonly FieldPath[],
  ) {
    const unknown = (field: LostField) =>
      carried.some((c) => startsWith(field.path, c)) ? ' [unknown to the bundled AWS SDK]' : '';
    super(
      `ecs:RegisterTaskDefinition registered ${taskDefinitionArn}, but ECS's answer lacks ${lost.length} field(s) that were sent:\n${lost
        .map((f) => `- ${describeLostField(f)}${unknown(f)}`)
        .join(
          '\n',
        )}\nECS did not keep ${lost.length > 1 ? 'them' : 'it'}, so a task from this revision would run without ${lost.length > 1 ? 'them' : 'it'}. ${taskDefinitionArn} stays registered, unused: no service was updated to it and no task was started from it. Fix: check the spelling of ${lost.length > 1 ? 'these fields' : 'this field'} and that ECS in this region supports ${lost.length > 1 ? 'them' : 'it'} (the ECS API reference for RegisterTaskDefinition lists every field), or remove ${lost.length > 1 ? 'them' : 'it'} from the task definition`,
    );
    this.name = 'FieldsLostError';
  }
}

function startsWith(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * Throws FieldsLostError when ECS's own answer (the raw JSON, not the SDK's reading of it, which
 * would lack every field newer than its model) does not hold every field of `input`. An answer
 * that did not come through the SDK client's middleware (a test double) has no raw JSON, and
 * nothing to check against.
 */
export function checkRegisteredFields(
  input: RegisterTaskDefinitionRequest,
  answer: object,
  taskDefinitionArn: string,
): void {
  const raw = rawAnswerOf(answer);
  if (!raw) return;
  const revision = isObject(raw.taskDefinition) ? raw.taskDefinition : {};
  // Tags come back beside the revision, as they were sent beside its fields.
  const registered: JsonObject =
    raw.tags === undefined ? revision : { ...revision, tags: raw.tags };
  const lost = lostInRegistration(input as unknown as JsonObject, registered);
  if (lost.length > 0) throw new FieldsLostError(taskDefinitionArn, lost, carriedFieldsOf(answer));
}

/** The fields carried past the SDK to this call (on its output), for the log; [] if none. */
export function carriedFields(outputOrError: unknown): string[] {
  return carriedFieldsOf(outputOrError).map(formatFieldPath);
}

/**
 * `error` as it is, or, when ECS refused a request that carried fields the bundled SDK does not
 * know, with a last paragraph naming them: they are the likely cause, and ECS's own message may
 * not say.
 */
export function explainRefusal(error: unknown): unknown {
  if (!isAwsError(error, 'ClientException', 'InvalidParameterException')) return error;
  const carried = carriedFields(error.cause);
  if (carried.length === 0) return error;
  return new Error(
    `${errorMessage(error)}\nThe request carried ${carried.length} field(s) the bundled AWS SDK does not know, as the task definition has them: ${carried.join(', ')}. If ECS refused one of them, check its spelling and that ECS in this region supports it (the ECS API reference for RegisterTaskDefinition lists every field), or remove it; a field ECS returns but does not take back (read-only, and newer than this action) needs the task definition as a file without it. Nothing was registered`,
    { cause: error },
  );
}
