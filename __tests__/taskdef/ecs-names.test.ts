import {
  CONTAINER_NAME_RULE,
  FAMILY_PATTERN,
  FAMILY_RULE,
  IMAGE_RULE,
} from '../../src/taskdef/ecs-names';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe.each([
  ['family', FAMILY_RULE],
  ['container name', CONTAINER_NAME_RULE],
])('the %s rule', (_, rule) => {
  it('allows up to 255 letters, numbers, underscores and hyphens', () => {
    expect(rule.check('a'.repeat(255))).toBeUndefined();
    expect(rule.check('Web_API-2')).toBeUndefined();
    expect(rule.check('a')).toBeUndefined();
  });

  it('refuses 256 characters', () => {
    expect(rule.check('a'.repeat(256))).toBe(
      'it is 256 characters long, more than the 255 ECS allows',
    );
  });

  it('names each character it refuses, once', () => {
    expect(rule.check('web app')).toBe('" " is not allowed');
    expect(rule.check('a.b/c.d')).toBe('"." and "/" are not allowed');
    expect(rule.check('a:b@c\td')).toBe('":", "@" and "\\t" are not allowed');
    expect(rule.check('café')).toBe('"é" is not allowed');
  });

  it('leaves the empty name to the shape checks', () => {
    expect(rule.check('')).toBeUndefined();
  });

  it('quotes the ECS API reference', () => {
    expect(rule.rule).toBe(
      'up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed',
    );
  });
});

describe('FAMILY_PATTERN', () => {
  it('is the family rule as a pattern', () => {
    expect(FAMILY_PATTERN.test('a'.repeat(255))).toBe(true);
    expect(FAMILY_PATTERN.test('a'.repeat(256))).toBe(false);
    expect(FAMILY_PATTERN.test('')).toBe(false);
    expect(FAMILY_PATTERN.test('web.api')).toBe(false);
  });
});

describe('the image rule', () => {
  it.each([
    'nginx',
    'nginx:1.25',
    'quay.io/assemblyline/ubuntu',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.8.0',
    `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${DIGEST}`,
    `web:1.0@${DIGEST}`,
    `web@sha256:${'A'.repeat(64)}`,
    'registry:5000/team/web:tag#1',
  ])('allows %j', (image) => {
    expect(IMAGE_RULE.check(image)).toBeUndefined();
  });

  it('allows 255 characters and refuses 256', () => {
    const name = (length: number) => `r/${'a'.repeat(length - 2)}`;
    expect(IMAGE_RULE.check(name(255))).toBeUndefined();
    expect(IMAGE_RULE.check(name(256))).toBe(
      'it is 256 characters long, more than the 255 ECS allows',
    );
  });

  it('counts the 255 characters before the @ of a digest only', () => {
    const name = `r/${'a'.repeat(253)}`;
    expect(IMAGE_RULE.check(`${name}@${DIGEST}`)).toBeUndefined();
    expect(IMAGE_RULE.check(`${name}a@${DIGEST}`)).toBe(
      'it is 256 characters long, more than the 255 ECS allows',
    );
  });

  it('refuses characters outside the rule', () => {
    expect(IMAGE_RULE.check('web app:1')).toBe('" " is not allowed');
    expect(IMAGE_RULE.check('web:${TAG}')).toBe('"$", "{" and "}" are not allowed');
  });

  it('refuses a digest that is not sha256 with 64 hexadecimal characters', () => {
    expect(IMAGE_RULE.check('web@sha512:abc')).toBe(
      'its digest "sha512:abc" is not sha256: followed by 64 hexadecimal characters',
    );
    expect(IMAGE_RULE.check(`web@sha256:${'g'.repeat(64)}`)).toMatch(/^its digest /);
    expect(IMAGE_RULE.check(`web@sha256:${'a'.repeat(63)}`)).toMatch(/^its digest /);
  });

  it('quotes the ECS API reference, @ and digest included', () => {
    expect(IMAGE_RULE.rule).toContain(
      'up to 255 letters (uppercase and lowercase), numbers, hyphens, underscores, colons, periods, forward slashes, and number signs are allowed',
    );
    expect(IMAGE_RULE.rule).toContain('sha256:');
  });
});
