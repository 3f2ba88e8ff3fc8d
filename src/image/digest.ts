// Content addressing: every digest in this project is SHA-256 over the exact bytes stored or sent.

import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageError } from './image-error';

export interface ParsedDigest {
  algorithm: 'sha256';
  /** 64 lower-case hex characters. */
  hex: string;
}

const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Validates before the hex is used as a file name or URL segment, so a hostile descriptor cannot
 * reach outside `blobs/sha256/`. Only SHA-256 is accepted: it is what registries and layouts use.
 */
export function parseDigest(value: string, source = 'digest'): ParsedDigest {
  const match = SHA256_DIGEST.exec(value);
  if (!match) {
    throw new ImageError(
      source,
      `'${value}' is not a sha256 digest`,
      'use the form sha256:<64 lower-case hex characters>',
    );
  }
  return { algorithm: 'sha256', hex: match[1]! };
}

/** Passes bytes through unchanged while hashing and counting them. */
export class HashingPassThrough extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private result: string | undefined;
  /** Bytes seen so far. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    callback();
  }

  /** The digest of everything that passed; only valid once the stream has ended. */
  digest(): string {
    if (this.result === undefined) throw new Error('HashingPassThrough: digest read before end');
    return this.result;
  }
}

/** Checks a blob's bytes as they pass: each problem is returned, to fail what carries them. */
export interface DigestVerifier {
  /** Counts and hashes a chunk; a problem when the blob is already longer than expected. */
  update(chunk: Buffer): ImageError | undefined;
  /** After the last chunk: a problem when the size or the digest is not the expected one. */
  finish(): ImageError | undefined;
}

export function createDigestVerifier(
  expected: { digest: string; size: number },
  source: string,
): DigestVerifier {
  parseDigest(expected.digest, source);
  const hash = createHash('sha256');
  let bytes = 0;
  const mismatch = (problem: string) =>
    new ImageError(
      source,
      `${problem}; expected ${expected.digest} (${expected.size} bytes)`,
      'the blob is corrupted or was modified; fetch or regenerate the image again',
    );
  return {
    update(chunk) {
      bytes += chunk.length;
      if (bytes > expected.size) return mismatch(`holds more than ${expected.size} bytes`);
      hash.update(chunk);
      return undefined;
    },
    finish() {
      if (bytes !== expected.size) return mismatch(`holds ${bytes} bytes`);
      const actual = `sha256:${hash.digest('hex')}`;
      return actual === expected.digest ? undefined : mismatch(`content hashes to ${actual}`);
    },
  };
}

/**
 * Passes a blob through and fails the stream (instead of ending it) when its bytes are not the
 * ones the descriptor names, so a consumer never mistakes corrupted content for a complete blob.
 */
export function createVerifyingStream(
  expected: { digest: string; size: number },
  source: string,
): Transform {
  const verifier = createDigestVerifier(expected, source);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const problem = verifier.update(chunk);
      if (problem) callback(problem);
      else callback(null, chunk);
    },
    flush(callback) {
      callback(verifier.finish());
    },
  });
}
