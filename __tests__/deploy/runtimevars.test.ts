// The runtimevar pre-flight through the real SDK clients against the loopback AWS: each lookup is
// signed for the runtimevar's own region (and only a secret of that region is found), SSM is read
// without decryption, a missing source is a problem at atlas.hcl's line, a denied lookup a
// warning; and who must read what, for the summary.
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { arnAccount, arnRegion, checkRuntimevars } from '../../src/deploy/runtimevars';
import { FileProblem } from '../../src/errors';
import type { RuntimevarSource } from '../../src/migrations/env-contract';
import {
  renderSecretReaders,
  secretReaderLines,
  secretReaders,
} from '../../src/taskdef/secret-readers';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';

let aws: FakeAws;
let restoreEnv: (() => void) | undefined;
let clients: AwsClients | undefined;

beforeEach(async () => {
  aws = new FakeAws({ region: 'us-east-1' });
  await aws.start();
});

afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  restoreEnv?.();
  restoreEnv = undefined;
  await aws.close();
});

function apis(env: Record<string, string | undefined> = {}) {
  restoreEnv = useFakeAwsEnv(aws, env);
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/test', maxAttempts: 1 });
  return createAwsApis(clients);
}

function source(fields: Partial<RuntimevarSource> = {}): RuntimevarSource {
  return {
    label: 'url',
    url: 'awssecretsmanager://mydb?region=us-east-2',
    scheme: 'awssecretsmanager',
    name: 'mydb',
    region: 'us-east-2',
    at: { file: 'atlas.hcl', line: 2, column: 3 },
    ...fields,
  };
}

function paramstore(fields: Partial<RuntimevarSource> = {}): RuntimevarSource {
  return source({
    label: 'db',
    url: 'awsparamstore:///prod/db-url?region=eu-west-1&decoder=string',
    scheme: 'awsparamstore',
    name: '/prod/db-url',
    region: 'eu-west-1',
    ...fields,
  });
}

describe('awssecretsmanager', () => {
  it("DescribeSecret in the URL's region finds the secret there", async () => {
    const arn = aws.secrets.add('mydb', { region: 'us-east-2' });
    const found = await checkRuntimevars([source()], apis());
    expect(found.problems).toEqual([]);
    expect(found.warnings).toEqual([]);
    expect(found.resources).toEqual([{ source: source(), region: 'us-east-2', arn }]);
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-2:/);
    expect(aws.calls.map((c) => [c.service, c.operation, c.region, c.body])).toEqual([
      ['secretsmanager', 'DescribeSecret', 'us-east-2', { SecretId: 'mydb' }],
    ]);
  });

  it('a secret of the same name in the default region is not the one Atlas reads', async () => {
    aws.secrets.add('mydb');
    const found = await checkRuntimevars([source()], apis());
    expect(found.problems).toHaveLength(1);
    const problem = found.problems[0] as FileProblem;
    expect(problem).toBeInstanceOf(FileProblem);
    expect(problem.location).toEqual({ file: 'atlas.hcl', line: 2, column: 3 });
    expect(problem.message).toBe(
      `atlas.hcl:2:3: data "runtimevar" "url" reads Secrets Manager secret "mydb" in us-east-2, which does not exist there (secretsmanager:DescribeSecret: ResourceNotFoundException), so Atlas would fail in the task. Fix: create it (aws secretsmanager create-secret --name mydb --secret-string '<value>' --region us-east-2), or correct the secret's name or the ?region= of the URL in atlas.hcl`,
    );
  });

  it("no ?region=: the task's region, said so when missing", async () => {
    const noRegion = source({ url: 'awssecretsmanager://mydb', region: undefined });
    const found = await checkRuntimevars([noRegion], apis(), { taskRegion: 'us-east-1' });
    expect(aws.calls.map((c) => c.region)).toEqual(['us-east-1']);
    expect(found.problems[0]!.message).toContain(
      "which does not exist there (the URL has no ?region=, so Atlas reads it in the task's region, us-east-1)",
    );
  });

  it('the standard configuration still applies: AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    const other = new FakeAws();
    await other.start();
    try {
      other.secrets.add('mydb', { region: 'us-east-2' });
      const found = await checkRuntimevars(
        [source()],
        apis({ AWS_ENDPOINT_URL_SECRETS_MANAGER: other.url }),
      );
      expect(found.problems).toEqual([]);
      expect(other.calls.map((c) => [c.operation, c.region])).toEqual([
        ['DescribeSecret', 'us-east-2'],
      ]);
      expect(aws.calls).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a denied lookup is a warning; a secret being deleted is a problem', async () => {
    aws.secrets.add('mydb', { region: 'us-east-2', denied: true });
    aws.secrets.add('old', { region: 'us-east-2', deleted: true });
    const found = await checkRuntimevars(
      [source(), source({ label: 'old', name: 'old', at: { file: 'atlas.hcl', line: 6 } })],
      apis(),
    );
    expect(found.warnings).toEqual([
      {
        location: { file: 'atlas.hcl', line: 2, column: 3 },
        message:
          'could not check that data "runtimevar" "url" (Secrets Manager secret "mydb" in us-east-2) exists: secretsmanager:DescribeSecret is not allowed for the role this workflow uses (allow it on that resource to have a missing one refused before the deploy); Atlas reads it in the task with the task role',
      },
    ]);
    expect(found.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /^atlas\.hcl:6: data "runtimevar" "old" reads Secrets Manager secret "old" in us-east-2, which is scheduled for deletion.*Fix: restore it \(aws secretsmanager restore-secret --secret-id old --region us-east-2\)/,
      ),
    ]);
  });

  it('a customer managed key comes back for the summary', async () => {
    const key = 'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    aws.secrets.add('mydb', { region: 'us-east-2', kmsKeyId: key });
    const found = await checkRuntimevars([source()], apis());
    expect(found.resources[0]!.kmsKeyId).toBe(key);
  });
});

describe('awsparamstore', () => {
  it('GetParameter in its region, without decryption', async () => {
    const arn = aws.parameters.add('/prod/db-url', { region: 'eu-west-1' });
    const found = await checkRuntimevars([paramstore()], apis());
    expect(found.problems).toEqual([]);
    expect(found.resources).toEqual([
      { source: paramstore(), region: 'eu-west-1', arn, secureString: true },
    ]);
    expect(arn).toBe('arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db-url');
    expect(aws.calls.map((c) => [c.service, c.operation, c.region, c.body])).toEqual([
      ['ssm', 'GetParameter', 'eu-west-1', { Name: '/prod/db-url', WithDecryption: false }],
    ]);
  });

  it('ParameterNotFound is a problem naming the parameter, the region and the fix', async () => {
    aws.parameters.add('/prod/db-url');
    const found = await checkRuntimevars([paramstore()], apis());
    expect(found.problems.map((p) => p.message)).toEqual([
      `atlas.hcl:2:3: data "runtimevar" "db" reads SSM parameter "/prod/db-url" in eu-west-1, which does not exist there (ssm:GetParameter: ParameterNotFound), so Atlas would fail in the task. Fix: create it (aws ssm put-parameter --name /prod/db-url --type SecureString --value '<value>' --region eu-west-1), or correct the parameter's name or the ?region= of the URL in atlas.hcl`,
    ]);
  });

  it('AccessDenied is a warning', async () => {
    aws.parameters.add('/prod/db-url', { region: 'eu-west-1', denied: true });
    const found = await checkRuntimevars([paramstore()], apis());
    expect(found.problems).toEqual([]);
    expect(found.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/ssm:GetParameter is not allowed for the role this workflow uses/),
    ]);
  });

  it('a version it does not have', async () => {
    aws.parameters.add('/prod/db-url', { region: 'eu-west-1' });
    const found = await checkRuntimevars([paramstore({ name: '/prod/db-url:3' })], apis());
    expect(found.problems[0]!.message).toMatch(/has no such version/);
  });

  it('uses AWS_ENDPOINT_URL_SSM when it is set', async () => {
    const other = new FakeAws();
    await other.start();
    try {
      other.parameters.add('/prod/db-url', { region: 'eu-west-1', type: 'String' });
      const found = await checkRuntimevars(
        [paramstore()],
        apis({ AWS_ENDPOINT_URL_SSM: other.url }),
      );
      expect(found.resources[0]!.secureString).toBe(false);
      expect(other.calls.map((c) => c.operation)).toEqual(['GetParameter']);
    } finally {
      await other.close();
    }
  });
});

it('other schemes are not looked up; every lookup runs, problems and warnings together', async () => {
  aws.secrets.add('denied', { region: 'us-east-2', denied: true });
  const found = await checkRuntimevars(
    [
      source({ label: 'c', url: 'constant://?val=x', scheme: 'constant', name: '' }),
      source({ label: 'a' }),
      source({ label: 'b', name: 'denied' }),
      paramstore(),
    ],
    apis(),
  );
  expect(found.problems).toHaveLength(2);
  expect(found.warnings).toHaveLength(1);
  expect(found.resources.map((r) => r.source.label)).toEqual(['a', 'b', 'db']);
});

it('ARN parts', () => {
  const service = 'arn:aws:ecs:eu-central-1:123456789012:service/prod/web';
  expect(arnRegion(service)).toBe('eu-central-1');
  expect(arnAccount(service)).toBe('123456789012');
  expect(arnRegion('web')).toBeUndefined();
  expect(arnAccount(undefined)).toBeUndefined();
});

describe('who reads which secret', () => {
  const td = {
    family: 'web',
    taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
    containerDefinitions: [],
  };

  it('the task role reads the runtimevars, the execution role the ECS secrets', () => {
    const readers = secretReaders({
      taskDefinition: td,
      runtimevars: [
        {
          source: source(),
          region: 'us-east-2',
          arn: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbC123',
        },
        { source: paramstore(), region: 'eu-west-1', secureString: true },
      ],
      atlasToken: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-token-AbC123',
    });
    expect(secretReaderLines(readers)).toEqual([
      'The task role arn:aws:iam::123456789012:role/web-task must be allowed secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbC123: data "runtimevar" "url" (atlas.hcl:2:3), read by Atlas in the container',
      'The task role arn:aws:iam::123456789012:role/web-task must be allowed ssm:GetParameter on arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db-url (and kms:Decrypt with the key of this SecureString): data "runtimevar" "db" (atlas.hcl:2:3), read by Atlas in the container',
      'The execution role arn:aws:iam::123456789012:role/web-execution must be allowed secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-token-AbC123: ATLAS_TOKEN (atlas-token-secret), fetched by ECS when the task starts',
    ]);
    const section = renderSecretReaders(readers);
    expect(section).toContain('### Secrets and the roles that read them');
    expect(section).toContain(
      '| task role `arn:aws:iam::123456789012:role/web-task` | `secretsmanager:GetSecretValue` | `arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-AbC123` |',
    );
  });

  it('a secret not looked up (a dry run) gets the pattern IAM matches it with', () => {
    const readers = secretReaders({
      taskDefinition: { ...td, taskRoleArn: undefined },
      runtimevars: [{ source: source(), region: 'us-east-2' }],
      databaseUrl: 'prod/db',
    });
    expect(readers.map((r) => [r.role, r.roleArn, r.resource])).toEqual([
      ['task role', undefined, 'arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-??????'],
      [
        'execution role',
        'arn:aws:iam::123456789012:role/web-execution',
        'arn:aws:secretsmanager:<region>:123456789012:secret:prod/db-??????',
      ],
    ]);
    expect(renderSecretReaders([])).toBe('');
  });
});
