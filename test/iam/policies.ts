/** The policy documents of a resolved template, and which role each identity policy reaches. */
import { TemplateResolver } from './template.js';

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement[];
}

export type PolicyKind = 'identity' | 'resource' | 'trust';

export interface FoundPolicy {
  readonly kind: PolicyKind;
  /** `<stack>/<logical id>[/<inline policy name>]`, for messages. */
  readonly name: string;
  /** Logical id of the resource holding the document. */
  readonly logicalId: string;
  /** Logical ids of the roles an identity policy is attached to. */
  readonly roles: readonly string[];
  readonly document: PolicyDocument;
}

export function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function doc(r: TemplateResolver, raw: unknown): PolicyDocument | undefined {
  if (raw === undefined) return undefined;
  const value = r.resolve(raw);
  const parsed = (typeof value === 'string' ? JSON.parse(value) : value) as PolicyDocument;
  return { ...parsed, Statement: asList(parsed.Statement) };
}

function roleIds(raw: unknown): string[] {
  return asList(raw as unknown[]).flatMap((v) => {
    const id = TemplateResolver.referencedId(v);
    return id ? [id] : [];
  });
}

const RESOURCE_POLICY_PROPS: Record<string, string> = {
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::Logs::ResourcePolicy': 'PolicyDocument',
  'AWS::ECR::Repository': 'RepositoryPolicyText',
  'AWS::SecretsManager::ResourcePolicy': 'ResourcePolicy',
};

/** Every policy document in the template: identity, resource and trust policies. */
export function findPolicies(r: TemplateResolver, stackName: string): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  const managedAttachments = new Map<string, string[]>();
  for (const [id, res] of r.ofType('AWS::IAM::Role')) {
    for (const arn of asList(res.Properties?.ManagedPolicyArns as unknown[])) {
      const mp = TemplateResolver.referencedId(arn);
      if (mp && r.resources[mp]?.Type === 'AWS::IAM::ManagedPolicy') managedAttachments.set(mp, [...(managedAttachments.get(mp) ?? []), id]);
    }
  }
  for (const [id, res] of Object.entries(r.resources)) {
    const p = res.Properties ?? {};
    switch (res.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        const d = doc(r, p.PolicyDocument);
        const roles = [...roleIds(p.Roles), ...(managedAttachments.get(id) ?? [])];
        if (d) out.push({ kind: 'identity', name: `${stackName}/${id}`, logicalId: id, roles, document: d });
        break;
      }
      case 'AWS::IAM::Role': {
        const trust = doc(r, p.AssumeRolePolicyDocument);
        if (trust) out.push({ kind: 'trust', name: `${stackName}/${id}/trust`, logicalId: id, roles: [], document: trust });
        for (const inline of asList(p.Policies as { PolicyName: unknown; PolicyDocument: unknown }[])) {
          const d = doc(r, inline.PolicyDocument);
          if (d) out.push({ kind: 'identity', name: `${stackName}/${id}/${String(r.resolve(inline.PolicyName))}`, logicalId: id, roles: [id], document: d });
        }
        break;
      }
      default: {
        const prop = RESOURCE_POLICY_PROPS[res.Type];
        const d = prop ? doc(r, p[prop]) : undefined;
        if (d) out.push({ kind: 'resource', name: `${stackName}/${id}`, logicalId: id, roles: [], document: d });
      }
    }
  }
  return out;
}

/** The identity policies attached to a role (inline, AWS::IAM::Policy, customer managed). */
export function policiesOfRole(policies: readonly FoundPolicy[], roleLogicalId: string): FoundPolicy[] {
  return policies.filter((p) => p.kind === 'identity' && p.roles.includes(roleLogicalId));
}
