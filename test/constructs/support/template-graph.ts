/**
 * The dependency graph of a synthesized CloudFormation template, as CloudFormation itself derives
 * it: a resource waits for every resource it names in `DependsOn`, `Ref`, `Fn::GetAtt` or a
 * `${Name}` / `${Name.Attr}` inside `Fn::Sub`. Pure: reads the template JSON only.
 */
type Json = unknown;

export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: Json; [k: string]: Json }>;
}

/** Logical ids one value refers to (Ref, GetAtt, Sub), pseudo parameters and parameters left out by the caller. */
function references(value: Json, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) references(v, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value as Record<string, Json>)) {
    if (key === 'Ref' && typeof v === 'string') out.add(v);
    else if (key === 'Fn::GetAtt') {
      if (Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else if (typeof v === 'string') out.add(v.split('.')[0]!);
      references(v, out);
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(v) ? v[0] : v;
      if (typeof text === 'string') {
        for (const m of text.matchAll(/\$\{([^}!][^}.]*)(?:\.[^}]*)?\}/g)) out.add(m[1]!);
      }
      if (Array.isArray(v)) references(v[1], out);
    } else references(v, out);
  }
}

/** Direct dependencies of every resource (only edges to other resources of the template). */
export function dependencyGraph(template: TemplateJson): Map<string, Set<string>> {
  const ids = new Set(Object.keys(template.Resources));
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const refs = new Set<string>();
    const { DependsOn, ...rest } = resource;
    for (const d of [DependsOn ?? []].flat()) refs.add(d);
    references(rest, refs);
    graph.set(id, new Set([...refs].filter((r) => ids.has(r) && r !== id)));
  }
  return graph;
}

/** Every resource `from` waits for, directly or transitively. */
export function transitiveDependencies(graph: Map<string, Set<string>>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const next = todo.pop()!;
    for (const d of graph.get(next) ?? []) {
      if (!seen.has(d)) {
        seen.add(d);
        todo.push(d);
      }
    }
  }
  return seen;
}

/** For each resource of `types`, the resources of `forbiddenType` it waits for (empty lists left out). */
export function dependenciesOnType(template: TemplateJson, types: readonly string[], forbiddenType: string): Record<string, string[]> {
  const graph = dependencyGraph(template);
  const out: Record<string, string[]> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!types.includes(resource.Type)) continue;
    const bad = [...transitiveDependencies(graph, id)].filter((d) => template.Resources[d]?.Type === forbiddenType);
    if (bad.length > 0) out[id] = bad.sort();
  }
  return out;
}
