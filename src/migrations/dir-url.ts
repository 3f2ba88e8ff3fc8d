// Reads a migration directory URL the way Atlas opens it (cmd/atlas/internal/migrate: DirURL), so
// the directory it names can be compared with the one this action ships.
import { posix } from 'node:path';

/** Atlas's dir formats (cmd/atlas/internal/migrate: Formats). */
export const DIR_FORMATS = ['atlas', 'golang-migrate', 'goose', 'flyway', 'liquibase', 'dbmate'];

/** Atlas's directory when neither --dir nor `migration { dir }` is given. */
export const DEFAULT_DIR_URL = 'file://migrations';

export type DirUrl =
  /** `path` as Atlas computes it (relative to where Atlas runs, unless absolute). */
  | { kind: 'file'; path: string; format?: string }
  /** `atlas://name`: the directory is pulled from Atlas Cloud, not read from disk. */
  | { kind: 'cloud' }
  | { kind: 'invalid'; reason: string };

export function parseDirUrl(url: string): DirUrl {
  const withoutFragment = url.split('#', 1)[0]!;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(withoutFragment);
  if (scheme === null) {
    return { kind: 'invalid', reason: `it has no scheme (Atlas: did you mean "file://${url}"?)` };
  }
  const name = scheme[1]!.toLowerCase();
  if (name === 'atlas') return { kind: 'cloud' };
  if (name === 'mem') {
    return { kind: 'invalid', reason: 'mem:// is an in-memory directory, empty in a new task' };
  }
  if (name !== 'file') {
    return { kind: 'invalid', reason: `Atlas has no "${scheme[1]}" directory driver` };
  }

  const rest = withoutFragment.slice(scheme[0].length);
  const queryAt = rest.indexOf('?');
  const hierarchy = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  // Go's url.Parse: `file://a/b` has host `a` and path `/b`; `file:a` is opaque (no host, no path).
  let host = '';
  let encodedPath = '';
  if (hierarchy.startsWith('//')) {
    const slash = hierarchy.indexOf('/', 2);
    const authority = slash === -1 ? hierarchy.slice(2) : hierarchy.slice(2, slash);
    host = authority.slice(authority.lastIndexOf('@') + 1);
    encodedPath = slash === -1 ? '' : hierarchy.slice(slash);
  } else if (hierarchy.startsWith('/')) {
    encodedPath = hierarchy;
  }
  if (/[\s%]/.test(host)) {
    return {
      kind: 'invalid',
      reason: `"${host}" is not a valid URL host (Go's URL parser rejects it)`,
    };
  }
  let path: string;
  try {
    path = decodeURIComponent(encodedPath);
  } catch {
    return { kind: 'invalid', reason: `its path "${encodedPath}" has an invalid % escape` };
  }
  const format = new URLSearchParams(query).get('format') ?? undefined;
  return { kind: 'file', path: goJoin(host, path), ...(format ? { format } : {}) };
}

/** filepath.Join(host, path), then Atlas's default for an empty result. */
function goJoin(host: string, path: string): string {
  const parts = [host, path].filter((p) => p !== '');
  if (parts.length === 0) return 'migrations';
  const joined = posix.normalize(parts.join('/'));
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}
