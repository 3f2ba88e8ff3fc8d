import type { JsonObject, JsonValue } from '../../src/taskdef';
import {
  addMissingMembers,
  formatFieldPath,
  valueAt,
  withoutNulls,
} from '../../src/taskdef/unknown-fields';

/** What the SDK wrote for a task definition whose model lacks the `future*` fields. */
const serialised = (): JsonObject => ({
  family: 'web',
  containerDefinitions: [
    { name: 'atlas', image: 'repo@sha256:abc', essential: false },
    {
      name: 'web',
      image: 'nginx',
      linuxParameters: { initProcessEnabled: true },
      environment: [{ name: 'A', value: '1' }],
    },
  ],
  tags: [{ key: 'team', value: 'db' }],
});

describe('addMissingMembers', () => {
  it('adds back what the target lacks at every depth, keeping the target’s values', () => {
    const intended: JsonObject = {
      family: 'web',
      futureTaskSetting: { mode: 'x', levels: [1, 2] },
      containerDefinitions: [
        { name: 'atlas', image: 'repo@sha256:abc', essential: false },
        {
          name: 'web',
          image: 'nginx',
          futureContainerSetting: 'on',
          linuxParameters: { initProcessEnabled: true, futureLinuxSetting: { depth: 3 } },
          environment: [{ name: 'A', value: '1', futureVariableFlag: true }],
        },
      ],
      tags: [{ key: 'team', value: 'db' }],
    };
    const merged = addMissingMembers(serialised(), intended);
    expect(merged.uncarried).toEqual([]);
    expect(merged.added.map(formatFieldPath)).toEqual([
      'futureTaskSetting',
      'containerDefinitions[1].futureContainerSetting',
      'containerDefinitions[1].linuxParameters.futureLinuxSetting',
      'containerDefinitions[1].environment[0].futureVariableFlag',
    ]);
    expect(merged.value).toEqual(intended);
  });

  it('adds nothing and changes nothing when the target holds every member', () => {
    const target = serialised();
    const merged = addMissingMembers(target, serialised());
    expect(merged.added).toEqual([]);
    expect(merged.value).toEqual(target);
    expect(merged.value).not.toBe(target);
  });

  it('keeps the target’s value where both hold one (the SDK’s timestamp, an ECS default)', () => {
    const merged = addMissingMembers(
      { registeredAt: '2024-03-10T17:00:00.500Z', cpu: '256' },
      { registeredAt: 1710090000.5, cpu: 256, futureTaskSetting: 1 },
    );
    expect(merged.value).toEqual({
      registeredAt: '2024-03-10T17:00:00.500Z',
      cpu: '256',
      futureTaskSetting: 1,
    });
    expect(merged.added).toEqual([['futureTaskSetting']]);
  });

  it('never carries a null, and carries an unknown object without its nulls', () => {
    const merged = addMissingMembers(
      { family: 'web' },
      { family: 'web', ghost: null, futureTaskSetting: { a: null, b: [1, null, 2], c: 'x' } },
    );
    expect(merged.value).toEqual({ family: 'web', futureTaskSetting: { b: [1, 2], c: 'x' } });
    expect(merged.added).toEqual([['futureTaskSetting']]);
  });

  it('pairs list elements after the source’s null elements are left out, as the SDK does', () => {
    // The SDK writes `[null, {…}]` as `[{…}]`: the element that was second is first on the wire.
    const merged = addMissingMembers(
      { containerDefinitions: [{ name: 'web' }] },
      { containerDefinitions: [null, { name: 'web', futureContainerSetting: 1 }] },
    );
    expect(merged.value).toEqual({
      containerDefinitions: [{ name: 'web', futureContainerSetting: 1 }],
    });
    expect(merged.added).toEqual([['containerDefinitions', 0, 'futureContainerSetting']]);
  });

  it('reports a list the target holds as an object: it cannot be carried as it is', () => {
    // `linuxParameters` given as a list: the SDK's model makes it a structure and writes `{}`.
    const merged = addMissingMembers(
      { containerDefinitions: [{ name: 'web', linuxParameters: {} }] },
      { containerDefinitions: [{ name: 'web', linuxParameters: [{ futureLinuxSetting: 1 }] }] },
    );
    expect(merged.uncarried).toEqual([
      {
        path: ['containerDefinitions', 0, 'linuxParameters'],
        source: 'an array',
        target: 'an object',
      },
    ]);
  });

  it('reports an object the target holds as something else, and lists of objects that do not pair', () => {
    const merged = addMissingMembers(
      { a: 'text', b: [{ x: 1 }] },
      { a: { futureTaskSetting: 1 }, b: [{ x: 1 }, { x: 2 }] },
    );
    expect(merged.uncarried).toEqual([
      { path: ['a'], source: 'an object', target: 'a string ("text")' },
      { path: ['b'], source: '2 element(s)', target: '1 element(s)' },
    ]);
  });

  it('lets lists of strings or numbers differ in length: nothing inside them to carry', () => {
    const merged = addMissingMembers({ command: ['a'] }, { command: ['a', 'b'] });
    expect(merged.uncarried).toEqual([]);
    expect(merged.value).toEqual({ command: ['a'] });
  });

  it('carries a "__proto__" member as a member, not as a prototype', () => {
    const source = JSON.parse('{"family":"web","__proto__":{"polluted":true}}') as JsonValue;
    const merged = addMissingMembers({ family: 'web' }, source);
    expect(JSON.stringify(merged.value)).toBe('{"family":"web","__proto__":{"polluted":true}}');
    expect((merged.value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('leaves its inputs untouched', () => {
    const target = serialised();
    const source = { ...serialised(), futureTaskSetting: { a: 1 } };
    const before = JSON.stringify([target, source]);
    addMissingMembers(target, source);
    expect(JSON.stringify([target, source])).toBe(before);
  });
});

describe('withoutNulls', () => {
  it('drops null members and null elements at every depth', () => {
    expect(withoutNulls({ a: null, b: [null, { c: null, d: 1 }], e: 'x' })).toEqual({
      b: [{ d: 1 }],
      e: 'x',
    });
  });
});

describe('formatFieldPath and valueAt', () => {
  it('writes keys as members, indices in brackets, and other keys quoted', () => {
    expect(formatFieldPath(['containerDefinitions', 0, 'dockerLabels', 'com.example/x'])).toBe(
      'containerDefinitions[0].dockerLabels["com.example/x"]',
    );
    expect(formatFieldPath([])).toBe('(the whole value)');
  });

  it('reads the value a path names, or undefined', () => {
    const td = serialised();
    expect(valueAt(td, ['containerDefinitions', 1, 'linuxParameters'])).toEqual({
      initProcessEnabled: true,
    });
    expect(valueAt(td, ['containerDefinitions', 5, 'name'])).toBeUndefined();
    expect(valueAt(td, ['family', 'x'])).toBeUndefined();
  });
});
