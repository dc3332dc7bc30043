// The CLI (job/src/cli.ts), with every file it opens whose name ends in .pgdump.zst appended as a
// line to the file OPEN_LOG names: tests that must know how often a run reads its dump run this
// entry (spawnCli's `entry`). The dump is read through fs.open (createReadStream); both of Node's
// open functions are wrapped, so a read by either is counted.
import fs from "node:fs";
import { run } from "../../src/cli.js";

const log = process.env["OPEN_LOG"];
if (log === undefined) throw new Error("counting-cli: set OPEN_LOG to the file that records the opens");
const record = (path: unknown) => {
    if (String(path).endsWith(".pgdump.zst")) fs.appendFileSync(log, `${String(path)}\n`);
};
const open = fs.open;
fs.open = ((path: fs.PathLike, ...rest: unknown[]) => {
    record(path);
    return (open as (...args: unknown[]) => void)(path, ...rest);
}) as typeof fs.open;
const openHandle = fs.promises.open;
fs.promises.open = (path, ...rest) => {
    record(path);
    return openHandle(path, ...rest);
};

run(process.argv.slice(2));
