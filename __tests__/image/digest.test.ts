import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  HashingPassThrough,
  createVerifyingStream,
  parseDigest,
  sha256Digest,
} from '../../src/image/digest';
import { ImageError } from '../../src/image/image-error';
import { readAll } from './helpers';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('sha256Digest', () => {
  it('hashes bytes and strings alike', () => {
    expect(sha256Digest(Buffer.alloc(0))).toBe(EMPTY);
    expect(sha256Digest('abc')).toBe(sha256Digest(Buffer.from('abc')));
  });
});

describe('parseDigest', () => {
  it('splits a valid digest', () => {
    expect(parseDigest(EMPTY)).toEqual({ algorithm: 'sha256', hex: EMPTY.slice(7) });
  });

  it.each([
    'sha256:abc',
    `sha512:${'a'.repeat(128)}`,
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}/`,
    `sha256:../../${'a'.repeat(58)}`,
    '',
  ])('rejects %j, naming the source', (value) => {
    expect(() => parseDigest(value, 'manifest layer 0')).toThrow(ImageError);
    expect(() => parseDigest(value, 'manifest layer 0')).toThrow(/^manifest layer 0: .*Fix: /);
  });
});

describe('HashingPassThrough', () => {
  it('passes bytes unchanged and reports digest and size', async () => {
    const hashing = new HashingPassThrough();
    const out = readAll(hashing);
    await pipeline(Readable.from([Buffer.from('ab'), Buffer.from('c')]), hashing);
    expect((await out).toString()).toBe('abc');
    expect(hashing.digest()).toBe(sha256Digest('abc'));
    expect(hashing.bytes).toBe(3);
  });

  it('refuses to report a digest before the end', () => {
    expect(() => new HashingPassThrough().digest()).toThrow(/before end/);
  });
});

describe('createVerifyingStream', () => {
  const expected = { digest: sha256Digest('abc'), size: 3 };

  it('passes matching content', async () => {
    const out = await readAll(
      Readable.from([Buffer.from('abc')]).pipe(createVerifyingStream(expected, 'blob')),
    );
    expect(out.toString()).toBe('abc');
  });

  it.each([
    ['different content', 'abd', /content hashes to sha256:/],
    ['too few bytes', 'ab', /holds 2 bytes/],
    ['too many bytes', 'abcd', /holds more than 3 bytes/],
  ])('fails on %s', async (_case, content, message) => {
    const verify = createVerifyingStream(expected, 'base blob');
    await expect(
      pipeline(Readable.from([Buffer.from(content)]), verify, async (s) =>
        readAll(Readable.from(s)),
      ),
    ).rejects.toThrow(message);
  });
});
