// Reads a task definition file in either shape users have at hand: the bare task definition
// (`describe-task-definition --query taskDefinition`, or hand-written) or the whole
// describe-task-definition output, `{taskDefinition, tags}`. `null` anywhere means absent: it is
// dropped, and the paths dropped are returned for the run to report.
import { FileProblem, type FileLocation } from '../errors';
import { checkRendered, type ActionSetValues } from './check-rendered';
import { checkTagsShape, checkTaskDefinitionShape, pathText, type JsonPath } from './check-shape';
import { describeValue, isObject } from './json';
import { escapePointer, lineColumn, scanJson } from './json-scan';
import { dropNulls, type DroppedNull } from './null-fields';
import { Problems } from './problems';
import type {
  DescribedTaskDefinition,
  JsonObject,
  JsonValue,
  Tag,
  TaskDefinitionJson,
} from './types';

const EXPORT_HINT =
  'export it with `aws ecs describe-task-definition --task-definition <family> --include TAGS` (or add `--query taskDefinition` for the bare task definition)';

/** The file's task definition and tags, and what was dropped from it on the way. */
export interface TaskDefinitionFile extends DescribedTaskDefinition {
  /** In the order of the file. */
  readonly droppedNulls: readonly DroppedNull[];
}

/**
 * Parses and checks a task-definition file: JSON, the shape the patch relies on, and (with what
 * the action sets itself, so a placeholder it replaces is not refused) no unrendered template and
 * nothing ECS's naming rules refuse. Every problem is thrown together; `null` is dropped instead.
 */
export function parseTaskDefinitionFile(
  text: string,
  file: string,
  actionSets: ActionSetValues = {},
): TaskDefinitionFile {
  // Editors on Windows like to start files with a byte order mark, which JSON.parse rejects.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new FileProblem({ file }, 'is empty, not a task definition', EXPORT_HINT);
  }
  const root = parseJson(body, file);
  const dropped = dropNulls(root as JsonValue);

  let offsets: Map<string, number> | undefined;
  const locateInFile = (path: JsonPath): FileLocation => {
    offsets ??= scanJson(body).offsets;
    // The innermost path that exists: a missing key is reported where its object starts.
    for (let length = path.length; length >= 0; length--) {
      const pointer = path
        .slice(0, length)
        .map((segment) => `/${escapePointer(String(segment))}`)
        .join('');
      const offset = offsets.get(pointer);
      if (offset !== undefined) return { file, ...lineColumn(body, offset) };
    }
    return { file };
  };
  const locateAt =
    (prefix: JsonPath) =>
    (path: JsonPath): FileLocation =>
      locateInFile(dropped.originalPath([...prefix, ...path]));
  const droppedNulls = dropped.paths.map((path) => ({
    path: pathText(path),
    location: locateInFile(path),
  }));

  if (!isObject(root)) {
    throw new FileProblem(
      locateAt([])([]),
      `must hold a JSON object, not ${describeValue(root)}`,
      EXPORT_HINT,
    );
  }

  const wrapped = root.containerDefinitions === undefined && root.taskDefinition !== undefined;
  const prefix = wrapped ? ['taskDefinition'] : [];
  const td = wrapped ? root.taskDefinition : root;
  if (!isObject(td)) {
    throw new FileProblem(
      locateAt([])(['taskDefinition']),
      `"taskDefinition" must be an object, not ${describeValue(td)}`,
      EXPORT_HINT,
    );
  }

  const problems = new Problems();
  problems.add(...checkTaskDefinitionShape(td, locateAt(prefix)));
  problems.add(...checkRendered(td, locateAt(prefix), actionSets));
  const tags = takeTags(root, td, wrapped, locateAt([]), problems);
  problems.throwIfAny();
  return { taskDefinition: td as TaskDefinitionJson, tags, droppedNulls };
}

function parseJson(body: string, file: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const offset = position
      ? Number(position[1])
      : /end of JSON input/.test(message)
        ? body.length
        : scanJson(body).errorOffset;
    // V8 appends the position or a quote of the whole text; the location says it better.
    const reason = message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*$/s, '');
    throw new FileProblem(
      { file, ...(offset === undefined ? {} : lineColumn(body, offset)) },
      `is not valid JSON: ${reason}`,
      'correct the JSON syntax at that position (a trailing comma or a missing quote is the usual cause)',
    );
  }
}

/**
 * Tags sit next to the task definition in describe-task-definition's output, and inside it in a
 * bare file whose author put them there; either way they end up outside the task definition.
 */
function takeTags(
  root: JsonObject,
  td: JsonObject,
  wrapped: boolean,
  locate: (path: JsonPath) => FileLocation,
  problems: Problems,
): Tag[] | undefined {
  const outer = wrapped ? root.tags : undefined;
  const inner = td.tags;
  delete td.tags;
  if (
    outer !== undefined &&
    inner !== undefined &&
    JSON.stringify(outer) !== JSON.stringify(inner)
  ) {
    problems.add(
      new FileProblem(
        locate(['taskDefinition', 'tags']),
        'has different tags in "tags" and in "taskDefinition.tags"',
        'keep the tags in one place: the top-level "tags" of the describe-task-definition output',
      ),
    );
    return undefined;
  }
  const tags = outer ?? inner;
  if (tags === undefined) return undefined;
  const path = outer !== undefined ? ['tags'] : [...(wrapped ? ['taskDefinition'] : []), 'tags'];
  const errors = checkTagsShape(tags, path, locate);
  problems.add(...errors);
  return errors.length === 0 ? (tags as Tag[]) : undefined;
}
