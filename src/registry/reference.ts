// Image references as Docker and the OCI distribution spec write them, with Docker Hub's
// normalisation (`arigaio/atlas` → `registry-1.docker.io/arigaio/atlas`, `nginx` → `library/nginx`).
// Pure: used by input validation and by the registry client.

export const DOCKER_HUB_HOST = 'registry-1.docker.io';

export interface ImageReference {
  /** Host as written by the user, normalised for Docker Hub (e.g. `registry-1.docker.io`, `localhost:5000`). */
  readonly registry: string;
  /** Repository path inside the registry (e.g. `library/nginx`). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';

const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
export const TAG_RE = new RegExp(`^${TAG}$`);
export const DIGEST_RE = new RegExp(`^${DIGEST}$`);

/** Docker's rule: the first component is a registry host when it has a dot, a port, or is localhost. */
function looksLikeHost(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component.startsWith('[') ||
    component !== component.toLowerCase()
  );
}

/** Splits `host/path` into registry and repository; undefined when the text is not a valid name. */
function splitName(name: string): { registry: string; repository: string } | undefined {
  const slash = name.indexOf('/');
  let registry = DOCKER_HUB_HOST;
  let repository = name;
  if (slash > 0 && looksLikeHost(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repository = name.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) return undefined;
  }
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = DOCKER_HUB_HOST;
  if (registry === DOCKER_HUB_HOST && !repository.includes('/'))
    repository = `library/${repository}`;
  if (!PATH_RE.test(repository) || name.length > 255) return undefined;
  return { registry, repository };
}

/** Parses `name[:tag][@sha256:...]`; returns undefined for anything that is not a valid reference. */
export function parseImageReference(text: string): ImageReference | undefined {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) return undefined;
  }
  const name = splitName(rest);
  if (!name) return undefined;
  return {
    ...name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * Parses a repository without tag or digest, as `image-repository` takes it. Unlike an image
 * reference it must name its registry host: pushing to Docker Hub by accident is never intended.
 */
export function parseRepository(
  text: string,
): { registry: string; repository: string } | undefined {
  const trimmed = text.trim();
  if (trimmed.includes('@')) return undefined;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || !looksLikeHost(trimmed.slice(0, slash))) return undefined;
  const lastColon = trimmed.lastIndexOf(':');
  if (lastColon > trimmed.lastIndexOf('/')) return undefined;
  return splitName(trimmed);
}

/** `registry/repository`, the form a task definition's `image` takes (before `@digest`). */
export function repositoryName(ref: { registry: string; repository: string }): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Loopback registries are spoken to over plain HTTP; everything else over HTTPS. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : registry.replace(/:[0-9]+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const ECR_HOST_RE =
  /^(\d{12})\.dkr(?:-fips)?\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov)$/;

/** Account and region of an ECR registry host, or undefined for any other registry. */
export function parseEcrHost(registry: string): { accountId: string; region: string } | undefined {
  const match = ECR_HOST_RE.exec(registry);
  return match ? { accountId: match[1]!, region: match[2]! } : undefined;
}

/**
 * A tag derived from the image's manifest digest, so each distinct image gets its own stable tag
 * (and ECR lifecycle rules that keep only tagged images keep it).
 */
export function contentTag(manifestDigest: string): string {
  return `atlas-${manifestDigest.replace(/^sha256:/, '').slice(0, 12)}`;
}
