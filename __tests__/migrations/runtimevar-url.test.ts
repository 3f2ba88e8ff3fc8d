import { parseRuntimevarUrl } from '../../src/migrations/runtimevar-url';

describe('parseRuntimevarUrl', () => {
  it.each([
    [
      'awssecretsmanager://mydb?region=us-east-2',
      { scheme: 'awssecretsmanager', name: 'mydb', region: 'us-east-2' },
    ],
    [
      'awssecretsmanager://prod/app/db?region=eu-west-1&awssdk=v2',
      { scheme: 'awssecretsmanager', name: 'prod/app/db', region: 'eu-west-1' },
    ],
    [
      'awsparamstore:///app/db?region=us-west-1&decoder=string',
      { scheme: 'awsparamstore', name: '/app/db', region: 'us-west-1', decoder: 'string' },
    ],
    ['awsparamstore://app/db/', { scheme: 'awsparamstore', name: 'app/db' }],
    ['AWSSecretsManager://a%20b', { scheme: 'awssecretsmanager', name: 'a b' }],
    [
      'gcpsecretmanager://projects/p/secrets/s',
      { scheme: 'gcpsecretmanager', name: 'projects/p/secrets/s' },
    ],
  ])('reads %s', (url, expected) => {
    expect(parseRuntimevarUrl(url)).toEqual(expected);
  });

  it('keeps an ARN as the name, takes its region, and says why Go cannot parse it', () => {
    expect(
      parseRuntimevarUrl(
        'awssecretsmanager://arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbC',
      ),
    ).toEqual({
      scheme: 'awssecretsmanager',
      name: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbC',
      region: 'us-east-2',
      invalid: `Go's URL parser rejects it (invalid port ":db-AbC" after host)`,
    });
    // A numeric port is one Go accepts.
    expect(parseRuntimevarUrl('httpvar://host:8080/x')?.invalid).toBeUndefined();
  });

  it('has nothing for a url without scheme://', () => {
    expect(parseRuntimevarUrl('mydb')).toBeUndefined();
  });
});
