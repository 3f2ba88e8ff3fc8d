import { READ_ONLY_FIELDS, renderTaskDefinition, stripReadOnly } from '../../src/taskdef';
import { loadFixture } from './helpers';

describe('renderTaskDefinition', () => {
  it('writes two-space JSON with a final newline', () => {
    expect(renderTaskDefinition({ family: 'web', cpu: '', list: [1] })).toBe(
      '{\n  "family": "web",\n  "cpu": "",\n  "list": [\n    1\n  ]\n}\n',
    );
  });
});

describe('stripReadOnly', () => {
  it('returns a copy without the read-only fields and leaves the input alone', () => {
    const described = loadFixture('fargate-single-app.json');
    const stripped = stripReadOnly(described.taskDefinition);
    for (const field of READ_ONLY_FIELDS) expect(stripped).not.toHaveProperty(field);
    expect(described.taskDefinition.revision).toBe(41);
    expect(Object.keys(stripped)[0]).toBe('containerDefinitions');
  });
});
