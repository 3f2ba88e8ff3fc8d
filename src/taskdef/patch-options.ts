import type { ContainerImageOverride } from '../inputs/settings';

export interface PatchOptions {
  /** The migration container's name (input container-name). */
  containerName: string;
  /** `repository@sha256:...` of the migration image. */
  image: string;
  /** Atlas's arguments, from buildMigrationCommand. */
  command: readonly string[];
  /** Secrets Manager secret (ARN, optionally `ARN:json-key::`), given to ECS as DATABASE_URL. */
  databaseUrlSecret?: string;
  /** Secrets Manager secret (ARN, optionally `ARN:json-key::`) of an Atlas Cloud token, as ATLAS_TOKEN. */
  atlasTokenSecret?: string;
  /** Absent: every essential container except the migration one (and what it waits for). */
  appContainers?: readonly string[];
  images: readonly ContainerImageOverride[];
  /**
   * Names the task definition in messages: its file (workspace-relative) when it came from one.
   * Default: "task definition <family>:<revision>".
   */
  source?: string;
}

export const DATABASE_URL = 'DATABASE_URL';
/** What Atlas reads an Atlas Cloud bot token from (input atlas-token-secret). */
export const ATLAS_TOKEN = 'ATLAS_TOKEN';

/** ECS rejects a container with neither memory nor memoryReservation when the task has no memory. */
export const DEFAULT_MEMORY_RESERVATION_MIB = 128;
