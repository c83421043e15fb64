#!/usr/bin/env node
// Executable shim for package.json "bin": registers tsx (a runtime dependency, the same loader the
// tests use via --import tsx) and runs the TypeScript entry, so no build step is needed after npm ci.
'use strict';
// The AWS SDK warns on every command that its future releases need Node 22; this pinned SDK runs
// on Node 20, and the warning would break the CLI's one-line error output. Opt back in by setting
// the variable to anything else.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
import('tsx')
  .then(() => import('./jenkins-ecs.ts'))
  .catch((err) => {
    console.error(`jenkins-ecs: cannot start: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  });
