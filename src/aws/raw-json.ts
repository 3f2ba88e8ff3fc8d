// Keeps the answer ECS sent, as JSON, beside what the SDK made of it. The SDK's deserialiser reads
// an answer through its model and leaves out every member the model lacks, so a field ECS added
// after the bundled @aws-sdk/client-ecs was built would vanish from the task definition read by
// DescribeTaskDefinition, and from the revision RegisterTaskDefinition answers with. Two
// middlewares around the SDK's own deserialiser, for those two commands only: the inner one reads
// the body stream into bytes (with the client's own stream collector) and hands the deserialiser
// the bytes instead, the outer one parses the same bytes once more and hangs the JSON on the
// output, under a symbol, where rawAnswerOf finds it. Everything else (retries, signing, the SDK's
// parsing and errors) is untouched; hand-written because the SDK keeps no copy of a parsed body.
import type { DeserializeMiddleware, Pluggable } from '@smithy/types';
import type { JsonObject } from '../taskdef';

/** The answer's JSON, on the output of a command whose answers are kept. Not enumerable. */
export const RAW_ANSWER: unique symbol = Symbol('the answer as ECS sent it');

/** Commands whose answers hold task definitions. */
const KEPT_COMMANDS: ReadonlySet<string> = new Set([
  'DescribeTaskDefinitionCommand',
  'RegisterTaskDefinitionCommand',
]);

/** The JSON ECS answered with, when the output came through the middleware; else undefined. */
export function rawAnswerOf(output: unknown): JsonObject | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  return (output as { [RAW_ANSWER]?: JsonObject })[RAW_ANSWER];
}

/** Reads a response body (a Node stream from the SDK's HTTP handler) into bytes. */
export type StreamCollector = (body: unknown) => Promise<Uint8Array>;

interface HttpResponseLike {
  statusCode?: number;
  body?: unknown;
}

function responseOf(value: unknown): HttpResponseLike | undefined {
  return typeof value === 'object' && value !== null ? (value as HttpResponseLike) : undefined;
}

/** The middlewares, for `client.middlewareStack.use(...)`; `collect` is the client's streamCollector. */
// The SDK's middleware types are generic over each client's inputs and outputs; these two work on
// any of them, and only look at the response.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function keepRawAnswers(collect: StreamCollector): Pluggable<any, any> {
  const buffer: DeserializeMiddleware<object, object> = (next, context) => async (args) => {
    const result = await next(args);
    if (!KEPT_COMMANDS.has(context.commandName ?? '')) return result;
    const response = responseOf(result.response);
    if (response && response.body !== undefined && !(response.body instanceof Uint8Array)) {
      response.body = await collect(response.body);
    }
    return result;
  };
  const attach: DeserializeMiddleware<object, object> = (next, context) => async (args) => {
    const result = await next(args);
    if (!KEPT_COMMANDS.has(context.commandName ?? '')) return result;
    const response = responseOf(result.response);
    const status = response?.statusCode ?? 0;
    if (status >= 200 && status < 300 && response?.body instanceof Uint8Array) {
      const json = parseObject(response.body);
      if (json && typeof result.output === 'object' && result.output !== null) {
        Object.defineProperty(result.output, RAW_ANSWER, { value: json, enumerable: false });
      }
    }
    return result;
  };
  return {
    applyToStack(stack) {
      stack.addRelativeTo(buffer, {
        name: 'atlasBufferTaskDefinitionAnswer',
        relation: 'after',
        toMiddleware: 'deserializerMiddleware',
      });
      stack.addRelativeTo(attach, {
        name: 'atlasKeepTaskDefinitionAnswer',
        relation: 'before',
        toMiddleware: 'deserializerMiddleware',
      });
    },
  };
}

/** The body as a JSON object; undefined for anything else (the SDK has parsed it already). */
function parseObject(bytes: Uint8Array): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}
