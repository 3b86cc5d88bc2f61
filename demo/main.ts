// Entry point of `npm run demo`; everything else is in cli.ts and demo.ts.
import { runCli } from './cli.js';

runCli(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
