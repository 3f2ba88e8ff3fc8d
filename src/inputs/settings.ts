// The typed, validated configuration of one run. Built once by inputs/parse.ts; read everywhere else.

export type Mode = 'sidecar' | 'run-task';

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
  readonly service?: string;
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
  /** A Go duration, as Atlas's --lock-timeout takes it. */
  readonly lockTimeout: string;
  readonly migrateArgs: readonly string[];
  readonly waitForServiceStability: boolean;
  readonly waitTimeoutMinutes: number;
  /** Seconds between two polls of the rollout. */
  readonly pollIntervalSeconds: number;
  readonly rollbackOnFailure: boolean;
  readonly forceNewDeployment: boolean;
  readonly images: readonly ContainerImageOverride[];
  readonly mode: Mode;
  readonly dryRun: boolean;
}
