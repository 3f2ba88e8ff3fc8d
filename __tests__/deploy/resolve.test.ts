import type { Service } from '@aws-sdk/client-ecs';
import type { EcsApi, SecretsApi } from '../../src/aws/api';
import { wrapAwsError } from '../../src/aws/errors';
import {
  describeTaskDefinition,
  parseSecretReference,
  resolveSecret,
  secretValueFrom,
  serviceProblems,
  taskDefinitionIdentifier,
  taskDefinitionLabel,
} from '../../src/deploy/resolve';
import { InputError } from '../../src/errors';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123';

describe('parseSecretReference', () => {
  it('takes a name whole', () => {
    expect(parseSecretReference('prod/db')).toEqual({ secretId: 'prod/db', suffix: undefined });
  });

  it('takes a full or partial ARN whole', () => {
    expect(parseSecretReference(SECRET_ARN)).toEqual({ secretId: SECRET_ARN, suffix: undefined });
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db';
    expect(parseSecretReference(partial)).toEqual({ secretId: partial, suffix: undefined });
  });

  it('splits the json-key:stage:id suffix off', () => {
    expect(parseSecretReference(`${SECRET_ARN}:url::`)).toEqual({
      secretId: SECRET_ARN,
      suffix: 'url::',
    });
    expect(parseSecretReference(`${SECRET_ARN}:url:AWSPREVIOUS:`)).toEqual({
      secretId: SECRET_ARN,
      suffix: 'url:AWSPREVIOUS:',
    });
    expect(parseSecretReference(`${SECRET_ARN}::AWSCURRENT:`).suffix).toBe(':AWSCURRENT:');
  });

  it('drops an empty suffix', () => {
    expect(parseSecretReference(`${SECRET_ARN}:::`).suffix).toBeUndefined();
  });
});

describe('secretValueFrom', () => {
  it('is the ARN alone without a suffix', () => {
    expect(secretValueFrom(SECRET_ARN, undefined)).toBe(SECRET_ARN);
  });

  it('keeps the suffix, padded to the three fields ECS wants', () => {
    expect(secretValueFrom(SECRET_ARN, 'url::')).toBe(`${SECRET_ARN}:url::`);
    expect(secretValueFrom(SECRET_ARN, 'url')).toBe(`${SECRET_ARN}:url::`);
    expect(secretValueFrom(SECRET_ARN, 'url:AWSCURRENT')).toBe(`${SECRET_ARN}:url:AWSCURRENT:`);
  });
});

describe('resolveSecret', () => {
  const secrets = (answer: Awaited<ReturnType<SecretsApi['describeSecret']>> | Error) => {
    const calls: string[] = [];
    const api: SecretsApi = {
      describeSecret: async (input) => {
        calls.push(input.SecretId!);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    return { api, calls };
  };

  it('gives the full ARN of a secret named by name', async () => {
    const { api, calls } = secrets({ ARN: SECRET_ARN, Name: 'prod/db' });
    await expect(resolveSecret(api, 'prod/db')).resolves.toEqual({
      arn: SECRET_ARN,
      name: 'prod/db',
      valueFrom: SECRET_ARN,
    });
    expect(calls).toEqual(['prod/db']);
  });

  it('asks for the ARN without its suffix and puts the suffix back', async () => {
    const { api, calls } = secrets({ ARN: SECRET_ARN, Name: 'prod/db' });
    const resolved = await resolveSecret(api, `${SECRET_ARN}:url::`);
    expect(calls).toEqual([SECRET_ARN]);
    expect(resolved.valueFrom).toBe(`${SECRET_ARN}:url::`);
  });

  it('names the input for a missing secret', async () => {
    const missing = wrapAwsError(
      Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }),
      {
        operation: 'secretsmanager:DescribeSecret',
        target: 'secret prod/db',
      },
    );
    const { api } = secrets(missing);
    const error = await resolveSecret(api, 'prod/db').catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.input).toBe('database-url-secret');
    expect(error.message).toContain('no Secrets Manager secret "prod/db"');
  });

  it('passes other failures (access denied) on as they are', async () => {
    const denied = wrapAwsError(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
      {
        operation: 'secretsmanager:DescribeSecret',
        target: 'secret prod/db',
      },
    );
    const { api } = secrets(denied);
    await expect(resolveSecret(api, 'prod/db')).rejects.toBe(denied);
  });

  it('refuses a secret scheduled for deletion', async () => {
    const { api } = secrets({ ARN: SECRET_ARN, Name: 'prod/db', DeletedDate: new Date() });
    await expect(resolveSecret(api, 'prod/db')).rejects.toThrow('scheduled for deletion');
  });

  it('refuses an answer without ARN', async () => {
    const { api } = secrets({ Name: 'prod/db' });
    await expect(resolveSecret(api, 'prod/db')).rejects.toThrow('no ARN');
  });
});

describe('serviceProblems', () => {
  const service = (fields: Partial<Service>): Service => ({
    serviceName: 'web',
    status: 'ACTIVE',
    taskDefinition: 'arn:td:1',
    ...fields,
  });

  it('accepts an ACTIVE service rolled out by ECS (given or by default)', () => {
    expect(serviceProblems(service({}), 'web')).toEqual([]);
    expect(serviceProblems(service({ deploymentController: { type: 'ECS' } }), 'web')).toEqual([]);
  });

  it.each([
    ['DRAINING', 'is DRAINING (being deleted), not ACTIVE'],
    ['INACTIVE', 'is INACTIVE (deleted), not ACTIVE'],
  ])('refuses a %s service', (status, text) => {
    const [problem] = serviceProblems(service({ status }), 'web');
    expect(problem).toBeInstanceOf(InputError);
    expect(problem!.message).toContain(text);
  });

  it('refuses CODE_DEPLOY, saying why and what to do instead', () => {
    const problems = serviceProblems(
      service({ deploymentController: { type: 'CODE_DEPLOY' } }),
      'web',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('CODE_DEPLOY deployment controller');
    expect(problems[0]!.message).toContain('CodeDeploy owns its blue/green rollouts');
    expect(problems[0]!.message).toContain('CodeDeploy deployment');
  });

  it('refuses EXTERNAL, saying why', () => {
    const [problem] = serviceProblems(
      service({ deploymentController: { type: 'EXTERNAL' } }),
      'web',
    );
    expect(problem!.message).toContain('EXTERNAL deployment controller');
    expect(problem!.message).toContain('external controller');
  });

  it('refuses an unknown controller', () => {
    const [problem] = serviceProblems(
      service({ deploymentController: { type: 'NEW' as never } }),
      'web',
    );
    expect(problem!.message).toContain('NEW deployment controller');
  });

  it('reports every problem together', () => {
    expect(
      serviceProblems(
        service({ status: 'DRAINING', deploymentController: { type: 'CODE_DEPLOY' } }),
        'web',
      ),
    ).toHaveLength(2);
  });

  it('refuses a service without a task definition', () => {
    const [problem] = serviceProblems(service({ taskDefinition: undefined }), 'web');
    expect(problem!.message).toContain('has no task definition');
  });
});

describe('task definitions', () => {
  it('turns each source into what DescribeTaskDefinition is asked for', () => {
    expect(taskDefinitionIdentifier({ kind: 'service' }, 'arn:td:3')).toBe('arn:td:3');
    expect(taskDefinitionIdentifier({ kind: 'family', family: 'web' }, 'x')).toBe('web');
    expect(
      taskDefinitionIdentifier({ kind: 'family-revision', family: 'web', revision: 7 }, 'x'),
    ).toBe('web:7');
    expect(taskDefinitionIdentifier({ kind: 'arn', arn: 'arn:td:9' }, 'x')).toBe('arn:td:9');
    expect(taskDefinitionIdentifier({ kind: 'file', path: '/td.json' }, 'x')).toBeUndefined();
  });

  it('labels a revision', () => {
    expect(taskDefinitionLabel({ family: 'web', containerDefinitions: [], revision: 4 })).toBe(
      'web:4',
    );
    expect(taskDefinitionLabel({ family: 'web', containerDefinitions: [] })).toBe('web');
  });

  function ecsWith(describe: EcsApi['describeTaskDefinition']): EcsApi {
    const unused = async () => {
      throw new Error('not expected');
    };
    return {
      describeTaskDefinition: describe,
      describeServices: unused,
      registerTaskDefinition: unused,
      updateService: unused,
      listTasks: unused,
      describeTasks: unused,
    };
  }

  it('asks with TAGS and gives plain JSON back', async () => {
    const inputs: unknown[] = [];
    const ecs = ecsWith(async (input) => {
      inputs.push(input);
      return {
        taskDefinition: {
          family: 'web',
          revision: 3,
          registeredAt: new Date(Date.UTC(2024, 0, 1)),
          containerDefinitions: [{ name: 'web', image: 'nginx' }],
        },
        tags: [{ key: 'team', value: 'db' }],
      };
    });
    const described = await describeTaskDefinition(ecs, 'web:3');
    expect(inputs).toEqual([{ taskDefinition: 'web:3', include: ['TAGS'] }]);
    expect(described).toEqual({
      taskDefinition: {
        family: 'web',
        revision: 3,
        registeredAt: '2024-01-01T00:00:00.000Z',
        containerDefinitions: [{ name: 'web', image: 'nginx' }],
      },
      tags: [{ key: 'team', value: 'db' }],
    });
  });

  it('leaves tags undefined when ECS gives none', async () => {
    const ecs = ecsWith(async () => ({
      taskDefinition: { family: 'web', containerDefinitions: [] },
    }));
    expect((await describeTaskDefinition(ecs, 'web')).tags).toBeUndefined();
  });

  it('names the input for a task definition ECS cannot describe', async () => {
    const ecs = ecsWith(async () => {
      throw wrapAwsError(
        Object.assign(new Error('Unable to describe task definition.'), {
          name: 'ClientException',
        }),
        { operation: 'ecs:DescribeTaskDefinition', target: 'task definition web:99' },
      );
    });
    const error = await describeTaskDefinition(ecs, 'web:99').catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.input).toBe('task-definition');
    expect(error.message).toContain('"web:99" cannot be described');
  });

  it('passes other failures on', async () => {
    const denied = new Error('denied');
    const ecs = ecsWith(async () => {
      throw denied;
    });
    await expect(describeTaskDefinition(ecs, 'web')).rejects.toBe(denied);
  });

  it('refuses an empty answer', async () => {
    const ecs = ecsWith(async () => ({}));
    await expect(describeTaskDefinition(ecs, 'web', 'service')).rejects.toThrow(
      "Input 'service': DescribeTaskDefinition returned no task definition",
    );
  });
});
