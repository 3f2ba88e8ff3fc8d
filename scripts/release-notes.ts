// The checks and notes of a release, for .github/workflows/release.yml: the pushed tag is a version,
// package.json says the same version (it is in the bundle's user agent), CHANGELOG.md has its
// section (the release notes), and whether the major tag (v1 for v1.2.3) moves to it.
//   npx ts-node --transpile-only scripts/release-notes.ts v1.2.3 notes.md
// Writes the notes to the file and version, major, prerelease, move-major and commit to
// GITHUB_OUTPUT (or prints them). Exits 1, before anything is published, when a check fails.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ReleaseTag {
  readonly tag: string;
  /** Without the leading v: 1.2.3 or 1.2.3-rc.1. */
  readonly version: string;
  /** The tag users pin to follow this major: v1. */
  readonly major: string;
  readonly prerelease: boolean;
  readonly numbers: readonly [number, number, number];
}

// Semantic Versioning 2.0.0's version (no build metadata: a tag with `+` is refused) after a `v`.
const TAG_RE =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;

export function parseReleaseTag(tag: string): ReleaseTag {
  const match = TAG_RE.exec(tag);
  if (!match) {
    throw new Error(
      `The tag '${tag}' is not a release version. Fix: tag vMAJOR.MINOR.PATCH (e.g. v1.2.3), or ` +
        `vMAJOR.MINOR.PATCH-PRERELEASE (e.g. v1.3.0-rc.1) for a pre-release; delete this one with ` +
        `git push --delete origin ${tag}.`,
    );
  }
  const numbers = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  return {
    tag,
    version: tag.slice(1),
    major: `v${numbers[0]}`,
    prerelease: match[4] !== undefined,
    numbers,
  };
}

export function checkPackageVersion(release: ReleaseTag, packageVersion: string): void {
  if (packageVersion === release.version) return;
  throw new Error(
    `package.json says version ${packageVersion}, the tag ${release.tag}. Fix: set it with ` +
      `npm version ${release.version} --no-git-tag-version, rebuild dist/ (npm run package), ` +
      `commit both, and move the tag to that commit.`,
  );
}

/**
 * The body of CHANGELOG.md's `## [1.2.3]` section (Keep a Changelog: `## [1.2.3] - 2026-01-31`),
 * up to the next `## ` heading or the link definitions; undefined when there is none.
 */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split(/\r?\n/);
  const heading = new RegExp(`^## \\[?${version.replace(/[.+]/g, '\\$&')}\\]?(?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^## /.test(line) || /^\[[^\]]+\]: /.test(line)) break;
    body.push(line);
  }
  return body.join('\n').trim();
}

/** The release notes: the version's CHANGELOG.md section, required for every release but a pre-release. */
export function releaseNotes(changelog: string, release: ReleaseTag): string {
  const section = changelogSection(changelog, release.version);
  if (section) return `${section}\n`;
  if (release.prerelease) return '';
  throw new Error(
    `CHANGELOG.md has no '## [${release.version}]' section${section === '' ? ' with entries' : ''}. ` +
      `Fix: move the Unreleased entries under '## [${release.version}] - YYYY-MM-DD', commit, and ` +
      `move the tag ${release.tag} to that commit.`,
  );
}

/**
 * Whether `major` should point at this release: not for a pre-release, and not when a newer
 * release of the same major exists (a patch to an older minor must not take v1 back).
 */
export function movesMajorTag(release: ReleaseTag, tags: readonly string[]): boolean {
  if (release.prerelease) return false;
  return tags.every((other) => {
    let parsed: ReleaseTag;
    try {
      parsed = parseReleaseTag(other);
    } catch {
      return true;
    }
    if (parsed.prerelease || parsed.major !== release.major) return true;
    return compareNumbers(parsed.numbers, release.numbers) <= 0;
  });
}

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function writeOutputs(outputs: Record<string, string>): void {
  const file = process.env.GITHUB_OUTPUT;
  for (const [name, value] of Object.entries(outputs)) {
    if (!file) {
      console.log(`${name}=${value}`);
      continue;
    }
    const delimiter = `ghadelimiter_${randomUUID()}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  }
}

function main(args: readonly string[]): void {
  const [tag, notesFile] = args;
  if (!tag || !notesFile) throw new Error('usage: release-notes.ts TAG NOTES_FILE');
  const root = path.join(__dirname, '..');
  const release = parseReleaseTag(tag);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  checkPackageVersion(release, pkg.version);
  const notes = releaseNotes(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), release);
  writeFileSync(notesFile, notes);
  const git = (...gitArgs: string[]) =>
    execFileSync('git', gitArgs, { cwd: root, encoding: 'utf8' }).trim();
  writeOutputs({
    version: release.version,
    major: release.major,
    prerelease: String(release.prerelease),
    'move-major': String(movesMajorTag(release, git('tag', '--list', 'v*').split('\n'))),
    commit: git('rev-parse', `${tag}^{commit}`),
  });
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
