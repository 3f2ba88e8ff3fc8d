// JSON-shaped task definition types. The core cannot use the SDK's types, and a task definition must
// round-trip fields this code has never heard of, so every object keeps an index signature.

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface StringMap extends JsonObject {
  [key: string]: string | undefined;
}

/** ECS allows a tag without a value. */
export interface Tag extends JsonObject {
  key: string;
  value?: string;
}

export interface KeyValuePair extends JsonObject {
  name?: string;
  value?: string;
}

export interface Secret extends JsonObject {
  name: string;
  valueFrom: string;
}

export interface ContainerDependency extends JsonObject {
  containerName: string;
  /** Kept as a string: a condition ECS adds later must survive the round trip. */
  condition: string;
}

export interface LogConfiguration extends JsonObject {
  logDriver: string;
  options?: StringMap;
}

export interface ContainerDefinitionJson extends JsonObject {
  name: string;
  image?: string;
  essential?: boolean;
  command?: string[];
  entryPoint?: string[];
  workingDirectory?: string;
  dependsOn?: ContainerDependency[];
  environment?: KeyValuePair[];
  secrets?: Secret[];
  logConfiguration?: LogConfiguration;
  healthCheck?: JsonObject;
  memory?: number;
  memoryReservation?: number;
}

export interface RuntimePlatform extends JsonObject {
  cpuArchitecture?: string;
  operatingSystemFamily?: string;
}

/** A task definition as DescribeTaskDefinition returns it or a user wrote it; `tags` live outside. */
export interface TaskDefinitionJson extends JsonObject {
  family: string;
  containerDefinitions: ContainerDefinitionJson[];
  executionRoleArn?: string;
  /** The API takes task-level sizes as strings ("1024", "1 GB"). */
  memory?: string;
  cpu?: string;
  runtimePlatform?: RuntimePlatform;
}

/** DescribeTaskDefinition's answer: tags only come back when asked for with include TAGS. */
export interface DescribedTaskDefinition {
  taskDefinition: TaskDefinitionJson;
  tags: Tag[] | undefined;
}

/** The input of RegisterTaskDefinition: no read-only fields, tags inside. */
export interface RegisterTaskDefinitionJson extends TaskDefinitionJson {
  tags?: Tag[];
}
