#!/usr/bin/env node
// Executable shim for package.json "bin": registers tsx (a runtime dependency, the same loader the
// tests use via --import tsx) and runs the TypeScript entry, so no build step is needed after npm ci.
'use strict';
import('tsx')
  .then(() => import('./jenkins-ecs.ts'))
  .catch((err) => {
    console.error(`jenkins-ecs: cannot start: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  });
