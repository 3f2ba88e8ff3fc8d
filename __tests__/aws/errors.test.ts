import { RemoteError } from '../../src/errors';
import {
  AwsCallError,
  fixFor,
  isAwsError,
  isTransientAwsError,
  sdkErrorCode,
  wrapAwsError,
} from '../../src/aws/errors';

function sdkError(name: string, message: string, status?: number, fault?: string): Error {
  const error = new Error(message) as Error & Record<string, unknown>;
  error.name = name;
  if (status !== undefined) error.$metadata = { httpStatusCode: status };
  if (fault) error.$fault = fault;
  return error;
}

const context = { operation: 'ecs:DescribeServices', target: 'service web in cluster prod' };

describe('sdkErrorCode', () => {
  it("is the SDK error's name", () => {
    expect(sdkErrorCode(sdkError('ServiceNotFoundException', 'x'))).toBe(
      'ServiceNotFoundException',
    );
  });

  it('is the network code of a failed connection', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(sdkErrorCode(error)).toBe('ECONNREFUSED');
  });

  it('falls back to a code property, then to Error', () => {
    expect(sdkErrorCode({ code: 'Weird' })).toBe('Weird');
    expect(sdkErrorCode(new Error('plain'))).toBe('Error');
    expect(sdkErrorCode('text')).toBe('Error');
  });
});

describe('isTransientAwsError', () => {
  it.each([
    sdkError('ThrottlingException', 'Rate exceeded', 400),
    sdkError('TooManyRequestsException', 'slow down', 429),
    sdkError('ServerException', 'oops', 500),
    sdkError('Whatever', 'unavailable', 503),
    sdkError('InternalFailure', 'x', undefined, 'server'),
    sdkError('TimeoutError', 'timed out'),
    Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
  ])('retries %p', (error) => {
    expect(isTransientAwsError(error)).toBe(true);
  });

  it.each([
    sdkError('AccessDeniedException', 'no', 400),
    sdkError('ClientException', 'bad', 400),
    new Error('plain'),
  ])('does not retry %p', (error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });

  it('reads the flag of an already wrapped error', () => {
    expect(
      isTransientAwsError(wrapAwsError(sdkError('ThrottlingException', 'x', 400), context)),
    ).toBe(true);
  });
});

describe('fixFor', () => {
  it('names the IAM action of the call for an access denial', () => {
    const fix = fixFor(sdkError('AccessDeniedException', 'User: x is not authorized'), context);
    expect(fix).toContain('allow ecs:DescribeServices for the role this workflow uses');
  });

  it('names the action the denial message names (iam:PassRole)', () => {
    const fix = fixFor(
      sdkError(
        'ClientException',
        'User: arn:aws:sts::123456789012:assumed-role/deploy/gh is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/exec',
      ),
      { operation: 'ecs:RegisterTaskDefinition', target: 'family web', alsoNeeds: 'iam:PassRole' },
    );
    expect(fix).toContain('allow iam:PassRole for the role');
  });

  it('adds what else the call needs', () => {
    expect(
      fixFor(sdkError('AccessDeniedException', 'denied'), {
        operation: 'ecs:RegisterTaskDefinition',
        target: 'family web',
        alsoNeeds: 'iam:PassRole on its roles',
      }),
    ).toContain('allow ecs:RegisterTaskDefinition (and iam:PassRole on its roles)');
  });

  it('points at the cluster and service inputs', () => {
    expect(fixFor(sdkError('ClusterNotFoundException', 'Cluster not found.'), context)).toContain(
      "'cluster' input",
    );
    expect(fixFor(sdkError('ServiceNotFoundException', 'Service not found.'), context)).toContain(
      "'service' and 'cluster' inputs",
    );
    expect(fixFor(sdkError('ServiceNotActiveException', 'x'), context)).toContain('active one');
  });

  it("uses the call's own meaning of a missing resource", () => {
    expect(
      fixFor(sdkError('ResourceNotFoundException', 'x'), { ...context, notFoundFix: 'make it' }),
    ).toBe('make it');
    expect(fixFor(sdkError('ResourceNotFoundException', 'x'), context)).toContain('region');
  });

  it('explains missing and expired credentials', () => {
    expect(
      fixFor(
        sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
        context,
      ),
    ).toContain('aws-actions/configure-aws-credentials');
    expect(
      fixFor(
        sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
        context,
      ),
    ).toContain('expired');
    expect(fixFor(sdkError('UnrecognizedClientException', 'invalid token'), context)).toContain(
      'configure AWS credentials',
    );
  });

  it('explains a missing region', () => {
    expect(fixFor(new Error('Region is missing'), context)).toContain('AWS_REGION');
  });

  it('explains throttling that outlasted the retries and network failures', () => {
    expect(fixFor(sdkError('ThrottlingException', 'Rate exceeded'), context)).toContain(
      'throttling',
    );
    expect(fixFor(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), context)).toContain(
      'AWS_ENDPOINT_URL',
    );
  });

  it('has nothing to add for other errors', () => {
    expect(fixFor(sdkError('InvalidParameterException', 'bad'), context)).toBeUndefined();
  });
});

describe('wrapAwsError', () => {
  it('names the operation, target, code and cause, and keeps the original', () => {
    const original = sdkError('ServiceNotFoundException', 'Service not found.', 400);
    const wrapped = wrapAwsError(original, context);
    expect(wrapped).toBeInstanceOf(RemoteError);
    expect(wrapped).toBeInstanceOf(AwsCallError);
    expect(wrapped.message).toBe(
      "ecs:DescribeServices on service web in cluster prod failed: ServiceNotFoundException: Service not found. Fix: check the 'service' and 'cluster' inputs: the service must run in that cluster, in this account and region",
    );
    expect(wrapped).toMatchObject({
      code: 'ServiceNotFoundException',
      httpStatus: 400,
      transient: false,
    });
    expect((wrapped as { cause?: unknown }).cause).toBe(original);
  });

  it('does not repeat a code the message starts with, nor name a plain Error', () => {
    expect(wrapAwsError(sdkError('Boom', 'Boom: details'), context).causeMessage).toBe(
      'Boom: details',
    );
    expect(wrapAwsError(new Error('Region is missing'), context).causeMessage).toBe(
      'Region is missing',
    );
  });

  it('leaves an AwsCallError as it is', () => {
    const wrapped = wrapAwsError(sdkError('X', 'y'), context);
    expect(wrapAwsError(wrapped, { operation: 'other', target: 'other' })).toBe(wrapped);
  });

  it('is recognised by code', () => {
    const wrapped = wrapAwsError(sdkError('ResourceNotFoundException', 'gone'), context);
    expect(isAwsError(wrapped)).toBe(true);
    expect(isAwsError(wrapped, 'ResourceNotFoundException')).toBe(true);
    expect(isAwsError(wrapped, 'AccessDeniedException')).toBe(false);
    expect(isAwsError(new Error('x'))).toBe(false);
  });
});
