import {
  findArnPlaceholder,
  findImagePlaceholder,
  findPlaceholder,
  renderFix,
} from '../../src/taskdef/placeholders';

describe('findPlaceholder', () => {
  it.each([
    ['${IMAGE_NAME}', '${IMAGE_NAME}', 'variable'],
    ['tis-trainee-details-${environment}', '${environment}', 'variable'],
    ['${ecr_repository_url}:staging-latest', '${ecr_repository_url}', 'variable'],
    ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x', '${AWS::Partition}', 'variable'],
    ['${IMAGE:-nginx}', '${IMAGE:-nginx}', 'variable'],
    ['widget-$APP_ENV', '$APP_ENV', 'variable'],
    ['repo/widget:$IMAGE_TAG', '$IMAGE_TAG', 'variable'],
    ['{{ must_env `IMAGE` }}', '{{ must_env `IMAGE` }}', 'mustache'],
    ['katsubushi:{{ env `TAG` `latest` }}', '{{ env `TAG` `latest` }}', 'mustache'],
    ['{{task-role-arn}}', '{{task-role-arn}}', 'mustache'],
    ['<NGINX_IMAGE_NAME>', '<NGINX_IMAGE_NAME>', 'angle'],
    ['arn:aws:iam::<aws_account_id>:role/x', '<aws_account_id>', 'angle'],
    ['REPLACE_ME', 'REPLACE_ME', 'word'],
    ['REPLACEME', 'REPLACEME', 'word'],
    ['REPLACED_BY_CI', 'REPLACED_BY_CI', 'word'],
    ['CHANGE_ME', 'CHANGE_ME', 'word'],
    ['web-CHANGEME', 'CHANGEME', 'word'],
    ['YOUR_ECR_REPO_URI:latest', 'YOUR_ECR_REPO_URI', 'word'],
    ['arn:aws:iam::YOUR_ACCOUNT_ID:role/x', 'YOUR_ACCOUNT_ID', 'word'],
    ['arn:aws:iam::ACCOUNT_ID:role/x', 'ACCOUNT_ID', 'word'],
    ['arn:aws:iam::AWS_ACCOUNT_ID:role/x', 'AWS_ACCOUNT_ID', 'word'],
    ['arn:aws:iam::XXXXXXXXXXXX:role/x', 'XXXXXXXXXXXX', 'word'],
    ['TODO', 'TODO', 'word'],
    ['PLACEHOLDER', 'PLACEHOLDER', 'word'],
    ['IMAGE_HERE', 'IMAGE_HERE', 'word'],
  ])('finds %j: %j (%s)', (value, text, form) => {
    expect(findPlaceholder(value)).toMatchObject({ text, form });
  });

  it('reports the first placeholder in the value', () => {
    expect(findPlaceholder('<a>-${b}-{{c}}')?.text).toBe('<a>');
    expect(findPlaceholder('${b}-<a>')?.text).toBe('${b}');
  });

  it('describes what it found, for the message', () => {
    expect(findPlaceholder('x-${ENV}')?.description).toBe(
      'which holds the unrendered variable ${ENV}',
    );
    expect(findPlaceholder('{{x}}')?.description).toBe('which holds the unrendered template {{x}}');
    expect(findPlaceholder('<x>')?.description).toBe('which holds the placeholder <x>');
    expect(findPlaceholder('REPLACE_ME')?.description).toBe(
      'which holds the placeholder REPLACE_ME',
    );
  });

  it.each([
    'nginx:1.25',
    'nginx@sha256:' + 'a'.repeat(64),
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.8.0',
    'public.ecr.aws/aws-observability/aws-otel-collector:latest',
    'web',
    'web-api_2',
    'change-log',
    'replace-worker',
    'ChangeMe',
    'your_app',
    'REPLACE',
    'CHANGE_TRACKER',
    'ACCOUNT',
    'XXX',
    'MY_SERVICE',
    'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    '/tis/trainee/prod/db/host',
    'price-$',
    '$1',
  ])('finds nothing in %j', (value) => {
    expect(findPlaceholder(value)).toBeUndefined();
  });
});

describe('findArnPlaceholder', () => {
  it('finds templates and words first', () => {
    expect(findArnPlaceholder('arn:aws:iam::{{must_env `AWS_ACCOUNT_ID`}}:role/x')?.form).toBe(
      'mustache',
    );
    expect(
      findArnPlaceholder('arn:aws:secretsmanager:YOUR_REGION:123456789012:secret:x'),
    ).toMatchObject({
      text: 'YOUR_REGION',
      form: 'word',
    });
  });

  it.each([
    [
      'arn:aws:iam::11111111111:role/x',
      '11111111111',
      'which has "11111111111" for its account, not a 12-digit AWS account ID',
    ],
    [
      'arn:aws:iam::xxxxxxxxxxxx:role/x',
      'xxxxxxxxxxxx',
      'which has "xxxxxxxxxxxx" for its account, not a 12-digit AWS account ID',
    ],
    ['arn:aws:iam:::role/x', '', 'which has "" for its account, not a 12-digit AWS account ID'],
    [
      'arn:aws:secretsmanager:region:123456789012:secret:x',
      'region',
      'which has "region" for its region, not an AWS region such as us-east-1',
    ],
    [
      'arn:amazon:iam::123456789012:role/x',
      'amazon',
      'which has "amazon" for its partition, not aws, aws-cn, aws-us-gov or another AWS partition',
    ],
  ])('finds an account, region or partition that is not one in %j', (value, text, description) => {
    expect(findArnPlaceholder(value)).toEqual({ text, form: 'aws-id', description });
  });

  it.each([
    'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    'arn:aws-cn:iam::123456789012:role/x',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-AbCdEf',
    'arn:aws:secretsmanager:eu-central-1:123456789012:secret:staging/db:POSTGRES_HOST::',
    'arn:aws:ssm:ap-southeast-3:123456789012:parameter/app/db/url',
    'ecsTaskRole',
    '/app/prod/db-url',
    'prod-db-url',
  ])('accepts %j', (value) => {
    expect(findArnPlaceholder(value)).toBeUndefined();
  });
});

describe('findImagePlaceholder', () => {
  it('finds an ECR registry whose account or region is not one', () => {
    expect(findImagePlaceholder('xxxxxxxxxxxx.dkr.ecr.us-east-1.amazonaws.com/app:1')).toEqual({
      text: 'xxxxxxxxxxxx',
      form: 'aws-id',
      description:
        'whose ECR registry has "xxxxxxxxxxxx" for its account, not a 12-digit AWS account ID',
    });
    expect(findImagePlaceholder('123456789012.dkr.ecr.region.amazonaws.com/app')?.text).toBe(
      'region',
    );
    expect(findImagePlaceholder('YOUR_ACCOUNT_ID.dkr.ecr.YOUR_REGION.amazonaws.com/x')?.text).toBe(
      'YOUR_ACCOUNT_ID',
    );
  });

  it.each([
    'nginx:1.25',
    'amazon/aws-xray-daemon',
    'ghcr.io/acme/api@sha256:' + 'b'.repeat(64),
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.8.0',
    '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/web',
    '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1',
    'localhost:5000/web:dev',
  ])('accepts %j', (image) => {
    expect(findImagePlaceholder(image)).toBeUndefined();
  });
});

describe('renderFix', () => {
  it('points templates at rendering the file first, and samples at filling them in', () => {
    expect(renderFix('variable')).toContain('envsubst');
    expect(renderFix('variable')).toContain('aws-actions/amazon-ecs-render-task-definition');
    expect(renderFix('mustache')).toContain('ecspresso render');
    expect(renderFix('angle')).toContain('replace the placeholder with the real value');
    expect(renderFix('word')).toContain('replace the placeholder with the real value');
    expect(renderFix('aws-id')).toContain('123456789012');
  });
});
