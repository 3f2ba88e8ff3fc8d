// npm run bench: the one workspace both tools publish in the buildah comparison: a migration
// directory with its atlas.sum, atlas.hcl, and the recipe's Dockerfile for buildah (Atlas's
// ECS/Fargate guide: FROM the Atlas image, COPY the migrations, COPY atlas.hcl), written to put
// the files where our image holds them (/workspace, WorkingDir the folder of atlas.hcl) so both
// images carry the same files at the same paths.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { computeAtlasSum } from '../src/migrations/atlas-sum';

export const ATLAS_HCL =
  'env "deploy" {\n  url = getenv("DATABASE_URL")\n  migration {\n    dir = "file://migrations"\n  }\n}\n';

export interface PublishWorkspace {
  dir: string;
  /** Adds one migration (and updates atlas.sum): the "one migration changed" case. */
  addMigration(): void;
}

/** `migrations` files of a few hundred bytes each, as a service a couple of years old has. */
export function writePublishWorkspace(
  parent: string,
  baseReference: string,
  migrations: number,
): PublishWorkspace {
  const dir = mkdtempSync(path.join(parent, 'workspace-'));
  const migrationsDir = path.join(dir, 'migrations');
  mkdirSync(migrationsDir);
  const files: { name: string; content: Buffer }[] = [];
  const add = (i: number) => {
    const name = `${20240101000000 + i * 100}_change_${i}.sql`;
    const content = Buffer.from(
      `-- change ${i}\nCREATE TABLE "t_${i}" (\n  "id" bigint NOT NULL,\n  "name" text NULL,\n` +
        `  "created_at" timestamptz NOT NULL DEFAULT now(),\n  PRIMARY KEY ("id")\n);\n` +
        `CREATE INDEX "t_${i}_name" ON "t_${i}" ("name");\n`,
    );
    writeFileSync(path.join(migrationsDir, name), content);
    files.push({ name, content });
    writeFileSync(path.join(migrationsDir, 'atlas.sum'), computeAtlasSum(files));
  };
  for (let i = 0; i < migrations; i++) add(i);
  writeFileSync(path.join(dir, 'atlas.hcl'), ATLAS_HCL);
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${baseReference}`,
      'WORKDIR /workspace',
      'COPY migrations /workspace/migrations',
      'COPY atlas.hcl /workspace/atlas.hcl',
      '',
    ].join('\n'),
  );
  return { dir, addMigration: () => add(files.length) };
}
