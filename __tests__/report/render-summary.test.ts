import { planDeploy } from '../../src/report/plan';
import {
  formatBytes,
  renderDryRunSummary,
  renderWarnings,
  type DryRunFacts,
} from '../../src/report/render-summary';
import { taskDefinitionDiff } from '../../src/report/task-definition-diff';
import { parseInputs } from '../../src/inputs/parse';

const settings = parseInputs(
  {
    service: 'api',
    cluster: 'prod',
    'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/api-migrations',
    'database-url-secret': 'prod/db',
    'image-tag': 'v1.2.0',
  },
  { workspace: '/repo', isFile: () => false },
);

function facts(overrides: Partial<DryRunFacts> = {}): DryRunFacts {
  return {
    image: {
      reference: 'registry.example.com/m@sha256:' + 'a'.repeat(64),
      digest: 'sha256:' + 'a'.repeat(64),
      platform: 'linux/amd64',
      base: 'oci-layout:///base:latest',
      baseDigest: 'sha256:' + 'b'.repeat(64),
      layerDigest: 'sha256:' + 'c'.repeat(64),
      layerSize: 2048,
      layerUncompressedSize: 10240,
      fileCount: 4,
      layoutDir: '/tmp/out/image',
    },
    migrations: ['1_init.sql', '2_users.sql'],
    taskDefinitionFile: '/tmp/out/task-definition.json',
    family: 'api',
    taskDefinitionDiff: taskDefinitionDiff('api', '{\n  "a": 1\n}\n', '{\n  "a": 2\n}\n'),
    plan: planDeploy(settings, {
      family: 'api',
      imageReference: 'x@sha256:1',
      blobCount: 3,
      tags: ['atlas-aaaaaaaaaaaa', 'v1.2.0'],
    }),
    warnings: [],
    ...overrides,
  };
}

describe('renderDryRunSummary', () => {
  it('shows the image, the migrations, the diff and the plan', () => {
    const md = renderDryRunSummary(facts());
    expect(md).toContain('## Atlas ECS deploy: dry run');
    expect(md).toContain('| Digest | `sha256:' + 'a'.repeat(64) + '` |');
    expect(md).toContain('2.0 KiB compressed, 10.0 KiB uncompressed, 4 files');
    expect(md).toContain('### Migrations (2)\n\n- `1_init.sql`\n- `2_users.sql`');
    expect(md).toContain(
      '```diff\n--- api (current)\n+++ api (new revision)\n@@ -1,3 +1,3 @@\n {\n-  "a": 1\n+  "a": 2\n }\n```',
    );
    expect(md).toContain('| pre-flight | `secretsmanager:DescribeSecret` |');
    expect(md).not.toContain('### Warnings');
  });

  it('collapses long migration lists and escapes table cells', () => {
    const migrations = Array.from({ length: 120 }, (_, i) => `${i}_m.sql`);
    const md = renderDryRunSummary(facts({ migrations, warnings: ['a | b\nc'] }));
    expect(md).toContain('- … and 70 more');
    expect(md).toContain('### Warnings\n\n- a \\| b c');
  });

  it('fences a diff that itself contains backticks', () => {
    const md = renderDryRunSummary(facts({ taskDefinitionDiff: '+ "command": ["```"]\n' }));
    expect(md).toContain('````diff\n+ "command": ["```"]\n````');
  });
});

describe('planDeploy', () => {
  it('lists the calls of a real run in order', () => {
    const calls = planDeploy(settings, {
      family: 'api',
      imageReference: 'x',
      blobCount: 3,
      tags: ['t1', 'v1.2.0'],
    }).map((c) => c.call);
    expect(calls).toEqual([
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
      'secretsmanager:DescribeSecret',
      'ecr:GetAuthorizationToken',
      'GET manifest',
      'HEAD blob',
      'PUT manifest',
      'ecs:RegisterTaskDefinition',
      'ecs:UpdateService',
      'atlas migrate apply',
      'ecs:DescribeServices, ecs:ListTasks, ecs:DescribeTasks',
      'logs:GetLogEvents',
      'ecs:UpdateService',
    ]);
  });

  it('leaves out what the settings turn off', () => {
    const quiet = {
      ...settings,
      waitForServiceStability: false,
      databaseUrlSecret: undefined,
      imageRepository: 'localhost:5000/m',
      atlasImage: { kind: 'oci-layout' as const, path: '/b' },
      taskDefinition: { kind: 'file' as const, path: '/td.json' },
    };
    const calls = planDeploy(quiet, {
      family: 'api',
      imageReference: 'x',
      blobCount: 3,
      tags: ['t1'],
    }).map((c) => c.call);
    expect(calls).toEqual([
      'ecs:DescribeServices',
      'HEAD blob',
      'PUT manifest',
      'ecs:RegisterTaskDefinition',
      'ecs:UpdateService',
      'atlas migrate apply',
    ]);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('renderWarnings', () => {
  it('lists each warning as a bullet under one heading, a table pipe escaped', () => {
    expect(renderWarnings(['td.json: dropped a null field: ipcMode (2:14)', 'a | b'])).toBe(
      '### Warnings\n\n- td.json: dropped a null field: ipcMode (2:14)\n- a \\| b\n',
    );
  });

  it('gives nothing for no warning', () => {
    expect(renderWarnings([])).toBe('');
  });
});
