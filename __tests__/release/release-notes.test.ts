import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseOutputFile } from '../helpers/run-action';
import {
  changelogSection,
  checkPackageVersion,
  movesMajorTag,
  parseReleaseTag,
  releaseNotes,
} from '../../scripts/release-notes';

const CHANGELOG = `# Changelog

## [Unreleased]

### Added

- Something new.

## [1.3.0-rc.1] - 2026-03-01

- A release candidate.

## [1.2.3] - 2026-02-01

### Fixed

- The watch reports a lost deployment.

## [1.2.0]

## [1.1.0] - 2026-01-01

- First minor.

[Unreleased]: https://example.test/compare/v1.2.3...HEAD
[1.2.3]: https://example.test/compare/v1.1.0...v1.2.3
`;

describe('parseReleaseTag', () => {
  it('reads a release: version, major tag, not a pre-release', () => {
    expect(parseReleaseTag('v1.2.3')).toEqual({
      tag: 'v1.2.3',
      version: '1.2.3',
      major: 'v1',
      prerelease: false,
      numbers: [1, 2, 3],
    });
    expect(parseReleaseTag('v10.0.12').major).toBe('v10');
  });

  it('reads a pre-release', () => {
    const release = parseReleaseTag('v2.0.0-rc.1');
    expect(release).toMatchObject({ version: '2.0.0-rc.1', major: 'v2', prerelease: true });
  });

  it.each(['1.2.3', 'v1.2', 'v1.2.3.4', 'v01.2.3', 'v1.2.3+build.5', 'v1.2.3-', 'v1.2.3-01', 'v1'])(
    'refuses %s, naming the tag and the form a release tag takes',
    (tag) => {
      expect(() => parseReleaseTag(tag)).toThrow(
        new RegExp(
          `The tag '${tag.replace(/[.+]/g, '\\$&')}' is not a release version.*v1\\.2\\.3`,
        ),
      );
    },
  );
});

describe('checkPackageVersion', () => {
  it('passes when package.json says the tag', () => {
    expect(() => checkPackageVersion(parseReleaseTag('v1.2.3'), '1.2.3')).not.toThrow();
  });

  it('fails naming both versions and the command that fixes it', () => {
    expect(() => checkPackageVersion(parseReleaseTag('v1.2.3'), '0.1.0')).toThrow(
      'package.json says version 0.1.0, the tag v1.2.3. Fix: set it with npm version 1.2.3 --no-git-tag-version',
    );
  });
});

describe('changelogSection', () => {
  it("returns the version's section up to the next heading", () => {
    expect(changelogSection(CHANGELOG, '1.2.3')).toBe(
      '### Fixed\n\n- The watch reports a lost deployment.',
    );
  });

  it('stops at the link definitions of the last section', () => {
    expect(changelogSection(CHANGELOG, '1.1.0')).toBe('- First minor.');
  });

  it('tells a pre-release from its release', () => {
    expect(changelogSection(CHANGELOG, '1.3.0-rc.1')).toBe('- A release candidate.');
    expect(changelogSection(CHANGELOG, '1.3.0')).toBeUndefined();
  });

  it('is empty for a heading without entries, undefined without the heading', () => {
    expect(changelogSection(CHANGELOG, '1.2.0')).toBe('');
    expect(changelogSection(CHANGELOG, '9.9.9')).toBeUndefined();
  });
});

describe('releaseNotes', () => {
  it("is the version's CHANGELOG section", () => {
    expect(releaseNotes(CHANGELOG, parseReleaseTag('v1.2.3'))).toBe(
      '### Fixed\n\n- The watch reports a lost deployment.\n',
    );
  });

  it('refuses a release without a section, or with an empty one, saying how to add it', () => {
    expect(() => releaseNotes(CHANGELOG, parseReleaseTag('v1.4.0'))).toThrow(
      "CHANGELOG.md has no '## [1.4.0]' section. Fix: move the Unreleased entries under '## [1.4.0] - YYYY-MM-DD'",
    );
    expect(() => releaseNotes(CHANGELOG, parseReleaseTag('v1.2.0'))).toThrow(
      "no '## [1.2.0]' section with entries",
    );
  });

  it('lets a pre-release go without a section (the generated notes only)', () => {
    expect(releaseNotes(CHANGELOG, parseReleaseTag('v1.4.0-beta.2'))).toBe('');
  });
});

describe('movesMajorTag', () => {
  const tags = ['v1', 'v1.1.0', 'v1.2.3', 'v1.3.0-rc.1', 'v2.0.0', 'not-a-version'];

  it('moves v1 to the newest v1 release, whatever the other majors', () => {
    expect(movesMajorTag(parseReleaseTag('v1.2.4'), [...tags, 'v1.2.4'])).toBe(true);
    expect(movesMajorTag(parseReleaseTag('v1.2.3'), tags)).toBe(true);
  });

  it('leaves v1 where it is for a patch of an older minor', () => {
    expect(movesMajorTag(parseReleaseTag('v1.1.1'), [...tags, 'v1.1.1'])).toBe(false);
  });

  it('never moves for a pre-release, and ignores pre-releases when comparing', () => {
    expect(movesMajorTag(parseReleaseTag('v1.3.0-rc.2'), tags)).toBe(false);
    expect(movesMajorTag(parseReleaseTag('v1.2.3'), [...tags, 'v1.9.0-rc.1'])).toBe(true);
  });

  it('starts a new major', () => {
    expect(movesMajorTag(parseReleaseTag('v3.0.0'), tags)).toBe(true);
  });
});

describe('scripts/release-notes.ts', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'release-notes.ts');

  function runScript(tag: string): { code: number; stdout: string; stderr: string; notes: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'release-notes-'));
    const notes = path.join(dir, 'notes.md');
    try {
      const stdout = execFileSync(
        process.execPath,
        [require.resolve('ts-node/dist/bin'), '--transpile-only', script, tag, notes],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, stdio: 'pipe' },
      );
      return { code: 0, stdout, stderr: '', notes: readFileSync(notes, 'utf8') };
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr, notes: '' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("refuses a tag that is not this repository's package.json version, before writing notes", () => {
    const version = (
      JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const run = runScript('v999.0.0');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`package.json says version ${version}, the tag v999.0.0.`);
    expect(run.notes).toBe('');
  }, 60_000);

  it('refuses a tag that is no version', () => {
    const run = runScript('latest');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("The tag 'latest' is not a release version.");
  }, 60_000);

  it('in a repository tagged v1.2.3: writes the notes and the outputs the release job reads', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'release-repo-'));
    try {
      mkdirSync(path.join(repo, 'scripts'));
      copyFileSync(script, path.join(repo, 'scripts', 'release-notes.ts'));
      writeFileSync(path.join(repo, 'package.json'), '{ "version": "1.2.3" }\n');
      writeFileSync(
        path.join(repo, 'tsconfig.json'),
        '{ "compilerOptions": { "module": "commonjs", "moduleResolution": "node" } }\n',
      );
      writeFileSync(path.join(repo, 'CHANGELOG.md'), CHANGELOG);
      const git = (...args: string[]) =>
        execFileSync('git', args, {
          cwd: repo,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH ?? '',
            GIT_AUTHOR_NAME: 't',
            GIT_AUTHOR_EMAIL: 't@example.test',
            GIT_COMMITTER_NAME: 't',
            GIT_COMMITTER_EMAIL: 't@example.test',
          },
        }).trim();
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'release');
      git('tag', '-a', 'v1.2.3', '-m', 'v1.2.3');
      git('tag', 'v1.1.0');
      const output = path.join(repo, 'github-output');
      writeFileSync(output, '');

      execFileSync(
        process.execPath,
        [
          require.resolve('ts-node/dist/bin'),
          '--transpile-only',
          'scripts/release-notes.ts',
          'v1.2.3',
          'notes.md',
        ],
        { cwd: repo, env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output }, stdio: 'pipe' },
      );

      expect(readFileSync(path.join(repo, 'notes.md'), 'utf8')).toBe(
        '### Fixed\n\n- The watch reports a lost deployment.\n',
      );
      expect(parseOutputFile(readFileSync(output, 'utf8'))).toEqual({
        version: '1.2.3',
        major: 'v1',
        prerelease: 'false',
        'move-major': 'true',
        // The commit, not the annotated tag's own object.
        commit: git('rev-parse', 'HEAD'),
      });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 60_000);
});
