/**
 * Resolves the CloudFormation intrinsics of a synthesized template into concrete strings, the
 * way CloudFormation would for one known account and region, so policies can be checked and
 * simulated offline. Physical names CloudFormation would generate are stood in for by the
 * logical id (stable and readable in failure messages).
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface Env {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** Marker for `Ref AWS::NoValue`: dropped from lists and objects. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateResolver {
  public constructor(
    public readonly template: CfnTemplate,
    public readonly env: Env,
  ) {}

  public get resources(): Record<string, CfnResource> {
    return this.template.Resources ?? {};
  }

  /** Deep-resolves every intrinsic in `value`. */
  public resolve(value: unknown): unknown {
    const out = this.walk(value);
    return out === NO_VALUE ? undefined : out;
  }

  public resolveString(value: unknown): string {
    const out = this.resolve(value);
    if (typeof out !== 'string') throw new Error(`expected a string, got ${JSON.stringify(out)} from ${JSON.stringify(value)}`);
    return out;
  }

  /** Resources of a type, with their logical ids. */
  public ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  /** The logical id a `Ref`/`Fn::GetAtt` points at, if `value` is one. */
  public static referencedId(value: unknown): string | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return o.Ref;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
    return undefined;
  }

  private arn(service: string, resource: string, opts: { region?: string; account?: string } = {}): string {
    return `arn:${this.env.partition}:${service}:${opts.region ?? this.env.region}:${opts.account ?? this.env.account}:${resource}`;
  }

  private prop(id: string, name: string): string | undefined {
    const v = this.resources[id]?.Properties?.[name];
    return v === undefined ? undefined : this.resolveString(v);
  }

  /** What `Ref` returns for a resource (CloudFormation's documented return values). */
  private ref(id: string): string {
    const r = this.resources[id];
    if (!r) throw new Error(`Ref to unknown resource or parameter ${id}`);
    switch (r.Type) {
      case 'AWS::ECS::Service':
        return this.getAtt(id, 'ServiceArn');
      case 'AWS::ECS::TaskDefinition':
        return this.arn('ecs', `task-definition/${this.prop(id, 'Family') ?? id}:1`);
      case 'AWS::ECS::Cluster':
        return this.prop(id, 'ClusterName') ?? id;
      case 'AWS::IAM::Role':
        return this.prop(id, 'RoleName') ?? id;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${this.env.partition}:iam::${this.env.account}:policy/${this.prop(id, 'ManagedPolicyName') ?? id}`;
      case 'AWS::Logs::LogGroup':
        return this.prop(id, 'LogGroupName') ?? id;
      case 'AWS::Lambda::Function':
        return this.prop(id, 'FunctionName') ?? id;
      case 'AWS::DynamoDB::Table':
        return this.prop(id, 'TableName') ?? id;
      case 'AWS::S3::Bucket':
        // Bucket names are lower case; CloudFormation generates one from the logical id.
        return (this.prop(id, 'BucketName') ?? id).toLowerCase();
      case 'AWS::SSM::Parameter':
        return this.prop(id, 'Name') ?? id;
      case 'AWS::SNS::Topic':
        return this.arn('sns', this.prop(id, 'TopicName') ?? id);
      case 'AWS::SecretsManager::Secret':
        return this.arn('secretsmanager', `secret:${this.prop(id, 'Name') ?? id}-AbCdEf`);
      case 'AWS::KMS::Key':
        return `key-${id}`;
      case 'AWS::StepFunctions::StateMachine':
        return this.arn('states', `stateMachine:${this.prop(id, 'StateMachineName') ?? id}`);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.env.region}.amazonaws.com/${this.env.account}/${this.prop(id, 'QueueName') ?? id}`;
      default:
        return id;
    }
  }

  private getAtt(id: string, attr: string): string {
    const r = this.resources[id];
    if (!r) throw new Error(`Fn::GetAtt on unknown resource ${id}`);
    const key = `${r.Type}.${attr}`;
    switch (key) {
      case 'AWS::IAM::Role.Arn':
        return `arn:${this.env.partition}:iam::${this.env.account}:role${this.prop(id, 'Path') ?? '/'}${this.ref(id)}`;
      case 'AWS::ECS::Cluster.Arn':
        return this.arn('ecs', `cluster/${this.ref(id)}`);
      case 'AWS::ECS::Service.ServiceArn': {
        const cluster = this.resources[id]?.Properties?.Cluster;
        return this.arn('ecs', `service/${this.resolveString(cluster)}/${this.getAtt(id, 'Name')}`);
      }
      case 'AWS::ECS::Service.Name':
        return this.prop(id, 'ServiceName') ?? id;
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn('logs', `log-group:${this.ref(id)}:*`);
      case 'AWS::KMS::Key.Arn':
        return this.arn('kms', `key/${this.ref(id)}`);
      case 'AWS::Lambda::Function.Arn':
        return this.arn('lambda', `function:${this.ref(id)}`);
      case 'AWS::DynamoDB::Table.Arn':
        return this.arn('dynamodb', `table/${this.ref(id)}`);
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(id);
      case 'AWS::SQS::Queue.Arn':
        return this.arn('sqs', this.prop(id, 'QueueName') ?? id);
      case 'AWS::SQS::Queue.QueueUrl':
        return this.ref(id);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${this.env.partition}:s3:::${this.ref(id)}`;
      case 'AWS::ECR::Repository.Arn':
        return this.arn('ecr', `repository/${this.ref(id)}`);
      case 'AWS::Events::Rule.Arn':
        return this.arn('events', `rule/${this.prop(id, 'Name') ?? id}`);
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerFullName':
        return `app/${id}/0123456789abcdef`;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupFullName':
        return `targetgroup/${id}/0123456789abcdef`;
      case 'AWS::ServiceDiscovery::PrivateDnsNamespace.Id':
        return `ns-${id}`;
      default:
        return `${id}.${attr}`;
    }
  }

  private condition(name: string): boolean {
    const expr = this.template.Conditions?.[name];
    if (expr === undefined) throw new Error(`unknown condition ${name}`);
    return this.evaluate(expr);
  }

  private evaluate(expr: unknown): boolean {
    const o = expr as Record<string, unknown>;
    if (typeof o.Condition === 'string') return this.condition(o.Condition);
    const [fn, args] = Object.entries(o)[0] as [string, unknown[]];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(args[0])) === JSON.stringify(this.resolve(args[1]));
      case 'Fn::Not':
        return !this.evaluate(args[0]);
      case 'Fn::And':
        return args.every((a) => this.evaluate(a));
      case 'Fn::Or':
        return args.some((a) => this.evaluate(a));
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.walk(v)).filter((v) => v !== NO_VALUE);
    if (typeof value !== 'object' || value === null) return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      switch (k) {
        case 'Ref':
          return this.refValue(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
          return this.getAtt(id, attr);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.walk(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.walk(list) as unknown[])[Number(this.walk(index))];
        }
        case 'Fn::Split': {
          const [sep, str] = arg as [string, unknown];
          return String(this.walk(str)).split(sep);
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg as [string, unknown, unknown];
          return this.walk(this.condition(cond) ? yes : no);
        }
        case 'Fn::ImportValue':
          return `import:${String(this.walk(arg))}`;
        case 'Fn::GetAZs':
          return [`${this.env.region}a`, `${this.env.region}b`];
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      const w = this.walk(v);
      if (w !== NO_VALUE) out[k] = w;
    }
    return out;
  }

  private refValue(name: string): unknown {
    switch (name) {
      case 'AWS::AccountId':
        return this.env.account;
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::Partition':
        return this.env.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::StackName':
        return 'stack';
      case 'AWS::StackId':
        return this.arn('cloudformation', 'stack/stack/0');
      default:
        break;
    }
    const param = this.template.Parameters?.[name];
    if (param) return param.Default ?? `param:${name}`;
    return this.ref(name);
  }

  private sub(arg: unknown): string {
    const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}]+)\}/g, (_m, expr: string) => {
      if (expr in vars) return String(this.walk(vars[expr]));
      const dot = expr.indexOf('.');
      if (dot > 0 && !expr.startsWith('AWS::')) return this.getAtt(expr.slice(0, dot), expr.slice(dot + 1));
      return String(this.refValue(expr));
    });
  }
}
