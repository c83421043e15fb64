// CLI entry: `npx jenkins-ecs <command>`. All logic lives in src/cli/main.ts.
import { main } from '../src/cli/main.js';
import { ConsoleIo } from '../src/cli/io.js';

void main(process.argv.slice(2), { io: new ConsoleIo() }).then((code) => {
  process.exitCode = code;
});
