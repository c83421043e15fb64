/**
 * Task metadata endpoint v4 client (`$ECS_CONTAINER_METADATA_URI_V4/task`). It gives the task
 * ARN and the containers' KnownStatus; it does not expose the EBS volume id, which is why the
 * keeper asks DescribeTasks; see docs/aws-notes.md.
 */

export interface TaskMetadata {
  readonly taskArn: string;
  readonly cluster?: string;
  readonly containers: readonly { readonly name: string; readonly knownStatus: string }[];
}

export class MetadataError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

interface RawTask {
  TaskARN?: unknown;
  Cluster?: unknown;
  Containers?: { Name?: unknown; KnownStatus?: unknown }[];
}

export class TaskMetadataClient {
  public constructor(
    private readonly baseUri: string,
    private readonly timeoutMs = 2_000,
  ) {}

  public async task(): Promise<TaskMetadata> {
    const url = `${this.baseUri.replace(/\/$/, '')}/task`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new MetadataError(`task metadata endpoint ${url} did not answer: ${String(e)}`);
    }
    if (!res.ok) throw new MetadataError(`task metadata endpoint ${url} answered HTTP ${res.status}`);
    const body = (await res.json()) as RawTask;
    if (typeof body.TaskARN !== 'string' || !body.TaskARN) throw new MetadataError(`task metadata from ${url} has no TaskARN`);
    return {
      taskArn: body.TaskARN,
      ...(typeof body.Cluster === 'string' ? { cluster: body.Cluster } : {}),
      containers: (body.Containers ?? []).map((c) => ({
        name: typeof c.Name === 'string' ? c.Name : '',
        knownStatus: typeof c.KnownStatus === 'string' ? c.KnownStatus : 'UNKNOWN',
      })),
    };
  }

  /** True once the named container's KnownStatus is STOPPED. A missing container counts as not stopped. */
  public async containerStopped(name: string): Promise<boolean> {
    const task = await this.task();
    return task.containers.find((c) => c.name === name)?.knownStatus === 'STOPPED';
  }
}
