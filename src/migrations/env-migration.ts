// Which migration directory (and format) one env block of atlas.hcl makes `migrate apply` read,
// compared with the directory this action ships.
import { posix } from 'node:path';
import { FileProblem, type FileLocation } from '../errors';
import { DEFAULT_DIR_URL, DIR_FORMATS, parseDirUrl } from './dir-url';
import type { HclAttribute, HclBlock } from './hcl-outline';
import { stringLiteralValue } from './hcl-string';

export interface ConfigWarning {
  readonly location: FileLocation;
  readonly message: string;
}

export interface EnvMigration {
  readonly problems: FileProblem[];
  readonly warnings: ConfigWarning[];
  readonly migrationDir?: string;
  readonly dirFormat?: string;
  readonly unresolved?: string;
}

export interface EnvMigrationOptions {
  /** Workspace-relative path of atlas.hcl. */
  readonly file: string;
  readonly env: string;
  /** Workspace-relative migration directory that is shipped. */
  readonly migrationsDir: string;
}

export function inspectEnvMigration(block: HclBlock, opts: EnvMigrationOptions): EnvMigration {
  const problems: FileProblem[] = [];
  const warnings: ConfigWarning[] = [];
  const at = (node: { line: number; column: number }): FileLocation => ({
    file: opts.file,
    line: node.line,
    column: node.column,
  });
  const envName = `env "${opts.env}"`;

  const migrationBlocks = block.blocks.filter((b) => b.type === 'migration');
  // Atlas decodes the first `migration` block and silently drops the others.
  const migration = migrationBlocks[0];
  for (const extra of migrationBlocks.slice(1)) {
    warnings.push({
      location: at(extra),
      message: `${envName} has more than one migration block; Atlas reads only the first (line ${migration!.line}) and ignores this one`,
    });
  }
  for (const legacy of block.blocks.filter((b) => b.type === 'migration_dir')) {
    warnings.push({
      location: at(legacy),
      message: `migration_dir is ignored by Atlas since v0.6, which renamed it to migration { dir = "file://..." }`,
    });
  }

  const formatAttr = migration?.attributes.find((a) => a.name === 'format');
  let format = formatAttr === undefined ? undefined : formatValue(formatAttr);
  if (formatAttr !== undefined && format === undefined) {
    warnings.push({
      location: at(formatAttr),
      message: `the migration format ${formatAttr.expression} is computed when Atlas runs, so it could not be checked; the atlas.sum check assumes the 'atlas' format`,
    });
  }

  const dirAttr = migration?.attributes.find((a) => a.name === 'dir');
  const dirUrl = dirAttr === undefined ? DEFAULT_DIR_URL : stringLiteralValue(dirAttr.expression);
  if (dirUrl === undefined) {
    return withFormat({ problems, warnings, unresolved: dirAttr!.expression });
  }
  const dirLocation = at(dirAttr ?? migration ?? block);
  const parsed = parseDirUrl(dirUrl);
  if (parsed.kind === 'cloud') {
    warnings.push({
      location: dirLocation,
      message: `${envName} reads its migrations from Atlas Cloud (${dirUrl}): the image carries atlas.hcl only, and Atlas fetches the directory with the ATLAS_TOKEN that input 'atlas-token-secret' provides`,
    });
    return withFormat({ problems, warnings });
  }
  if (parsed.kind === 'invalid') {
    problems.push(
      new FileProblem(
        dirLocation,
        `migration dir "${dirUrl}" cannot be opened by Atlas: ${parsed.reason}`,
        `set dir = "file://<path relative to ${opts.file}>" in ${envName}`,
      ),
    );
    return withFormat({ problems, warnings });
  }
  format = parsed.format ?? format; // a ?format= in the URL wins over the attribute, as in Atlas

  const hclDir = posix.dirname(opts.file);
  const wanted = normalizeDir(opts.migrationsDir);
  const fromHcl = posix.relative(`/${hclDir}`, `/${wanted}`) || '.';
  if (posix.isAbsolute(parsed.path)) {
    problems.push(
      new FileProblem(
        dirLocation,
        `migration dir "${dirUrl}" is an absolute path, which does not exist inside the migration image`,
        `set dir = "file://${fromHcl}" (relative to the directory of ${opts.file})`,
      ),
    );
    return withFormat({ problems, warnings });
  }
  const resolved = normalizeDir(posix.join(hclDir, parsed.path));
  if (resolved === '..' || resolved.startsWith('../')) {
    problems.push(
      new FileProblem(
        dirLocation,
        `migration dir "${dirUrl}" resolves to ${resolved}, outside the repository, which is not shipped`,
        `move the migrations into the repository and set dir = "file://<path relative to ${opts.file}>"`,
      ),
    );
    return withFormat({ problems, warnings });
  }
  if (resolved !== wanted) {
    problems.push(
      new FileProblem(
        dirLocation,
        dirAttr === undefined
          ? `${envName} sets no migration dir, so Atlas reads its default ${DEFAULT_DIR_URL}, which is ${resolved} (relative to the directory of ${opts.file}), but input 'migrations-dir' is ${wanted}`
          : `${envName} reads migrations from "${dirUrl}", which is ${resolved} (relative to the directory of ${opts.file}), but input 'migrations-dir' is ${wanted}`,
        dirAttr === undefined
          ? `set input 'migrations-dir' to ${resolved}, or add migration { dir = "file://${fromHcl}" } to ${envName}`
          : `set input 'migrations-dir' to ${resolved}, or set dir = "file://${fromHcl}" in ${opts.file}`,
      ),
    );
  }
  return withFormat({ problems, warnings, migrationDir: resolved });

  function withFormat(result: EnvMigration): EnvMigration {
    if (format === undefined) return result;
    if (!DIR_FORMATS.includes(format)) {
      result.problems.push(
        new FileProblem(
          at(formatAttr ?? dirAttr ?? block),
          `migration format "${format}" is not one Atlas knows (${DIR_FORMATS.join(', ')})`,
          `set format to one of ${DIR_FORMATS.join(', ')}`,
        ),
      );
      return result;
    }
    return { ...result, dirFormat: format };
  }
}

/** A string literal, or a bare format name (Atlas declares the formats as names in this scope). */
function formatValue(attr: HclAttribute): string | undefined {
  const literal = stringLiteralValue(attr.expression);
  if (literal !== undefined) return literal;
  return DIR_FORMATS.includes(attr.expression) ? attr.expression : undefined;
}

/** POSIX, no `./`, no trailing slash; `.` for the workspace root. */
export function normalizeDir(dir: string): string {
  const normalized = posix.normalize(dir);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}
