import {
  isLoopbackRegistry,
  parseEcrHost,
  parseImageReference,
  parseRepository,
  repositoryName,
} from '../../src/registry/reference';

const digest = `sha256:${'c'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['arigaio/atlas', { registry: 'registry-1.docker.io', repository: 'arigaio/atlas' }],
    [
      'arigaio/atlas:latest',
      { registry: 'registry-1.docker.io', repository: 'arigaio/atlas', tag: 'latest' },
    ],
    ['nginx', { registry: 'registry-1.docker.io', repository: 'library/nginx' }],
    [
      'docker.io/library/nginx:1.27',
      { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: '1.27' },
    ],
    [
      'index.docker.io/arigaio/atlas',
      { registry: 'registry-1.docker.io', repository: 'arigaio/atlas' },
    ],
    ['localhost/atlas', { registry: 'localhost', repository: 'atlas' }],
    ['localhost:5000/a/b:v1', { registry: 'localhost:5000', repository: 'a/b', tag: 'v1' }],
    ['127.0.0.1:5000/atlas@' + digest, { registry: '127.0.0.1:5000', repository: 'atlas', digest }],
    ['[::1]:5000/atlas:1', { registry: '[::1]:5000', repository: 'atlas', tag: '1' }],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/arigaio/atlas:0.30.0@' + digest,
      {
        registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
        repository: 'docker-hub/arigaio/atlas',
        tag: '0.30.0',
        digest,
      },
    ],
    [
      'ghcr.io/ariga/atlas__x/y-z.w:v_1',
      { registry: 'ghcr.io', repository: 'ariga/atlas__x/y-z.w', tag: 'v_1' },
    ],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    '',
    'arigaio/Atlas',
    'arigaio/atlas:',
    'arigaio/atlas::latest',
    'arigaio/atlas@sha256:abc',
    'arigaio/atlas@md5:' + 'a'.repeat(32),
    'arigaio//atlas',
    'arigaio/atlas:-bad',
    'https://ghcr.io/a/b',
    'ghcr.io/a/b_',
    'a'.repeat(256),
  ])('rejects %j', (text) => {
    expect(parseImageReference(text)).toBeUndefined();
  });
});

describe('parseRepository', () => {
  it('needs a registry host and no tag or digest', () => {
    expect(parseRepository('registry.example.com/team/app')).toEqual({
      registry: 'registry.example.com',
      repository: 'team/app',
    });
    expect(parseRepository('localhost:5000/app')).toEqual({
      registry: 'localhost:5000',
      repository: 'app',
    });
    expect(parseRepository('team/app')).toBeUndefined();
    expect(parseRepository('app')).toBeUndefined();
    expect(parseRepository('registry.example.com/app:v1')).toBeUndefined();
    expect(parseRepository(`registry.example.com/app@${digest}`)).toBeUndefined();
  });

  it('renders back to host/path', () => {
    expect(repositoryName(parseRepository('127.0.0.1:5000/a/b')!)).toBe('127.0.0.1:5000/a/b');
  });
});

describe('isLoopbackRegistry', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.10.20.30', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['10.0.0.1:5000', false],
    ['registry-1.docker.io', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackRegistry(host)).toBe(expected);
  });
});

describe('parseEcrHost', () => {
  it('finds account and region of ECR hosts only', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.eu-central-1.amazonaws.com')).toEqual({
      accountId: '123456789012',
      region: 'eu-central-1',
    });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toEqual({
      accountId: '123456789012',
      region: 'cn-north-1',
    });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com')).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
    });
    expect(parseEcrHost('public.ecr.aws')).toBeUndefined();
    expect(parseEcrHost('ghcr.io')).toBeUndefined();
    expect(parseEcrHost('12345.dkr.ecr.us-east-1.amazonaws.com')).toBeUndefined();
  });
});
