import { dropNulls, droppedNullsWarning } from '../../src/taskdef/null-fields';
import type { JsonValue } from '../../src/taskdef';

function parsed(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}

describe('dropNulls', () => {
  it('drops null members at any depth and says where each was, in file order', () => {
    const value = parsed(
      '{"a": null, "b": {"c": null, "d": 1, "e": {"f": null}}, "g": [{"h": null}], "i": null}',
    );
    const dropped = dropNulls(value);
    expect(value).toEqual({ b: { d: 1, e: {} }, g: [{}] });
    expect(dropped.paths).toEqual([['a'], ['b', 'c'], ['b', 'e', 'f'], ['g', 0, 'h'], ['i']]);
  });

  it('drops null array elements, as the SDK would not send them, and keeps the order of the rest', () => {
    const value = parsed('{"command": ["a", null, "b", null], "x": [null, [null, 1]]}');
    const dropped = dropNulls(value);
    expect(value).toEqual({ command: ['a', 'b'], x: [[1]] });
    expect(dropped.paths).toEqual([
      ['command', 1],
      ['command', 3],
      ['x', 0],
      ['x', 1, 0],
    ]);
  });

  it('maps a path after dropping back to the path in the file', () => {
    const value = parsed(
      '{"containerDefinitions": [null, {"name": "a"}, null, {"name": "b", "x": [null, null, {"y": 1}]}]}',
    );
    const { originalPath } = dropNulls(value);
    expect(originalPath(['containerDefinitions', 0, 'name'])).toEqual([
      'containerDefinitions',
      1,
      'name',
    ]);
    expect(originalPath(['containerDefinitions', 1, 'x', 0, 'y'])).toEqual([
      'containerDefinitions',
      3,
      'x',
      2,
      'y',
    ]);
    // Past the end (a missing element, reported where its array is) and into a missing key.
    expect(originalPath(['containerDefinitions', 5])).toEqual(['containerDefinitions', 5]);
    expect(originalPath(['nothing', 0])).toEqual(['nothing', 0]);
  });

  it('leaves paths alone when no array lost an element', () => {
    const value = parsed('{"a": [1, 2], "b": null}');
    expect(dropNulls(value).originalPath(['a', 1])).toEqual(['a', 1]);
  });

  it('keeps everything that is not null: false, 0, "" and empty containers', () => {
    const text = '{"a": false, "b": 0, "c": "", "d": [], "e": {}, "f": [false, 0, ""]}';
    const value = parsed(text);
    expect(dropNulls(value).paths).toEqual([]);
    expect(value).toEqual(JSON.parse(text));
  });

  it('never drops the root, and leaves a scalar root alone', () => {
    expect(dropNulls(null).paths).toEqual([]);
    expect(dropNulls('x').paths).toEqual([]);
  });

  it('keeps an own "__proto__" key as JSON.parse made it', () => {
    const value = parsed('{"__proto__": {"a": null, "b": 1}, "c": null}') as Record<
      string,
      unknown
    >;
    const dropped = dropNulls(value as JsonValue);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"b":1}}');
    expect(dropped.paths).toEqual([['__proto__', 'a'], ['c']]);
  });

  it('handles nesting as deep as JSON.parse accepts, and long arrays, without overflowing the stack', () => {
    const depth = 100_000;
    const deep = parsed(`${'['.repeat(depth)}null${']'.repeat(depth)}`);
    const dropped = dropNulls(deep);
    expect(dropped.paths).toHaveLength(1);
    expect(dropped.paths[0]).toHaveLength(depth);

    const long = parsed(
      `[${Array.from({ length: 300_000 }, (_, i) => (i % 2 ? 'null' : i)).join(',')}]`,
    );
    const fromLong = dropNulls(long);
    expect((long as number[]).length).toBe(150_000);
    expect(fromLong.originalPath([149_999])).toEqual([299_998]);
  });
});

describe('droppedNullsWarning', () => {
  it('names the file and every path with its line and column', () => {
    expect(
      droppedNullsWarning('deploy/td.json', [
        { path: 'executionRoleArn', location: { file: 'deploy/td.json', line: 3, column: 23 } },
        {
          path: 'containerDefinitions[0].command',
          location: { file: 'deploy/td.json', line: 17, column: 18 },
        },
      ]),
    ).toBe(
      'deploy/td.json: dropped 2 null fields, since null means absent to ECS and the AWS SDK (as aws-actions/amazon-ecs-deploy-task-definition reads it too): executionRoleArn (3:23), containerDefinitions[0].command (17:18)',
    );
  });

  it('says "a null field" for one, and leaves out a position it does not have', () => {
    expect(
      droppedNullsWarning('td.json', [{ path: 'ipcMode', location: { file: 'td.json' } }]),
    ).toBe(
      'td.json: dropped a null field, since null means absent to ECS and the AWS SDK (as aws-actions/amazon-ecs-deploy-task-definition reads it too): ipcMode',
    );
  });

  it('gives nothing when nothing was dropped', () => {
    expect(droppedNullsWarning('td.json', [])).toBeUndefined();
  });
});
