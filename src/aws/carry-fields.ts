// Carries to RegisterTaskDefinition the fields the bundled SDK's model does not know, as they are,
// so that ECS itself judges them. The SDK serialises the request from its model and leaves out
// every unmodelled member without a word (see src/taskdef/unknown-fields.ts); this middleware runs
// in the build step, after the serialiser and before signing and the retry loop, compares the body
// the SDK wrote with the input it was given, and puts back what the SDK left out, at every depth,
// then sets content-length for the new body. The SDK's own configuration, retries and signing are
// untouched (signing hashes the body this leaves). A field that cannot be put back (the input holds
// a list where the model has an object, so the SDK wrote something else) stops the call before
// anything is sent, naming the field. Hand-written: the SDK has no option to pass members through.
import type { BuildMiddleware, Pluggable } from '@smithy/types';
import {
  addMissingMembers,
  formatFieldPath,
  type FieldPath,
  type UncarriedField,
} from '../taskdef/unknown-fields';
import type { JsonValue } from '../taskdef';

/** The fields carried past the SDK, on the output or the error of the call. Not enumerable. */
export const CARRIED_FIELDS: unique symbol = Symbol('fields carried past the SDK model');

/** Commands whose input may hold fields newer than the SDK: task definitions. */
const CARRYING_COMMANDS: ReadonlySet<string> = new Set(['RegisterTaskDefinitionCommand']);

/** The fields the middleware put back into the request that made `outputOrError`; [] if none. */
export function carriedFieldsOf(outputOrError: unknown): readonly FieldPath[] {
  if (typeof outputOrError !== 'object' || outputOrError === null) return [];
  return (outputOrError as { [CARRIED_FIELDS]?: readonly FieldPath[] })[CARRIED_FIELDS] ?? [];
}

/** A field the SDK changed into something else, so it cannot be sent as the input has it. */
export class UncarriedFieldsError extends Error {
  constructor(readonly fields: readonly UncarriedField[]) {
    super(
      `nothing was sent: the bundled AWS SDK cannot send ${fields
        .map(
          (f) =>
            `${formatFieldPath(f.path)} as the task definition has it (${f.source}, and its model makes it ${f.target})`,
        )
        .join(
          '; ',
        )}. Fix: write ${fields.length > 1 ? 'these fields' : 'this field'} as the ECS API reference for RegisterTaskDefinition defines ${fields.length > 1 ? 'them' : 'it'}`,
    );
    this.name = 'UncarriedFieldsError';
  }
}

interface HttpRequestLike {
  body?: unknown;
  headers?: Record<string, string>;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  // Decoded as bytes: the SDK's body is a Uint8Array subclass whose valueOf() (which Buffer.from
  // calls) converts it with a deprecation warning.
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return undefined;
}

function mark(target: unknown, carried: readonly FieldPath[]): void {
  if (typeof target !== 'object' || target === null || carried.length === 0) return;
  try {
    Object.defineProperty(target, CARRIED_FIELDS, { value: carried, enumerable: false });
  } catch {
    // A frozen error object: the fields are only a detail of its message.
  }
}

/** The middleware, for `ecsClient.middlewareStack.use(...)`. */
// The SDK's middleware types are generic over each client's inputs and outputs; this one works on
// any of them, and only acts on the commands above.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function carryUnknownFields(): Pluggable<any, any> {
  const carry: BuildMiddleware<object, object> = (next, context) => async (args) => {
    if (!CARRYING_COMMANDS.has(context.commandName ?? '')) return next(args);
    const request = args.request as HttpRequestLike | undefined;
    const text = bodyText(request?.body);
    if (!request || text === undefined) return next(args);
    const serialised = JSON.parse(text) as JsonValue;
    const intended = JSON.parse(JSON.stringify(args.input)) as JsonValue;
    const merged = addMissingMembers(serialised, intended);
    if (merged.uncarried.length > 0) throw new UncarriedFieldsError(merged.uncarried);
    if (merged.added.length > 0) {
      const body = JSON.stringify(merged.value);
      request.body = body;
      const headers = request.headers ?? {};
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === 'content-length') delete headers[name];
      }
      headers['content-length'] = String(Buffer.byteLength(body));
      request.headers = headers;
    }
    try {
      const result = await next(args);
      mark(result.output, merged.added);
      return result;
    } catch (error) {
      mark(error, merged.added);
      throw error;
    }
  };
  return {
    applyToStack(stack) {
      // First in the build step: content-length (also a build middleware) then measures this body.
      stack.add(carry, { step: 'build', priority: 'high', name: 'atlasCarryUnknownFields' });
    },
  };
}
