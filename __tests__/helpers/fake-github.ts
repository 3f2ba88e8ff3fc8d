// A loopback GitHub REST API for the deployment record: POST /repos/{owner}/{repo}/deployments
// and …/deployments/{id}/statuses, answered as the REST reference documents them (201 with the
// deployment or status, 404 for an unknown deployment, 422 for a body GitHub validates away),
// every request recorded. Faults per endpoint: GitHub's own 403 for a token without
// `deployments: write`, a 404, server errors a few times, or no answer at all (a hang).
// The action reaches it through GITHUB_API_URL, as on GitHub Enterprise Server.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Endpoint = 'create' | 'status';

export type GitHubFault =
  /** Answer with this status and body (GitHub's JSON error shape). */
  | { readonly kind: 'answer'; readonly status: number; readonly body: Record<string, unknown> }
  /** Answer `status` (with `headers`, e.g. Retry-After) to the first `times` requests, then behave. */
  | {
      readonly kind: 'fail-times';
      readonly times: number;
      readonly status: number;
      readonly message?: string;
      readonly headers?: Record<string, string>;
    }
  /** Never answer (until the server stops). */
  | { readonly kind: 'hang' };

export interface RecordedGitHubRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly endpoint: Endpoint | undefined;
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
  readonly body: Record<string, unknown> | undefined;
  /** The HTTP status answered; undefined while (or when never) answered. */
  status?: number;
}

const DOCS = 'https://docs.github.com/rest/deployments';
const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];

/** GitHub's answer to a token without `deployments: write` (a GITHUB_TOKEN with read-only permissions). */
export function forbidden(endpoint: Endpoint = 'create'): GitHubFault {
  return {
    kind: 'answer',
    status: 403,
    body: {
      message: 'Resource not accessible by integration',
      documentation_url: `${DOCS}/${endpoint === 'create' ? 'deployments#create-a-deployment' : 'statuses#create-a-deployment-status'}`,
      status: '403',
    },
  };
}

export function notFound(): GitHubFault {
  return {
    kind: 'answer',
    status: 404,
    body: {
      message: 'Not Found',
      documentation_url: `${DOCS}/deployments#create-a-deployment`,
      status: '404',
    },
  };
}

interface StoredDeployment {
  readonly id: number;
  readonly body: Record<string, unknown>;
  readonly statuses: Record<string, unknown>[];
}

export class FakeGitHub {
  readonly requests: RecordedGitHubRequest[] = [];
  /** Called as each request arrives, before it is answered: what else had happened by then. */
  onRequest: ((request: RecordedGitHubRequest) => void) | undefined;
  private readonly faults = new Map<Endpoint, GitHubFault>();
  private readonly failed = new Map<Endpoint, number>();
  private readonly deploymentsById = new Map<number, StoredDeployment>();
  private nextId = 1_000_000_001;
  private nextStatusId = 2_000_000_001;
  private server: http.Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  setFault(endpoint: Endpoint, fault: GitHubFault | undefined): void {
    if (fault) this.faults.set(endpoint, fault);
    else this.faults.delete(endpoint);
    this.failed.delete(endpoint);
  }

  /** Deployments created, in order, each with the statuses posted to it. */
  deployments(): StoredDeployment[] {
    return [...this.deploymentsById.values()];
  }

  requestsTo(endpoint: Endpoint): RecordedGitHubRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const create = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(path);
      const status = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(path);
      const endpoint: Endpoint | undefined =
        req.method === 'POST' ? (create ? 'create' : status ? 'status' : undefined) : undefined;
      const record: RecordedGitHubRequest = {
        method: req.method ?? '',
        path,
        endpoint,
        authorization: req.headers.authorization,
        userAgent: req.headers['user-agent'],
        body,
      };
      this.requests.push(record);
      this.onRequest?.(record);
      const answer = (
        code: number,
        json: Record<string, unknown>,
        headers: Record<string, string> = {},
      ) => {
        record.status = code;
        res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(json));
      };

      if (!endpoint) return answer(404, { message: 'Not Found', documentation_url: DOCS });
      if (!req.headers.authorization) {
        return answer(401, { message: 'Requires authentication', documentation_url: DOCS });
      }
      const fault = this.faults.get(endpoint);
      if (fault?.kind === 'hang') return; // the socket stays open until the client gives up
      if (fault?.kind === 'answer') return answer(fault.status, fault.body);
      if (fault?.kind === 'fail-times') {
        const failed = this.failed.get(endpoint) ?? 0;
        if (failed < fault.times) {
          this.failed.set(endpoint, failed + 1);
          return answer(
            fault.status,
            { message: fault.message ?? 'Server Error', documentation_url: DOCS },
            fault.headers,
          );
        }
      }
      if (!body) return answer(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
      const [, owner, repo] = (create ?? status)!;
      if (create) return this.createDeployment(owner!, repo!, body, answer);
      return this.createStatus(owner!, repo!, Number(status![3]), body, answer);
    });
  }

  private createDeployment(
    owner: string,
    repo: string,
    body: Record<string, unknown>,
    answer: (code: number, json: Record<string, unknown>) => void,
  ): void {
    if (typeof body.ref !== 'string' || body.ref === '') {
      return invalid(answer, '"ref" wasn\'t supplied.');
    }
    const id = this.nextId++;
    const environment = typeof body.environment === 'string' ? body.environment : 'production';
    const api = `${this.url}/repos/${owner}/${repo}`;
    this.deploymentsById.set(id, { id, body, statuses: [] });
    const now = new Date().toISOString();
    answer(201, {
      url: `${api}/deployments/${id}`,
      id,
      node_id: `DE_${id}`,
      sha: body.ref,
      ref: body.ref,
      task: body.task ?? 'deploy',
      payload: body.payload ?? {},
      original_environment: environment,
      environment,
      description: body.description ?? null,
      creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      created_at: now,
      updated_at: now,
      statuses_url: `${api}/deployments/${id}/statuses`,
      repository_url: api,
      transient_environment: body.transient_environment ?? false,
      production_environment: body.production_environment ?? environment === 'production',
    });
  }

  private createStatus(
    owner: string,
    repo: string,
    deploymentId: number,
    body: Record<string, unknown>,
    answer: (code: number, json: Record<string, unknown>) => void,
  ): void {
    const deployment = this.deploymentsById.get(deploymentId);
    if (!deployment) {
      return answer(404, {
        message: 'Not Found',
        documentation_url: `${DOCS}/statuses#create-a-deployment-status`,
        status: '404',
      });
    }
    if (typeof body.state !== 'string' || !STATES.includes(body.state)) {
      return invalid(answer, `${JSON.stringify(body.state)} is not a valid state.`);
    }
    if (typeof body.description === 'string' && Array.from(body.description).length > 140) {
      return invalid(answer, 'description is too long (maximum is 140 characters)');
    }
    deployment.statuses.push(body);
    const id = this.nextStatusId++;
    const api = `${this.url}/repos/${owner}/${repo}`;
    const now = new Date().toISOString();
    answer(201, {
      url: `${api}/deployments/${deploymentId}/statuses/${id}`,
      id,
      node_id: `DES_${id}`,
      state: body.state,
      creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      description: body.description ?? '',
      environment: deployment.body.environment ?? 'production',
      target_url: body.log_url ?? body.target_url ?? '',
      log_url: body.log_url ?? body.target_url ?? '',
      environment_url: body.environment_url ?? '',
      created_at: now,
      updated_at: now,
      deployment_url: `${api}/deployments/${deploymentId}`,
      repository_url: api,
    });
  }
}

function invalid(answer: (code: number, json: Record<string, unknown>) => void, why: string): void {
  answer(422, {
    message: `Invalid request.\n\n${why}`,
    documentation_url: DOCS,
    status: '422',
  });
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const github = new FakeGitHub();
  await github.start();
  return github;
}
