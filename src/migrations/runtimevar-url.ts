// Reads the url of a `data "runtimevar"` block the way Atlas opens it: Atlas's RuntimeVar data
// source (cmd/atlas/internal/cmdext/cmdext.go) parses it with Go's url.Parse, refuses a decoder
// other than `string`, and hands it to gocloud.dev/runtimevar, whose awssecretsmanager and
// awsparamstore drivers read the variable named path.Join(host, path) in `?region=`.
import { posix } from 'node:path';

export interface RuntimevarUrl {
  /** Lower-cased: `awssecretsmanager`, `awsparamstore`, `gcpsecretmanager`, ... */
  readonly scheme: string;
  /** The secret's or parameter's name (or ARN), without the query. */
  readonly name: string;
  /** `?region=`, or for an ARN its region field. */
  readonly region?: string;
  readonly decoder?: string;
  /** Why Atlas cannot open this URL at all, in Go's words where it has them. */
  readonly invalid?: string;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** Undefined when `url` has no `scheme://`. */
export function parseRuntimevarUrl(url: string): RuntimevarUrl | undefined {
  const scheme = SCHEME.exec(url);
  if (scheme === null) return undefined;
  const rest = url.slice(scheme[0].length).split('#', 1)[0]!;
  const queryAt = rest.indexOf('?');
  const hierarchy = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : rest.slice(queryAt + 1));
  const slash = hierarchy.indexOf('/');
  const authority = slash === -1 ? hierarchy : hierarchy.slice(0, slash);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const path = slash === -1 ? '' : hierarchy.slice(slash);
  const joined = [host, path].filter((p) => p !== '');
  const name = decode(joined.length === 0 ? '' : posix.normalize(joined.join('/')));
  const arnRegion = /^arn:[^:]*:[^:]*:([^:]*):/.exec(name)?.[1];
  const region = query.get('region') ?? (arnRegion || undefined);
  const decoder = query.get('decoder') ?? undefined;
  // Go's url.Parse takes what follows the host's last colon as a port, and a port has digits only:
  // an ARN written as the host ("arn:aws:secretsmanager:...:secret:name") is refused.
  const colon = host.lastIndexOf(':');
  const port = colon === -1 ? '' : host.slice(colon + 1);
  const invalid = /^\d*$/.test(port)
    ? undefined
    : `Go's URL parser rejects it (invalid port ":${port}" after host)`;
  return {
    scheme: scheme[1]!.toLowerCase(),
    name: name.endsWith('/') && name.length > 1 ? name.slice(0, -1) : name,
    ...(region === undefined ? {} : { region }),
    ...(decoder === undefined ? {} : { decoder }),
    ...(invalid === undefined ? {} : { invalid }),
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
