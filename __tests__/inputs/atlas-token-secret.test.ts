// Input atlas-token-secret: a Secrets Manager name or ARN like database-url-secret; a token or a
// database URL pasted in its place is refused without being echoed.
import { InputError, ValidationErrors } from '../../src/errors';
import { looksLikeAtlasToken, parseInputs, type RawInputs } from '../../src/inputs/parse';

const ctx = { workspace: '/repo', isFile: () => false };
const base: RawInputs = {
  service: 'api',
  'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/api-migrations',
};

function errorsOf(raw: RawInputs): InputError[] {
  try {
    parseInputs({ ...base, ...raw }, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationErrors);
    return (error as ValidationErrors).errors as InputError[];
  }
  throw new Error('expected parseInputs to fail');
}

it.each([
  ['a name', 'prod/atlas-token'],
  ['an ARN', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/atlas-token-AbC123'],
  [
    'an ARN with a JSON key',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/ci-AbC123:atlas::',
  ],
])('takes %s', (_label, value) => {
  const settings = parseInputs({ ...base, 'atlas-token-secret': value }, ctx);
  expect(settings.atlasTokenSecret).toBe(value);
  expect(settings.databaseUrlSecret).toBeUndefined();
});

it('is absent when empty', () => {
  expect(parseInputs(base, ctx).atlasTokenSecret).toBeUndefined();
});

it.each([
  ['a bot token', 'aci_1f3b5d7a9c0e2468ace13579bdf02468'],
  ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QtMTIzIn0.c2lnbmF0dXJlLXZhbHVlLTEyMw'],
])('refuses %s without echoing it', (_label, value) => {
  const [error] = errorsOf({ 'atlas-token-secret': value });
  expect(error!.input).toBe('atlas-token-secret');
  expect(error!.message).toMatch(
    /^Input 'atlas-token-secret': looks like an Atlas Cloud token, not a secret name \(value hidden\)\. Fix: store the token in Secrets Manager/,
  );
  expect(error!.message).not.toContain(value);
  expect(looksLikeAtlasToken(value)).toBe(true);
});

it('refuses a database URL without echoing it, and a bad name with it', () => {
  const [url] = errorsOf({ 'atlas-token-secret': 'postgres://app:hunter2@db/app' });
  expect(url!.message).toMatch(/value hidden/);
  expect(url!.message).not.toContain('hunter2');
  const [name] = errorsOf({ 'atlas-token-secret': 'atlas token' });
  expect(name!.message).toBe(
    `Input 'atlas-token-secret': "atlas token" is neither a Secrets Manager secret name nor an ARN. Fix: use the secret name, its ARN, or ARN:json-key:: for a key of a JSON secret`,
  );
});

it('secret names are not taken for tokens', () => {
  for (const name of ['prod/atlas-token', 'atlas_cloud_token', 'ci.atlas.token']) {
    expect(looksLikeAtlasToken(name)).toBe(false);
  }
});
