#!/usr/bin/env node
// CLI entry: `jenkins-ecs <command>` once installed (`npm link`, or `npm install -g` of the packed
// tarball), which runs dist/bin/jenkins-ecs.js: this file and its imports bundled by esbuild
// (scripts/build-cli.mjs), plain JavaScript, no TypeScript loader at start-up. All logic lives in
// src/cli/main.ts.
//
// The AWS SDK warns on every command that its future releases need Node 22; this pinned SDK runs
// on Node 20, and the warning would break the CLI's one-line error output. Opt back in by setting
// the variable to anything else. The SDK loads lazily (only AWS commands import it), so setting
// it here, after the imports below, is in time.
import { main } from '../src/cli/main.js';
import { ConsoleIo } from '../src/cli/io.js';

if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

void main(process.argv.slice(2), { io: new ConsoleIo() }).then((code) => {
  process.exitCode = code;
});
