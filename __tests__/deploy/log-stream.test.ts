import { awslogsLocation, awslogsStreamName, taskIdOf } from '../../src/deploy/log-stream';

const awslogs = (options: Record<string, string>) => ({ logDriver: 'awslogs', options });

describe('awslogsLocation', () => {
  it("reads the container's group, prefix and region", () => {
    const td = {
      containerDefinitions: [
        { name: 'web' },
        {
          name: 'atlas',
          logConfiguration: awslogs({
            'awslogs-group': '/ecs/web',
            'awslogs-stream-prefix': 'ecs',
            'awslogs-region': 'eu-west-1',
          }),
        },
      ],
    };
    expect(awslogsLocation(td, 'atlas')).toEqual({
      found: true,
      location: { group: '/ecs/web', streamPrefix: 'ecs', region: 'eu-west-1' },
    });
  });

  it('leaves the region out when the container does not set one', () => {
    const td = {
      containerDefinitions: [
        {
          name: 'atlas',
          logConfiguration: awslogs({ 'awslogs-group': 'g', 'awslogs-stream-prefix': 'p' }),
        },
      ],
    };
    expect(awslogsLocation(td, 'atlas')).toEqual({
      found: true,
      location: { group: 'g', streamPrefix: 'p' },
    });
  });

  it.each([
    [{ containerDefinitions: [{ name: 'web' }] }, 'has no container "atlas"'],
    [{}, 'has no container "atlas"'],
    [{ containerDefinitions: [{ name: 'atlas' }] }, 'has no logConfiguration'],
    [
      { containerDefinitions: [{ name: 'atlas', logConfiguration: { logDriver: 'awsfirelens' } }] },
      'logs with awsfirelens, not awslogs',
    ],
    [
      { containerDefinitions: [{ name: 'atlas', logConfiguration: {} }] },
      'logs with an unnamed driver',
    ],
    [
      {
        containerDefinitions: [
          { name: 'atlas', logConfiguration: awslogs({ 'awslogs-stream-prefix': 'p' }) },
        ],
      },
      'sets no awslogs-group',
    ],
    [
      {
        containerDefinitions: [
          { name: 'atlas', logConfiguration: awslogs({ 'awslogs-group': 'g' }) },
        ],
      },
      'sets no awslogs-stream-prefix',
    ],
  ])('says why the log cannot be found (%#)', (td, reason) => {
    const lookup = awslogsLocation(td, 'atlas');
    expect(lookup.found).toBe(false);
    expect(lookup.found ? '' : lookup.reason).toContain(reason);
  });
});

describe('stream names', () => {
  it('takes the task ID from an ARN (new and old format) or as given', () => {
    expect(taskIdOf('arn:aws:ecs:us-east-1:123456789012:task/prod/abc123')).toBe('abc123');
    expect(taskIdOf('arn:aws:ecs:us-east-1:123456789012:task/abc123')).toBe('abc123');
    expect(taskIdOf('abc123')).toBe('abc123');
  });

  it('is <prefix>/<container>/<task-id>', () => {
    expect(
      awslogsStreamName(
        { group: 'g', streamPrefix: 'ecs' },
        'atlas',
        'arn:aws:ecs:us-east-1:123456789012:task/prod/abc123',
      ),
    ).toBe('ecs/atlas/abc123');
  });
});
