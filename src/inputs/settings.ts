// The typed, validated configuration of one run. Built once by inputs/parse.ts; read everywhere else.

export type Mode = 'sidecar' | 'run-task' | 'plan';

/** Atlas's `--exec-order`: what to do with an unapplied file older than the last applied one. */
export type ExecOrder = 'linear' | 'linear-skip' | 'non-linear';
export const EXEC_ORDERS: readonly ExecOrder[] = ['linear', 'linear-skip', 'non-linear'];

/** Atlas's `--tx-mode`: one transaction per file, one for all files, or none. */
export type TxMode = 'file' | 'all' | 'none';
export const TX_MODES: readonly TxMode[] = ['file', 'all', 'none'];

/** One line of input 'vars', passed to Atlas as `--var name=value`. */
export interface AtlasVariable {
  readonly name: string;
  readonly value: string;
  /** 1-based line of the 'vars' input it was given on, for messages. */
  readonly line: number;
}

/** Where the task definition to patch comes from. */
export type TaskDefinitionSource =
  | { kind: 'service' } // the service's current revision
  | { kind: 'file'; path: string } // absolute path
  | { kind: 'family'; family: string }
  | { kind: 'family-revision'; family: string; revision: number }
  | { kind: 'arn'; arn: string };

/** Where the Atlas base image comes from. */
export type BaseImageSource =
  | { kind: 'registry'; reference: string }
  | { kind: 'oci-layout'; path: string; tag?: string }; // absolute path

export interface ContainerImageOverride {
  container: string;
  image: string;
}

export interface Settings {
  readonly cluster: string;
  /** The first of `services`: the one service of most steps. */
  readonly service?: string;
  /** Every service to deploy, in the order given (one per line); they share the database. */
  readonly services: readonly string[];
  readonly taskDefinition: TaskDefinitionSource;
  /** Absolute path of the GitHub workspace (repository root); project paths are relative to it. */
  readonly workspace: string;
  /** Workspace-relative, POSIX separators, no leading './'. */
  readonly migrationsDir: string;
  /** Workspace-relative, POSIX separators, no leading './'. */
  readonly atlasConfig: string;
  readonly atlasEnv: string;
  readonly atlasImage: BaseImageSource;
  /** `host[:port]/path`, no tag or digest. Absent only in a dry run. */
  readonly imageRepository?: string;
  readonly imageTag?: string;
  readonly containerName: string;
  /** Absent: every essential container except the migration one. */
  readonly appContainers?: readonly string[];
  readonly databaseUrlSecret?: string;
  /** Secrets Manager secret of an Atlas Cloud bot token, passed as ATLAS_TOKEN through `secrets`. */
  readonly atlasTokenSecret?: string;
  /** A Go duration, as Atlas's --lock-timeout takes it. */
  readonly lockTimeout: string;
  readonly migrateArgs: readonly string[];
  /** `--baseline <version>`: the version a database that already has the schema starts after. */
  readonly baseline?: string;
  /** `--allow-dirty`: accept a database that already holds other objects. */
  readonly allowDirty: boolean;
  readonly execOrder?: ExecOrder;
  readonly txMode?: TxMode;
  /** `--revisions-schema <schema>`: where Atlas keeps its revisions table. */
  readonly revisionsSchema?: string;
  /** `--to-version <version>`: migrate up to that version only. */
  readonly toVersion?: string;
  /** Input variables of atlas-config, each passed as `--var name=value`, in input order. */
  readonly vars: readonly AtlasVariable[];
  readonly waitForServiceStability: boolean;
  readonly waitTimeoutMinutes: number;
  /** Seconds between two polls of the rollout. */
  readonly pollIntervalSeconds: number;
  readonly rollbackOnFailure: boolean;
  /**
   * Deregister the revisions a run leaves behind: a rolled-back service revision it registered, and
   * (run-task, plan) `<family>-migrate` revisions beyond the newest few.
   */
  readonly deregisterRevisions: boolean;
  readonly forceNewDeployment: boolean;
  readonly images: readonly ContainerImageOverride[];
  readonly mode: Mode;
  readonly dryRun: boolean;
  /** Token for the GitHub deployment record (masked when read); absent: nothing is recorded. */
  readonly githubToken?: string;
  /** The GitHub environment the deploy is recorded under; absent: nothing is recorded. */
  readonly environment?: string;
}
