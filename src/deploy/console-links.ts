// AWS console addresses for the job summary: the service's deployments, a stopped task, the
// migration's log stream, a task definition revision. Pure.

export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the account, e.g. `service/prod/web`. */
  readonly resource: string;
}

export function parseArn(arn: string): ArnParts | undefined {
  const match = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$/.exec(arn);
  if (!match) return undefined;
  return {
    partition: match[1]!,
    service: match[2]!,
    region: match[3]!,
    account: match[4]!,
    resource: match[5]!,
  };
}

/** A cluster, service or task given by name or ARN → its name (the last path segment of an ARN). */
export function resourceName(nameOrArn: string): string {
  const arn = parseArn(nameOrArn);
  if (!arn) return nameOrArn;
  const slash = arn.resource.lastIndexOf('/');
  return slash >= 0 ? arn.resource.slice(slash + 1) : arn.resource;
}

/** The console's origin for a region and partition. */
export function consoleOrigin(region: string, partition = 'aws'): string {
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/** The CloudWatch console's own escaping of names inside its `#logsV2:` fragment. */
export function cloudWatchFragmentEscape(text: string): string {
  return encodeURIComponent(text).replace(/%/g, '$25');
}

const seg = encodeURIComponent;

export interface ServiceLocation {
  readonly region: string;
  readonly partition?: string;
  /** Name or ARN. */
  readonly cluster: string;
  /** Name or ARN. */
  readonly service: string;
}

export function serviceConsoleUrl(at: ServiceLocation): string {
  return `${consoleOrigin(at.region, at.partition)}/ecs/v2/clusters/${seg(resourceName(at.cluster))}/services/${seg(resourceName(at.service))}/deployments?region=${seg(at.region)}`;
}

export interface TaskLocation {
  readonly region: string;
  readonly partition?: string;
  /** Name or ARN. */
  readonly cluster: string;
  /** Task ID or ARN. */
  readonly task: string;
}

export function taskConsoleUrl(at: TaskLocation): string {
  return `${consoleOrigin(at.region, at.partition)}/ecs/v2/clusters/${seg(resourceName(at.cluster))}/tasks/${seg(resourceName(at.task))}/configuration?region=${seg(at.region)}`;
}

/** `arn:…:task-definition/family:revision` → the revision's page; undefined for anything else. */
export function taskDefinitionConsoleUrl(taskDefinitionArn: string): string | undefined {
  const arn = parseArn(taskDefinitionArn);
  const match = arn && /^task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn.resource);
  if (!arn || !match) return undefined;
  return `${consoleOrigin(arn.region, arn.partition)}/ecs/v2/task-definitions/${seg(match[1]!)}/${match[2]}/containers?region=${seg(arn.region)}`;
}

export interface LogStreamLocation {
  readonly region: string;
  readonly partition?: string;
  readonly group: string;
  readonly stream: string;
}

export function logStreamConsoleUrl(at: LogStreamLocation): string {
  return `${consoleOrigin(at.region, at.partition)}/cloudwatch/home?region=${seg(at.region)}#logsV2:log-groups/log-group/${cloudWatchFragmentEscape(at.group)}/log-events/${cloudWatchFragmentEscape(at.stream)}`;
}

export interface DeploymentLinkFacts {
  /** The service's ARN: gives the region and partition. */
  readonly serviceArn: string;
  readonly cluster: string;
  readonly taskDefinitionArn?: string;
  readonly previousTaskDefinitionArn?: string;
  readonly taskArn?: string;
  /** The migration's log stream; its region defaults to the service's. */
  readonly logStream?: { group: string; stream: string; region?: string };
}

export interface DeploymentLinks {
  readonly service?: string;
  readonly taskDefinition?: string;
  readonly previousTaskDefinition?: string;
  readonly task?: string;
  readonly logStream?: string;
}

/** Every link the facts allow; a link whose region cannot be known is left out. */
export function deploymentLinks(facts: DeploymentLinkFacts): DeploymentLinks {
  const arn = parseArn(facts.serviceArn);
  const links: {
    -readonly [K in keyof DeploymentLinks]: DeploymentLinks[K];
  } = {};
  if (arn && arn.region) {
    const where = { region: arn.region, partition: arn.partition, cluster: facts.cluster };
    links.service = serviceConsoleUrl({ ...where, service: facts.serviceArn });
    if (facts.taskArn) links.task = taskConsoleUrl({ ...where, task: facts.taskArn });
    if (facts.logStream) {
      links.logStream = logStreamConsoleUrl({
        region: facts.logStream.region ?? arn.region,
        partition: arn.partition,
        group: facts.logStream.group,
        stream: facts.logStream.stream,
      });
    }
  }
  const td = facts.taskDefinitionArn && taskDefinitionConsoleUrl(facts.taskDefinitionArn);
  if (td) links.taskDefinition = td;
  const previous =
    facts.previousTaskDefinitionArn && taskDefinitionConsoleUrl(facts.previousTaskDefinitionArn);
  if (previous) links.previousTaskDefinition = previous;
  return links;
}
