/** Entry point of the keeper sidecar (bundled to keeper.js). `--health` runs the container health check. */
import { keeperMain } from './run.js';

keeperMain(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`keeper crashed: ${String(e)}\n`);
    process.exit(70);
  },
);
