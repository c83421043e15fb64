// Writes src/nag-scope.generated.ts: for each rule of cdk-nag's AwsSolutions pack (by rule id,
// `AwsSolutions-S10`), the CloudFormation resource types it can report on, read from its code.
//
// Why: every cdk-nag rule starts with `node instanceof aws_xyz_1.CfnThing`, and reading
// `aws_xyz_1.CfnThing` loads that service's generated L1 module. Run on every resource, the pack
// loads about 12 MB of aws-cdk-lib JavaScript (QuickSight alone is 5.3 MB) for services this app
// never uses: about half of a warm `npm run synth`. Skipping a rule for a resource whose type is
// not one of these changes no result: the rule would have answered NOT_APPLICABLE (src/nag.ts).
//
// A rule gets a type list only when its whole body has one of the shapes below, where every
// GUARD is `node instanceof M.CfnX` joined by `||`, M is an aws-cdk-lib module, and no code runs
// before the guards; any other rule runs on every resource, as in cdk-nag itself:
//   if (GUARD) {...} [else if (GUARD) {...}]* else { return NOT_APPLICABLE }
//   if (GUARD) {...} [if (GUARD) {...}]* return NOT_APPLICABLE
//   if (!(GUARD)) { return NOT_APPLICABLE } ...
// For a resource of another type every GUARD is false, so the rule returns NOT_APPLICABLE.
// The types are the types' own CFN_RESOURCE_TYPE_NAME (an instance of CfnX always has it).
//
// test/constructs/nag-scope.test.ts fails when the committed file differs from what this prints
// for the installed cdk-nag, and checks the claim against the rules themselves. Run after
// upgrading cdk-nag or aws-cdk-lib: `npm run nag:update`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';

export const NAG_SCOPE_FILE = join(__dirname, '..', 'src', 'nag-scope.generated.ts');

const NAG_ROOT = dirname(require.resolve('cdk-nag/package.json'));
const PACK_FILE = join(NAG_ROOT, 'lib', 'packs', 'aws-solutions.js');
const RULES_DIR = join(NAG_ROOT, 'lib', 'rules');
/** `require` as the rule files resolve it (the rules' own aws-cdk-lib). */
const requireFromRules = createRequire(join(RULES_DIR, 'index.js'));

/** What the analysis found for one rule: its resource types, or why it runs on everything. */
export type RuleScope = { readonly types: readonly string[] } | { readonly unscoped: string };

interface RuleSource {
  readonly file: string;
  /** The rule function's `name` (what NagPack sees as `params.rule.name`). */
  readonly name: string;
  readonly param: string;
  readonly body: readonly ts.Statement[];
  /** Local name → module specifier, from `const x = require("...")`. */
  readonly requires: ReadonlyMap<string, string>;
}

class Unscoped extends Error {}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
}

function strip(e: ts.Expression): ts.Expression {
  return ts.isParenthesizedExpression(e) ? strip(e.expression) : e;
}

/** The rule function of one rule file: `exports.default = Object.defineProperty((node) => {...}, 'name', ...)` or `function Name(node) {...}; exports.default = Name`. */
function ruleSource(file: string): RuleSource | undefined {
  const sf = parse(file);
  const requires = new Map<string, string>();
  let arrow: ts.ArrowFunction | undefined;
  let exported: string | undefined;
  const functions = new Map<string, ts.FunctionDeclaration>();
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const init = d.initializer;
        if (ts.isIdentifier(d.name) && init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'require') {
          const arg = init.arguments[0];
          if (arg && ts.isStringLiteral(arg)) requires.set(d.name.text, arg.text);
        }
      }
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      functions.set(st.name.text, st);
    } else if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression) && st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const { left, right } = st.expression;
      if (!(ts.isPropertyAccessExpression(left) && left.getText(sf) === 'exports.default')) continue;
      if (ts.isIdentifier(right)) exported = right.text;
      else if (ts.isCallExpression(right) && right.expression.getText(sf) === 'Object.defineProperty') {
        const [fn, key] = right.arguments;
        // The name is `(0, path_1.parse)(__filename).name`: the file's base name.
        if (fn && ts.isArrowFunction(fn) && key && ts.isStringLiteral(key) && key.text === 'name' && right.arguments[2]?.getText(sf).includes('__filename')) arrow = fn;
      }
    }
  }
  const fn = arrow ?? (exported !== undefined ? functions.get(exported) : undefined);
  if (!fn || !fn.body || !ts.isBlock(fn.body)) return undefined;
  const param = fn.parameters[0]?.name;
  if (!param || !ts.isIdentifier(param)) return undefined;
  return { file, name: arrow ? basename(file, '.js') : exported!, param: param.text, body: fn.body.statements, requires };
}

/** The resource types a guard `node instanceof M.CfnX || node.cfnResourceType === 'T' || ...` admits. */
function guardTypes(rule: RuleSource, e: ts.Expression): string[] {
  const x = strip(e);
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
    return [...guardTypes(rule, x.left), ...guardTypes(rule, x.right)];
  }
  const isParam = (n: ts.Expression) => ts.isIdentifier(strip(n)) && (strip(n) as ts.Identifier).text === rule.param;
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword) {
    const right = strip(x.right);
    if (isParam(x.left) && ts.isPropertyAccessExpression(right) && ts.isIdentifier(right.expression)) {
      const spec = rule.requires.get(right.expression.text);
      if (spec !== undefined && (spec === 'aws-cdk-lib' || spec.startsWith('aws-cdk-lib/'))) return [cfnType(spec, right.name.text)];
    }
  }
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken) {
    const left = strip(x.left);
    const right = strip(x.right);
    if (ts.isPropertyAccessExpression(left) && left.name.text === 'cfnResourceType' && isParam(left.expression) && ts.isStringLiteral(right)) return [right.text];
  }
  throw new Unscoped(`guard \`${x.getText()}\` is neither \`${rule.param} instanceof <aws-cdk-lib class>\` nor \`${rule.param}.cfnResourceType === '<type>'\``);
}

function isNotApplicable(e: ts.Expression): boolean {
  const x = strip(e);
  return ts.isPropertyAccessExpression(x) && x.name.text === 'NOT_APPLICABLE' && ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === 'NagRuleCompliance';
}

/** `return NOT_APPLICABLE;`, alone or as the only statement of a block. */
function returnsNotApplicable(s: ts.Statement | undefined): boolean {
  if (s === undefined) return false;
  if (ts.isBlock(s)) return s.statements.length === 1 && returnsNotApplicable(s.statements[0]);
  return ts.isReturnStatement(s) && s.expression !== undefined && isNotApplicable(s.expression);
}

/** Types of an if / else-if chain that ends in `else return NOT_APPLICABLE` or has no else. */
function chainTypes(rule: RuleSource, s: ts.IfStatement): { types: string[]; open: boolean } {
  const types = guardTypes(rule, s.expression);
  if (s.elseStatement === undefined) return { types, open: true };
  if (ts.isIfStatement(s.elseStatement)) {
    const rest = chainTypes(rule, s.elseStatement);
    return { types: [...types, ...rest.types], open: rest.open };
  }
  if (returnsNotApplicable(s.elseStatement)) return { types, open: false };
  throw new Unscoped('an else branch does more than return NOT_APPLICABLE');
}

function ruleTypes(rule: RuleSource): string[] {
  const first = rule.body[0];
  if (first === undefined || !ts.isIfStatement(first)) throw new Unscoped('the body does not start with the guard');
  // if (!(GUARD)) return NOT_APPLICABLE; ...
  const cond = strip(first.expression);
  if (ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken && first.elseStatement === undefined && returnsNotApplicable(first.thenStatement)) {
    return guardTypes(rule, cond.operand);
  }
  const types: string[] = [];
  let k = 0;
  for (let s = rule.body[k]; s !== undefined && ts.isIfStatement(s); s = rule.body[k]) {
    const chain = chainTypes(rule, s);
    types.push(...chain.types);
    k++;
    if (!chain.open) {
      // Function declarations after it (hoisted helpers) run nothing by themselves.
      if (rule.body.slice(k).some((st) => !ts.isFunctionDeclaration(st))) throw new Unscoped('statements after the guard chain that ends in `else return NOT_APPLICABLE`');
      return types;
    }
  }
  // Open chains (no final else): the one statement after them must return NOT_APPLICABLE, and be the last.
  if (k !== rule.body.length - 1 || !returnsNotApplicable(rule.body[k])) throw new Unscoped('the guards are not followed by `return NOT_APPLICABLE` alone');
  return types;
}

function cfnType(spec: string, cls: string): string {
  const mod = requireFromRules(spec) as Record<string, { CFN_RESOURCE_TYPE_NAME?: unknown } | undefined>;
  const type = mod[cls]?.CFN_RESOURCE_TYPE_NAME;
  if (typeof type !== 'string') throw new Unscoped(`${spec}.${cls} has no CFN_RESOURCE_TYPE_NAME`);
  return type;
}

/** The pack's name, the prefix of its rule ids. */
const PACK_NAME = 'AwsSolutions';

/** The rules the AwsSolutions pack applies: rule id (`AwsSolutions-<ruleSuffixOverride>`) → rule function name. */
export function packRules(): Map<string, string> {
  const rules = new Map<string, string>();
  const visit = (n: ts.Node): void => {
    if (ts.isObjectLiteralExpression(n)) {
      const prop = (key: string) => n.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === key)?.initializer;
      const suffix = prop('ruleSuffixOverride');
      const rule = prop('rule');
      if (rule !== undefined) {
        // Every rule of this pack names its id; without one NagPack would use the function's name.
        if (suffix === undefined || !ts.isStringLiteral(suffix) || !ts.isPropertyAccessExpression(rule)) throw new Error(`${PACK_FILE}: a rule without a literal ruleSuffixOverride: ${n.getText().slice(0, 200)}`);
        rules.set(`${PACK_NAME}-${suffix.text}`, rule.name.text);
      }
    }
    n.forEachChild(visit);
  };
  visit(parse(PACK_FILE));
  return new Map([...rules].sort(([a], [b]) => a.localeCompare(b)));
}

/** The scope of every rule the AwsSolutions pack applies, by rule id. */
export function nagRuleScopes(): Map<string, RuleScope & { readonly rule: string }> {
  const sources = new Map<string, RuleSource[]>();
  for (const dir of readdirSync(RULES_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(RULES_DIR, dir.name))) {
      if (!f.endsWith('.js') || f === 'index.js') continue;
      const src = ruleSource(join(RULES_DIR, dir.name, f));
      const name = src?.name ?? basename(f, '.js');
      sources.set(name, [...(sources.get(name) ?? []), ...(src ? [src] : [])]);
    }
  }
  const out = new Map<string, RuleScope & { readonly rule: string }>();
  for (const [id, rule] of packRules()) {
    const found = sources.get(rule) ?? [];
    if (found.length !== 1) {
      out.set(id, { rule, unscoped: found.length === 0 ? 'rule function not found' : 'several rule files share this name' });
      continue;
    }
    try {
      out.set(id, { rule, types: [...new Set(ruleTypes(found[0]!))].sort() });
    } catch (e) {
      if (!(e instanceof Unscoped)) throw e;
      out.set(id, { rule, unscoped: e.message });
    }
  }
  return out;
}

function version(pkg: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
}

export function nagScopeSource(): string {
  const scopes = nagRuleScopes();
  const rows: string[] = [];
  const unscoped: string[] = [];
  for (const [id, scope] of scopes) {
    if ('types' in scope) rows.push(`  '${id}': [${scope.types.map((t) => `'${t}'`).join(', ')}], // ${scope.rule}`);
    else unscoped.push(`//   ${id} (${scope.rule}): ${scope.unscoped}`);
  }
  return [
    `// Generated by scripts/gen-nag-scope.ts from cdk-nag ${version('cdk-nag')} and aws-cdk-lib ${version('aws-cdk-lib')}. Do not edit.`,
    '',
    `export const NAG_SCOPE_SOURCE = 'cdk-nag ${version('cdk-nag')}';`,
    '',
    '/**',
    ' * The resource types each AwsSolutions rule can report on, by rule id: on a resource',
    ' * of any other type the rule returns NOT_APPLICABLE. Rules not listed run on every resource.',
    ' */',
    'export const NAG_RULE_TYPES: Readonly<Record<string, readonly string[]>> = {',
    ...rows,
    '};',
    ...(unscoped.length > 0 ? ['', '// Run on every resource (their code has another shape):', ...unscoped] : []),
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(NAG_SCOPE_FILE, nagScopeSource());
  console.log(`wrote ${NAG_SCOPE_FILE}`);
}
