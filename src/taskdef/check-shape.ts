// Checks that the fields this module reads have the types the ECS API gives them, so the rest of the
// code can trust TaskDefinitionJson. Fields it never reads are left alone: they are ECS's to judge.
import { FileProblem, type FileLocation } from '../errors';
import { describeValue, isObject } from './json';
import { quoteList } from './problems';
import type { JsonObject } from './types';

export type JsonPath = readonly (string | number)[];
export type Locate = (path: JsonPath) => FileLocation;

type Kind =
  | 'string'
  | 'non-empty string'
  | 'boolean'
  | 'integer'
  | 'object'
  | 'string array'
  | 'object array';

const KIND_TEXT: Record<Kind, string> = {
  string: 'a string',
  'non-empty string': 'a non-empty string',
  boolean: 'a boolean (true or false)',
  integer: 'a whole number',
  object: 'an object',
  'string array': 'an array of strings',
  'object array': 'an array of objects',
};

const TASK_FIELDS: Record<string, Kind> = {
  executionRoleArn: 'string',
  memory: 'string',
  cpu: 'string',
  runtimePlatform: 'object',
};

const CONTAINER_FIELDS: Record<string, Kind> = {
  image: 'string',
  essential: 'boolean',
  command: 'string array',
  entryPoint: 'string array',
  workingDirectory: 'string',
  memory: 'integer',
  memoryReservation: 'integer',
  healthCheck: 'object',
  logConfiguration: 'object',
};

/** Fields inside the arrays of objects a container holds. */
const ITEM_FIELDS: Record<string, Record<string, Kind>> = {
  dependsOn: { containerName: 'non-empty string', condition: 'non-empty string' },
  secrets: { name: 'non-empty string', valueFrom: 'non-empty string' },
  environment: {},
};

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'non-empty string':
      return typeof value === 'string' && value !== '';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'object':
      return isObject(value);
    case 'string array':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'object array':
      return Array.isArray(value) && value.every(isObject);
  }
}

/** `containerDefinitions[0].image`: a path as messages write it. */
export function pathText(path: JsonPath): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

export function checkTaskDefinitionShape(td: JsonObject, locate: Locate): Error[] {
  const errors: Error[] = [];
  const wrongKind = (path: JsonPath, value: unknown, kind: Kind, required: boolean): void => {
    const field = pathText(path);
    const problem =
      value === undefined
        ? `has no "${field}"`
        : `"${field}" must be ${KIND_TEXT[kind]}, not ${describeValue(value)}`;
    const reference = 'as the ECS API reference for RegisterTaskDefinition defines it';
    const fix =
      value === undefined
        ? `add "${field}" (${KIND_TEXT[kind]}), ${reference}`
        : `change "${field}" to ${KIND_TEXT[kind]}${required ? '' : ' or remove it'}, ${reference}`;
    errors.push(new FileProblem(locate(path), problem, fix));
  };
  const checkFields = (obj: JsonObject, base: JsonPath, fields: Record<string, Kind>): void => {
    for (const [key, kind] of Object.entries(fields)) {
      const value = obj[key];
      const required = kind === 'non-empty string';
      if ((value !== undefined || required) && !hasKind(value, kind)) {
        wrongKind([...base, key], value, kind, required);
      }
    }
  };

  if (td.family === undefined && td.containerDefinitions === undefined) {
    // Some other JSON file (a package.json, a container definition alone...): one message for
    // that, not one per missing field.
    const keys = Object.keys(td).slice(0, 5);
    return [
      new FileProblem(
        locate([]),
        `has neither "family" nor "containerDefinitions", so it is not a task definition${keys.length > 0 ? ` (its keys: ${keys.map((k) => JSON.stringify(k)).join(', ')})` : ''}`,
        'give the task definition itself (`aws ecs describe-task-definition --task-definition <family> --query taskDefinition`) or the whole describe-task-definition output',
      ),
    ];
  }
  if (!hasKind(td.family, 'non-empty string')) {
    errors.push(
      new FileProblem(
        locate(td.family === undefined ? [] : ['family']),
        td.family === undefined
          ? 'has no "family"'
          : `"family" must be a non-empty string, not ${describeValue(td.family)}`,
        'set "family" to the name of the task definition family the service runs (ECS registers the patched task definition as a new revision of it)',
      ),
    );
  }
  checkFields(td, [], TASK_FIELDS);
  if (isObject(td.runtimePlatform)) {
    checkFields(td.runtimePlatform, ['runtimePlatform'], {
      cpuArchitecture: 'string',
      operatingSystemFamily: 'string',
    });
  }

  const containers = td.containerDefinitions;
  if (!Array.isArray(containers)) {
    errors.push(
      new FileProblem(
        locate(containers === undefined ? [] : ['containerDefinitions']),
        containers === undefined
          ? 'has no "containerDefinitions" array, so it is not a task definition'
          : `"containerDefinitions" must be an array, not ${describeValue(containers)}`,
        'give the task definition itself (`aws ecs describe-task-definition --task-definition <family> --query taskDefinition`) or the whole describe-task-definition output',
      ),
    );
    return errors;
  }
  if (containers.length === 0) {
    errors.push(
      new FileProblem(
        locate(['containerDefinitions']),
        '"containerDefinitions" is empty',
        'add the containers of your service (at least the app container) to "containerDefinitions"',
      ),
    );
  }

  const seen = new Map<string, number>();
  containers.forEach((container, index) => {
    const base = ['containerDefinitions', index];
    if (!isObject(container)) {
      errors.push(
        new FileProblem(
          locate(base),
          `containerDefinitions[${index}] must be an object, not ${describeValue(container)}`,
          'make every item of "containerDefinitions" a container definition object',
        ),
      );
      return;
    }
    const name = container.name;
    if (!hasKind(name, 'non-empty string')) {
      errors.push(
        new FileProblem(
          locate(name === undefined ? base : [...base, 'name']),
          name === undefined
            ? `containerDefinitions[${index}] has no "name"`
            : `containerDefinitions[${index}].name must be a non-empty string, not ${describeValue(name)}`,
          'give every container a unique "name" (ECS requires it, and dependsOn refers to containers by name)',
        ),
      );
    } else if (seen.has(name as string)) {
      errors.push(
        new FileProblem(
          locate([...base, 'name']),
          `containerDefinitions[${index}] and containerDefinitions[${seen.get(name as string)}] are both named "${name}"`,
          'give every container a unique "name"',
        ),
      );
    } else {
      seen.set(name as string, index);
    }

    checkFields(container, base, CONTAINER_FIELDS);
    for (const [key, fields] of Object.entries(ITEM_FIELDS)) {
      const items = container[key];
      if (items === undefined) continue;
      if (!Array.isArray(items)) {
        wrongKind([...base, key], items, 'object array', false);
        continue;
      }
      items.forEach((item, itemIndex) => {
        const itemPath = [...base, key, itemIndex];
        if (isObject(item)) checkFields(item, itemPath, fields);
        else wrongKind(itemPath, item, 'object', true);
      });
    }
    const log = container.logConfiguration;
    if (isObject(log)) {
      checkFields(log, [...base, 'logConfiguration'], { logDriver: 'non-empty string' });
      const options = log.options;
      if (options !== undefined) {
        const optionsPath = [...base, 'logConfiguration', 'options'];
        if (!isObject(options)) wrongKind(optionsPath, options, 'object', false);
        else {
          const bad = Object.keys(options).filter((key) => typeof options[key] !== 'string');
          if (bad.length > 0) {
            errors.push(
              new FileProblem(
                locate(optionsPath),
                `${pathText(optionsPath)} must map names to strings; ${quoteList(bad)} ${bad.length === 1 ? 'is' : 'are'} not a string`,
                'quote the values of the log options (e.g. "awslogs-create-group": "true")',
              ),
            );
          }
        }
      }
    }
  });
  return errors;
}

export function checkTagsShape(tags: unknown, path: JsonPath, locate: Locate): Error[] {
  const fix =
    'write tags as [{"key": "...", "value": "..."}], as DescribeTaskDefinition returns them';
  if (!Array.isArray(tags)) {
    return [
      new FileProblem(
        locate(path),
        `"${pathText(path)}" must be an array, not ${describeValue(tags)}`,
        fix,
      ),
    ];
  }
  const errors: Error[] = [];
  tags.forEach((tag, index) => {
    const ok =
      isObject(tag) &&
      hasKind(tag.key, 'non-empty string') &&
      (tag.value === undefined || typeof tag.value === 'string');
    if (!ok) {
      errors.push(
        new FileProblem(
          locate([...path, index]),
          `${pathText([...path, index])} must be an object with a non-empty string "key" and a string "value"`,
          fix,
        ),
      );
    }
  });
  return errors;
}
