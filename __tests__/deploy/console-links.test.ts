import {
  cloudWatchFragmentEscape,
  consoleOrigin,
  deploymentLinks,
  logStreamConsoleUrl,
  parseArn,
  resourceName,
  serviceConsoleUrl,
  taskConsoleUrl,
  taskDefinitionConsoleUrl,
} from '../../src/deploy/console-links';

const SERVICE_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
const TD_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web-app:42';

describe('parseArn', () => {
  it('splits an ARN', () => {
    expect(parseArn(SERVICE_ARN)).toEqual({
      partition: 'aws',
      service: 'ecs',
      region: 'eu-west-1',
      account: '123456789012',
      resource: 'service/prod/web',
    });
  });

  it('keeps colons inside the resource', () => {
    expect(parseArn(TD_ARN)?.resource).toBe('task-definition/web-app:42');
  });

  it('reads other partitions and global services', () => {
    expect(parseArn('arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c')?.partition).toBe('aws-cn');
    expect(parseArn('arn:aws:iam::123456789012:role/x')).toMatchObject({
      region: '',
      service: 'iam',
    });
  });

  it('refuses what is not an ARN', () => {
    expect(parseArn('web')).toBeUndefined();
    expect(parseArn('arn:aws:ecs')).toBeUndefined();
    expect(parseArn('')).toBeUndefined();
  });
});

describe('resourceName', () => {
  it('gives a name back unchanged', () => {
    expect(resourceName('web')).toBe('web');
  });

  it('takes the last segment of new-style and old-style ARNs', () => {
    expect(resourceName(SERVICE_ARN)).toBe('web');
    expect(resourceName('arn:aws:ecs:us-east-1:123456789012:service/web')).toBe('web');
    expect(resourceName('arn:aws:ecs:us-east-1:123456789012:cluster/prod')).toBe('prod');
    expect(resourceName(TASK_ARN)).toBe('0123456789abcdef0123456789abcdef');
  });

  it('takes a resource without a slash whole', () => {
    expect(resourceName('arn:aws:sns:us-east-1:123456789012:topic')).toBe('topic');
  });
});

describe('consoleOrigin', () => {
  it('uses the regional console host in the aws partition', () => {
    expect(consoleOrigin('eu-west-1')).toBe('https://eu-west-1.console.aws.amazon.com');
    expect(consoleOrigin('us-east-2', 'aws')).toBe('https://us-east-2.console.aws.amazon.com');
  });

  it('uses the China and GovCloud consoles', () => {
    expect(consoleOrigin('cn-north-1', 'aws-cn')).toBe('https://console.amazonaws.cn');
    expect(consoleOrigin('us-gov-west-1', 'aws-us-gov')).toBe(
      'https://console.amazonaws-us-gov.com',
    );
  });
});

describe('service and task pages', () => {
  it('links the service deployments page, by names or ARNs', () => {
    const expected =
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/deployments?region=eu-west-1';
    expect(serviceConsoleUrl({ region: 'eu-west-1', cluster: 'prod', service: 'web' })).toBe(
      expected,
    );
    expect(
      serviceConsoleUrl({
        region: 'eu-west-1',
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        service: SERVICE_ARN,
      }),
    ).toBe(expected);
  });

  it('links a task by ID or ARN', () => {
    const expected =
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0123456789abcdef0123456789abcdef/configuration?region=eu-west-1';
    expect(taskConsoleUrl({ region: 'eu-west-1', cluster: 'prod', task: TASK_ARN })).toBe(expected);
    expect(
      taskConsoleUrl({
        region: 'eu-west-1',
        cluster: 'prod',
        task: '0123456789abcdef0123456789abcdef',
      }),
    ).toBe(expected);
  });

  it('escapes names in paths', () => {
    expect(serviceConsoleUrl({ region: 'us-east-1', cluster: 'a b', service: 'c/d' })).toContain(
      '/clusters/a%20b/services/c%2Fd/',
    );
  });
});

describe('taskDefinitionConsoleUrl', () => {
  it('links a revision', () => {
    expect(taskDefinitionConsoleUrl(TD_ARN)).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/task-definitions/web-app/42/containers?region=eu-west-1',
    );
  });

  it('gives nothing for a family without revision or a non-ARN', () => {
    expect(
      taskDefinitionConsoleUrl('arn:aws:ecs:eu-west-1:123456789012:task-definition/web-app'),
    ).toBeUndefined();
    expect(taskDefinitionConsoleUrl('web-app:42')).toBeUndefined();
    expect(taskDefinitionConsoleUrl(SERVICE_ARN)).toBeUndefined();
  });
});

describe('log streams', () => {
  it("escapes names the CloudWatch console's way", () => {
    expect(cloudWatchFragmentEscape('/ecs/web')).toBe('$252Fecs$252Fweb');
    expect(cloudWatchFragmentEscape('ecs/atlas/0123')).toBe('ecs$252Fatlas$252F0123');
    expect(cloudWatchFragmentEscape('a b')).toBe('a$2520b');
    expect(cloudWatchFragmentEscape('plain')).toBe('plain');
  });

  it('links a stream', () => {
    expect(
      logStreamConsoleUrl({ region: 'eu-west-1', group: '/ecs/web', stream: 'ecs/atlas/0123' }),
    ).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fweb/log-events/ecs$252Fatlas$252F0123',
    );
  });
});

describe('deploymentLinks', () => {
  it('gives every link the facts allow', () => {
    const links = deploymentLinks({
      serviceArn: SERVICE_ARN,
      cluster: 'prod',
      taskDefinitionArn: TD_ARN,
      previousTaskDefinitionArn: TD_ARN.replace(':42', ':41'),
      taskArn: TASK_ARN,
      logStream: { group: '/ecs/web', stream: 'ecs/atlas/0123' },
    });
    expect(links.service).toContain('/services/web/deployments?region=eu-west-1');
    expect(links.task).toContain('/tasks/0123456789abcdef0123456789abcdef/');
    expect(links.taskDefinition).toContain('/task-definitions/web-app/42/');
    expect(links.previousTaskDefinition).toContain('/task-definitions/web-app/41/');
    expect(links.logStream).toContain('region=eu-west-1#logsV2:');
  });

  it("uses the stream's own region when it has one", () => {
    const links = deploymentLinks({
      serviceArn: SERVICE_ARN,
      cluster: 'prod',
      logStream: { group: 'g', stream: 's', region: 'us-west-2' },
    });
    expect(links.logStream).toMatch(/^https:\/\/us-west-2\.console\.aws\.amazon\.com\//);
  });

  it('leaves out links without a known region', () => {
    expect(deploymentLinks({ serviceArn: 'web', cluster: 'prod', taskArn: TASK_ARN })).toEqual({});
  });

  it('leaves out what it is not given', () => {
    expect(Object.keys(deploymentLinks({ serviceArn: SERVICE_ARN, cluster: 'prod' }))).toEqual([
      'service',
    ]);
  });
});
