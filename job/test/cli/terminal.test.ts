// What a person at a terminal sees: the CLI runs on a real pseudo-terminal (util-linux `script`), so
// stdin, stdout and stderr are TTYs exactly as in an interactive shell, and the test reads the screen.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { baseEnv, CLI_ENTRY, errorOf, REPO_ROOT, runCli } from "../support/cli.js";
import { createVariedDatabase, fingerprint } from "../support/fixtures.js";
import { freePort, startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

let pg: PgCluster;
let work: string;
let target: string;
let backupId: string;

const tsx = pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
/** The escape character that starts terminal control sequences (colours, erase-line). */
const ESC = "\u001b";
const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

interface Screen {
    code: number | null;
    /** What the terminal shows, line by line: carriage returns and erase-line applied, colours kept. */
    lines: string[];
    /** The raw bytes written to the terminal. */
    raw: string;
}

/** A terminal's rendering of the bytes: `\r` returns to column 0, ESC[K erases to the end of the line. */
function render(raw: string): string[] {
    return raw
        .replace(/\r\n/g, "\n")
        .split("\n")
        .map((line) => {
            let shown = "";
            let column = 0;
            for (const part of line.split(new RegExp(`(\\r|${ESC}\\[K)`))) {
                if (part === "\r") column = 0;
                else if (part === `${ESC}[K`) shown = shown.slice(0, column);
                else {
                    shown = shown.slice(0, column) + part + shown.slice(column + part.length);
                    column += part.length;
                }
            }
            return shown;
        })
        .filter((line) => line !== "");
}

const uncoloured = (text: string) => text.replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "");

/** Runs the CLI on a pseudo-terminal; `input` is what the person types; `shell` is appended to the command line (a redirection). */
function onTerminal(args: string[], options: { env?: Record<string, string>; input?: string; shell?: string } = {}): Promise<Screen> {
    const command = [process.execPath, "--import", tsx, CLI_ENTRY, ...args].map(quote).join(" ") + (options.shell ?? "");
    const child = spawn("script", ["-qec", command, "/dev/null"], {
        cwd: REPO_ROOT,
        env: { ...baseEnv(), TERM: "xterm", ...options.env },
        stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(options.input ?? "");
    let raw = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    return new Promise((resolve) =>
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, raw, lines: render(raw) });
        }),
    );
}

/** Every file under a directory with its size and modification time: what a run that changes nothing leaves alone. */
function tree(dir: string): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => {
            const path = join(entry.parentPath, entry.name);
            const stat = statSync(path);
            return `${relative(dir, path)} ${stat.size} ${stat.mtimeMs}`;
        })
        .sort();
}

const LOG_LINE = /^\d\d:\d\d:\d\d (info |warn |error) \S/;

beforeAll(async () => {
    expect(execFileSync("which", ["script"], { encoding: "utf8" }).trim(), "util-linux script is needed for the pseudo-terminal").not.toBe("");
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-terminal-"));
    target = `file://${join(work, "backups")}`;
    const backup = await runCli(["backup", "--database-url", await createVariedDatabase(pg, "hotel", { guests: 200 }), "--to", target]);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    backupId = backup.logs.find((line) => line.message === "backup complete")!.context!["id"] as string;
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

describe("at a terminal", () => {
    it("a backup prints readable, coloured lines and a progress line, no JSON and no metrics record", async () => {
        const screen = await onTerminal(["backup", "--database-url", pg.url("hotel"), "--to", `file://${join(work, "tty-backup")}`]);
        expect(screen.code, screen.raw).toBe(0);
        expect(screen.raw).not.toContain('{"level"');
        expect(screen.raw).not.toContain("_aws");
        expect(screen.raw).toContain(`${ESC}[36minfo ${ESC}[0m backup complete`);
        const lines = screen.lines.map(uncoloured);
        expect(lines.find((line) => / info {2}backup complete {2}id=hotel_\d{8}T\d{6}Z /.test(line))).toBeDefined();
        // The progress line ends as one line of its own, with bytes, rate and elapsed time.
        expect(lines.filter((line) => line.startsWith("backup "))).toEqual([
            expect.stringMatching(/^backup \d+(\.\d)? (B|KiB|MiB) {2}\S+ \S+\/s {2}\d\d:\d\d elapsed$/),
        ]);
        // Nothing runs into anything else: every line on the screen is a log line or the progress line.
        expect(lines.filter((line) => !LOG_LINE.test(line) && !line.startsWith("backup "))).toEqual([]);
    });

    it("NO_COLOR turns colour off; --log-format json prints JSON lines at a terminal too", async () => {
        const plain = await onTerminal(["list", "--from", target], { env: { NO_COLOR: "1" } });
        expect(plain.code, plain.raw).toBe(0);
        expect(plain.raw).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
        expect(plain.lines.some((line) => line.startsWith(backupId))).toBe(true);
        const json = await onTerminal(["backup", "--database-url", pg.url("hotel"), "--to", `file://${join(work, "tty-json")}`, "--log-format", "json"]);
        expect(json.code, json.raw).toBe(0);
        const logLines = json.lines.filter((line) => line.startsWith("{"));
        expect(logLines.map((line) => JSON.parse(line).message)).toContain("backup complete");
    });

    it("an error still reaches the terminal when the output goes to /dev/null, and says how many attempts were made", async () => {
        const url = `postgresql://nobody:not-a-real-secret@127.0.0.1:${await freePort()}/hotel`;
        const screen = await onTerminal(["backup", "--database-url", url, "--to", `file://${join(work, "none")}`, "--connect-attempts", "2"], {
            shell: " >/dev/null",
        });
        expect(screen.code).toBe(ExitCode.Connection);
        expect(screen.raw).toMatch(/cannot connect to postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/hotel \(2 attempts\)/);
        expect(screen.raw).not.toContain("not-a-real-secret");
        expect(screen.raw).not.toContain("retrying");
    });

    it("--version, and a mistyped option answered with the option meant", async () => {
        const version = await onTerminal(["--version"]);
        expect(version.code).toBe(0);
        expect(version.lines).toEqual([expect.stringMatching(/^@?[\w/-]+ \d+\.\d+\.\d+$/)]);
        const typo = await onTerminal(["backup", "--database-url", pg.url("hotel"), "--too", target]);
        expect(typo.code).toBe(ExitCode.Usage);
        expect(typo.lines.map(uncoloured)).toEqual([
            expect.stringMatching(/^\d\d:\d\d:\d\d error unknown option "--too" for "backup": did you mean "--to"\? /),
        ]);
    });

    it("restore --clean asks for the database's name: a wrong answer changes nothing, the right one restores", async () => {
        const url = await createVariedDatabase(pg, "clean_target", { guests: 20 });
        const before = await fingerprint(pg, "clean_target");
        const args = ["restore", "--from", target, "--backup", backupId, "--database-url", url, "--clean"];
        const refused = await onTerminal(args, { input: "hotel\n" });
        expect(refused.code, refused.raw).toBe(ExitCode.Refused);
        const screen = uncoloured(refused.raw);
        expect(screen).toMatch(/--clean drops everything in postgresql:\/\/\S+\/clean_target: \d+ user object\(s\) \(/);
        expect(screen).toContain(`and restores backup ${backupId} (`);
        expect(screen).toContain("Type the database's name (clean_target) to continue");
        expect(screen).toContain('restore --clean not confirmed: "hotel" is not the database\'s name "clean_target"; nothing was changed');
        expect(await fingerprint(pg, "clean_target")).toEqual(before);

        const confirmed = await onTerminal(args, { input: "clean_target\n" });
        expect(confirmed.code, confirmed.raw).toBe(0);
        expect(confirmed.lines.map(uncoloured).some((line) => / info {2}restore complete/.test(line))).toBe(true);
        expect(await fingerprint(pg, "clean_target")).toEqual(await fingerprint(pg, "hotel"));
    });

    it("restore --clean --yes does not ask", async () => {
        const url = await createVariedDatabase(pg, "yes_target", { guests: 20 });
        const screen = await onTerminal(["restore", "--from", target, "--backup", backupId, "--database-url", url, "--clean", "--yes"]);
        expect(screen.code, screen.raw).toBe(0);
        expect(screen.raw).not.toContain("Type the database's name");
        expect(await fingerprint(pg, "yes_target")).toEqual(await fingerprint(pg, "hotel"));
    });
});

describe("restore --dry-run", () => {
    it("says which backup, its size and age, and what --clean would drop, and changes nothing", async () => {
        const url = await createVariedDatabase(pg, "dry_target", { guests: 20 });
        const before = await fingerprint(pg, "dry_target");
        const files = tree(join(work, "backups"));
        const result = await runCli(["restore", "--from", target, "--database-url", url, "--name", "hotel", "--clean", "--dry-run"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const messages = result.logs.map((line) => line.message);
        const would = result.logs.find((line) => line.message.startsWith("dry run: would restore backup"))!;
        expect(would.message).toMatch(
            new RegExp(`^dry run: would restore backup ${backupId} \\(\\d+\\.\\d KiB, \\d+ s old, finished \\S+Z\\) into postgresql:`),
        );
        expect(would.context).toMatchObject({ backup: backupId, bytes: expect.any(Number), ageSeconds: expect.any(Number) });
        expect(messages.find((m) => m.startsWith("dry run: --clean would drop everything"))).toMatch(
            /: 26 user object\(s\) \(function public.audit_guest_change, .*relation ops.Room Types, /,
        );
        expect(messages).toContain("dry run: nothing was changed; the dump's checksum is verified only by a real restore");
        expect(messages).not.toContain("restore complete");
        expect(await fingerprint(pg, "dry_target")).toEqual(before);
        expect(tree(join(work, "backups"))).toEqual(files);
    });

    it("into an empty database: nothing would be dropped; into a non-empty one without --clean: refused as the real run would be", async () => {
        const empty = await pg.createDatabase("dry_empty");
        const result = await runCli(["restore", "--from", target, "--database-url", empty, "--name", "hotel", "--dry-run"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.map((line) => line.message)).toContain(`dry run: ${result.logs[0]!.context!["database"]} is empty, nothing would be dropped`);
        expect(await pg.query("dry_empty", "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual([{ n: 0 }]);
        const full = await runCli(["restore", "--from", target, "--database-url", pg.url("hotel"), "--name", "hotel", "--dry-run"]);
        expect(full.code).toBe(ExitCode.Refused);
        expect(errorOf(full).message).toMatch(/^refusing to restore into .*: it already holds/);
    });
});

describe("missing AWS credentials", () => {
    it("say what to set", async () => {
        const home = mkdtempSync(join(work, "home-"));
        const result = await runCli(["list", "--from", "s3://some-bucket/prod"], {
            env: { HOME: home, AWS_REGION: "eu-west-3", AWS_EC2_METADATA_DISABLED: "true", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await freePort()}` },
        });
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Storage);
        expect(errorOf(result).message).toMatch(
            /no AWS credentials were found: set AWS_PROFILE .*`aws sso login --profile NAME`.*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
        );
    });
});
