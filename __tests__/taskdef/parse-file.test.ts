import { FileProblem, ValidationErrors } from '../../src/errors';
import { parseTaskDefinitionFile } from '../../src/taskdef';
import { fixtureText, thrown } from './helpers';

const FILE = 'deploy/taskdef.json';

function parseError(text: string): Error {
  return thrown(() => parseTaskDefinitionFile(text, FILE));
}

function location(error: Error): FileProblem['location'] {
  expect(error).toBeInstanceOf(FileProblem);
  return (error as FileProblem).location;
}

const MINIMAL = { family: 'web', containerDefinitions: [{ name: 'web', image: 'nginx' }] };

describe('parseTaskDefinitionFile: accepted shapes', () => {
  it('reads a bare task definition, read-only fields included', () => {
    const described = parseTaskDefinitionFile(fixtureText('fargate-single-app.json'), FILE);
    expect(described.taskDefinition.family).toBe('shop-api');
    expect(described.taskDefinition.revision).toBe(41);
    expect(described.tags).toBeUndefined();
  });

  it('reads the whole describe-task-definition output, tags outside the task definition', () => {
    const described = parseTaskDefinitionFile(fixtureText('tagged-describe-output.json'), FILE);
    expect(described.taskDefinition.family).toBe('payments');
    expect(described.taskDefinition).not.toHaveProperty('tags');
    expect(described.tags).toEqual([
      { key: 'team', value: 'payments' },
      { key: 'cost-center', value: 'cc-4471' },
      { key: 'pci', value: '' },
    ]);
  });

  it('reads describe-task-definition output without tags', () => {
    const described = parseTaskDefinitionFile(JSON.stringify({ taskDefinition: MINIMAL }), FILE);
    expect(described).toEqual({ taskDefinition: MINIMAL, tags: undefined, droppedNulls: [] });
  });

  it('takes a bare file’s "tags" as the tags', () => {
    const described = parseTaskDefinitionFile(
      fixtureText('hand-written-bare-with-tags.json'),
      FILE,
    );
    expect(described.tags).toEqual([{ key: 'owner', value: 'web-team' }]);
    expect(described.taskDefinition).not.toHaveProperty('tags');
  });

  it('accepts the same tags in both places', () => {
    const tags = [{ key: 'a', value: 'b' }];
    const text = JSON.stringify({ taskDefinition: { ...MINIMAL, tags }, tags });
    expect(parseTaskDefinitionFile(text, FILE).tags).toEqual(tags);
  });

  it('accepts a tag without a value and a byte order mark', () => {
    const text = '\uFEFF' + JSON.stringify({ ...MINIMAL, tags: [{ key: 'flag' }] });
    expect(parseTaskDefinitionFile(text, FILE).tags).toEqual([{ key: 'flag' }]);
  });

  it('keeps unknown fields and empty strings', () => {
    const td = { ...MINIMAL, futureThing: { x: [1, false] }, taskRoleArn: '' };
    const parsed = parseTaskDefinitionFile(JSON.stringify(td), FILE);
    expect(parsed.taskDefinition).toEqual(td);
    expect(parsed.droppedNulls).toEqual([]);
  });
});

describe('parseTaskDefinitionFile: null means absent', () => {
  const text = [
    '{',
    '  "taskDefinition": {',
    '    "family": "web",',
    '    "ipcMode": null,',
    '    "containerDefinitions": [',
    '      null,',
    '      {',
    '        "name": "web", "image": "nginx", "command": null,',
    '        "environment": [{ "name": "A", "value": null }, null],',
    '        "futureThing": { "x": [1, null] }',
    '      }',
    '    ]',
    '  },',
    '  "tags": [{ "key": "team", "value": null }]',
    '}',
  ].join('\n');

  it('drops null members and elements at any depth, and lists each with its position', () => {
    const parsed = parseTaskDefinitionFile(text, FILE);
    expect(parsed.taskDefinition).toEqual({
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'nginx', environment: [{ name: 'A' }], futureThing: { x: [1] } },
      ],
    });
    expect(parsed.tags).toEqual([{ key: 'team' }]);
    expect(parsed.droppedNulls).toEqual([
      { path: 'taskDefinition.ipcMode', location: { file: FILE, line: 4, column: 16 } },
      {
        path: 'taskDefinition.containerDefinitions[0]',
        location: { file: FILE, line: 6, column: 7 },
      },
      {
        path: 'taskDefinition.containerDefinitions[1].command',
        location: { file: FILE, line: 8, column: 53 },
      },
      {
        path: 'taskDefinition.containerDefinitions[1].environment[0].value',
        location: { file: FILE, line: 9, column: 49 },
      },
      {
        path: 'taskDefinition.containerDefinitions[1].environment[1]',
        location: { file: FILE, line: 9, column: 57 },
      },
      {
        path: 'taskDefinition.containerDefinitions[1].futureThing.x[1]',
        location: { file: FILE, line: 10, column: 35 },
      },
      { path: 'tags[0].value', location: { file: FILE, line: 14, column: 38 } },
    ]);
  });

  it('then checks what is left: a required field that was null is missing', () => {
    const error = parseError(
      '{\n  "family": null,\n  "containerDefinitions": [{"name": "web"}]\n}',
    );
    expect(error.message).toMatch(/^deploy\/taskdef\.json:1:1: has no "family"\. /);
    expect(parseError('{"family": "web", "containerDefinitions": [null]}').message).toContain(
      '"containerDefinitions" is empty',
    );
  });

  it('points at problems where they are in the file, even after an element before them was dropped', () => {
    const error = parseError(
      '{\n "family": "web",\n "containerDefinitions": [\n  null,\n  {"name": "web", "essential": "yes"}\n ]\n}',
    );
    expect(error.message).toMatch(
      /^deploy\/taskdef\.json:5:32: "containerDefinitions\[0\]\.essential" must be a boolean/,
    );
  });

  it('still refuses a file that is only null', () => {
    expect(parseError('null').message).toContain('must hold a JSON object, not null');
    expect(parseError('{"taskDefinition": null}').message).toContain(
      'has neither "family" nor "containerDefinitions"',
    );
  });
});

describe('parseTaskDefinitionFile: JSON syntax', () => {
  it('points at a trailing comma', () => {
    const error = parseError('{\n  "family": "web",\n  "containerDefinitions": [],\n}\n');
    expect(location(error)).toEqual({ file: FILE, line: 4, column: 1 });
    expect(error.message).toMatch(/^deploy\/taskdef\.json:4:1: is not valid JSON: /);
    expect(error.message).toContain('Fix: correct the JSON syntax at that position');
  });

  it('points at an unexpected token, which V8 reports without a position', () => {
    const error = parseError('{\n  "family": "web",\n  "x": tru\n}');
    expect(location(error)).toEqual({ file: FILE, line: 3, column: 11 });
    expect(error.message).toContain('is not valid JSON: Unexpected token');
    expect(error.message).not.toContain('"family"');
  });

  it('points at the end of a truncated file', () => {
    const error = parseError('{\n  "family": "web",\n  "containerDefinitions": [\n');
    expect(location(error)).toEqual({ file: FILE, line: 4, column: 1 });
    expect(error.message).toContain('Unexpected end of JSON input');
  });

  it('counts lines after a byte order mark as an editor does', () => {
    const error = parseError('\uFEFF{"family": x}');
    expect(location(error)).toEqual({ file: FILE, line: 1, column: 12 });
  });

  it('rejects an empty file', () => {
    const error = parseError(' \n');
    expect(location(error)).toEqual({ file: FILE });
    expect(error.message).toContain('is empty, not a task definition');
    expect(error.message).toContain('aws ecs describe-task-definition');
  });
});

describe('parseTaskDefinitionFile: content', () => {
  it('rejects a value that is not an object', () => {
    const error = parseError('[{"family": "web"}]');
    expect(error.message).toBe(
      `${FILE}:1:1: must hold a JSON object, not an array. Fix: export it with \`aws ecs describe-task-definition --task-definition <family> --include TAGS\` (or add \`--query taskDefinition\` for the bare task definition)`,
    );
  });

  it('rejects a wrapper whose taskDefinition is not an object', () => {
    const error = parseError('{\n  "taskDefinition": "web:3"\n}');
    expect(location(error)).toEqual({ file: FILE, line: 2, column: 21 });
    expect(error.message).toContain('"taskDefinition" must be an object, not a string ("web:3")');
  });

  it('rejects a file without containerDefinitions', () => {
    const error = parseError('{\n  "family": "web",\n  "cpu": "256"\n}');
    expect(location(error)).toEqual({ file: FILE, line: 1, column: 1 });
    expect(error.message).toContain('has no "containerDefinitions" array');
    expect(error.message).toContain('--query taskDefinition');
  });

  it('rejects containerDefinitions that are not an array, or empty', () => {
    expect(parseError('{"family": "web", "containerDefinitions": {}}').message).toContain(
      '"containerDefinitions" must be an array, not an object',
    );
    expect(parseError('{"family": "web", "containerDefinitions": []}').message).toContain(
      '"containerDefinitions" is empty',
    );
  });

  it('rejects JSON that is not a task definition with one problem, naming its keys', () => {
    const error = parseError(JSON.stringify({ name: 'web', version: 2 }));
    expect(error.message).toBe(
      'deploy/taskdef.json:1:1: has neither "family" nor "containerDefinitions", so it is not a task definition (its keys: "name", "version"). Fix: give the task definition itself (`aws ecs describe-task-definition --task-definition <family> --query taskDefinition`) or the whole describe-task-definition output',
    );
  });

  it('rejects a file without family', () => {
    const error = parseError(
      JSON.stringify({ containerDefinitions: MINIMAL.containerDefinitions }),
    );
    expect(error.message).toContain('has no "family"');
    expect(error.message).toContain('Fix: set "family" to the name of the task definition family');
  });

  it('points at a container without a name, inside the describe output', () => {
    const text = [
      '{',
      '  "taskDefinition": {',
      '    "family": "web",',
      '    "containerDefinitions": [',
      '      { "name": "web", "image": "nginx" },',
      '      { "image": "busybox" }',
      '    ]',
      '  }',
      '}',
    ].join('\n');
    const error = parseError(text);
    expect(location(error)).toEqual({ file: FILE, line: 6, column: 7 });
    expect(error.message).toContain('containerDefinitions[1] has no "name"');
    expect(error.message).toContain('Fix: give every container a unique "name"');
  });

  it('points at a duplicate container name', () => {
    const text =
      '{\n "family": "web",\n "containerDefinitions": [\n  {"name": "web"},\n  {"name": "web"}\n ]\n}';
    const error = parseError(text);
    expect(location(error)).toEqual({ file: FILE, line: 5, column: 12 });
    expect(error.message).toContain(
      'containerDefinitions[1] and containerDefinitions[0] are both named "web"',
    );
  });

  it('rejects fields of the wrong type that the patch relies on', () => {
    const td = {
      family: 'web',
      memory: 512,
      containerDefinitions: [
        {
          name: 'web',
          essential: 'true',
          dependsOn: [{ containerName: 'db' }],
          secrets: 'DATABASE_URL',
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-create-group': true } },
        },
        'sidecar',
      ],
    };
    const error = parseError(JSON.stringify(td, null, 2));
    expect(error).toBeInstanceOf(ValidationErrors);
    const messages = (error as ValidationErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringContaining('"memory" must be a string, not a number (512)'),
      expect.stringContaining('"containerDefinitions[0].essential" must be a boolean'),
      expect.stringContaining('has no "containerDefinitions[0].dependsOn[0].condition"'),
      expect.stringContaining(
        '"containerDefinitions[0].secrets" must be an array of objects, not a string',
      ),
      expect.stringContaining('"awslogs-create-group" is not a string'),
      expect.stringContaining('containerDefinitions[1] must be an object'),
    ]);
    expect(messages[0]).toMatch(/^deploy\/taskdef\.json:3:13: /);
  });

  it('rejects malformed tags', () => {
    const error = parseError(JSON.stringify({ taskDefinition: MINIMAL, tags: [{ value: 'x' }] }));
    expect(error.message).toContain('tags[0] must be an object with a non-empty string "key"');
    expect(parseError(JSON.stringify({ ...MINIMAL, tags: 'team=x' })).message).toContain(
      '"tags" must be an array',
    );
  });

  it('rejects different tags in the two places', () => {
    const text = JSON.stringify({
      taskDefinition: { ...MINIMAL, tags: [{ key: 'a', value: '1' }] },
      tags: [{ key: 'a', value: '2' }],
    });
    expect(parseError(text).message).toContain(
      'has different tags in "tags" and in "taskDefinition.tags"',
    );
  });
});
