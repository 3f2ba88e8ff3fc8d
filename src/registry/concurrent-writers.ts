// Registry answers that another writer of the same content can cause, told apart from genuine
// failures. Two pushes of one image (a re-run beside the original, a matrix, two services of a
// release) upload the same digests at once; registries commit them without a lock:
// - CNCF distribution rewrites a repository's blob link file in place (truncate, then write) on
//   every commit, so a manifest PUT that reads it in between sees an empty link and answers 400
//   with DIGEST_INVALID and MANIFEST_BLOB_UNKNOWN for a blob that was pushed;
// - ECR (LayerAlreadyExistsException), Nexus and Pulp refuse the second commit of a digest with
//   BLOB_UPLOAD_INVALID or BLOB_UPLOAD_UNKNOWN, or say the layer already exists.
// Neither answer is trusted on its own: the caller HEADs the blob and believes what it sees.

import { RegistryError } from './errors';

const BLOB_NOT_SEEN_CODES = ['MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN'];
const COMMIT_REFUSED_CODES = ['BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID'];
const ALREADY_EXISTS = /already exists|LayerAlreadyExists|cannot be updated/i;

/** A manifest PUT refused because the registry does not see a blob it references (yet). */
export function isBlobNotSeenByManifest(error: unknown): boolean {
  return (
    error instanceof RegistryError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.codes.some((code) => BLOB_NOT_SEEN_CODES.includes(code))
  );
}

/**
 * A blob upload refused in a way another writer's commit of the same digest explains: worth a
 * HEAD to see whether the blob is there after all.
 */
export function mayBeCommittedByAnother(error: unknown): boolean {
  if (!(error instanceof RegistryError) || error.status === undefined) return false;
  if (error.status === 409) return true;
  if (error.status !== 400 && error.status !== 404 && error.status !== 416) return false;
  return (
    error.codes.some((code) => COMMIT_REFUSED_CODES.includes(code)) ||
    ALREADY_EXISTS.test(error.causeMessage)
  );
}
