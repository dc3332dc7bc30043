#!/usr/bin/env node
// `node_modules/.bin/backup-job ...` from a checkout: tsx's hooks are registered in THIS process and the
// CLI is loaded into it, so there is no build step and no child process in between: a supervisor's
// SIGTERM sent to this process reaches the job's own handlers. (`npm run` and `npx` start the command
// under `sh -c` and do not wait for it when stopped; the tsx command line runs the script in a child.)
// Both hooks, as `node --import tsx` registers them: the CLI loads its commands with import().
import("tsx/esm/api").then(({ register }) => {
    register();
    require("tsx/cjs/api").register();
    require("../src/cli.ts").run(process.argv.slice(2));
});
