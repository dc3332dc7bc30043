import { describe, expect, it } from "vitest";
import { checkUploadMemory, parseCli, readLogFormat } from "../src/args.js";
import { closest, commandHelp } from "../src/help.js";
import { COMMAND_OPTIONS, COMMANDS, MAX_PART_SIZE_MIB, type CommandName } from "../src/options.js";
import { toolInfo } from "../src/runtime.js";
import { ExitCode } from "../src/errors.js";
import { constants as bufferConstants } from "node:buffer";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitOf, messageOf } from "./support/errors.js";

describe("cli arguments", () => {
    const env = {};
    it("parses backup options with defaults and env fallbacks", () => {
        const parsed = parseCli(["backup"], { DATABASE_URL: "postgresql://u:p@h/db", BACKUP_TARGET: "s3://bkt/prod" }, "/");
        expect(parsed).toMatchObject({
            command: "backup",
            databaseUrl: "postgresql://u:p@h/db",
            target: { kind: "s3", bucket: "bkt", prefix: "prod" },
            compressionLevel: 3,
            compressionThreads: 1,
            partSizeMiB: 8,
            uploadQueueSize: 2,
            connectAttempts: 5,
        });
        expect(parseCli(["backup", "--database-url", "postgresql://u@h/db", "--to", "file:///b", "--compression-level", "9"], env, "/")).toMatchObject({
            compressionLevel: 9,
            target: { kind: "file", dir: "/b" },
        });
    });
    it("names the argument, the bad value and what is allowed", () => {
        expect(messageOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--compression-level", "25"], env, "/"))).toBe(
            '--compression-level "25" is not allowed: use a whole number from 1 to 19',
        );
        expect(messageOf(() => parseCli(["backup", "--bogus"], env, "/"))).toMatch(
            /unknown option "--bogus" for "backup": allowed are --database-url, --database-url-file, --to, --name, /,
        );
        expect(messageOf(() => parseCli(["frobnicate"], env, "/"))).toBe('unknown command "frobnicate": allowed are backup, restore, verify, list');
        expect(messageOf(() => parseCli(["restore", "--database-url", "postgresql://u@h/db", "--backup", "nope"], env, "/"))).toMatch(
            /--backup "nope" is not allowed/,
        );
        expect(exitOf(() => parseCli(["backup"], env, "/"))).toBe(ExitCode.Usage);
        expect(exitOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--name", "bad name"], env, "/"))).toBe(ExitCode.Usage);
    });
    it("takes --name for restore, verify and list; an id names its own backup name, so another --name is refused", () => {
        const url = "postgresql://u@h/db";
        expect(parseCli(["restore", "--database-url", url, "--name", "hotel"], env, "/")).toMatchObject({ backup: "latest", name: "hotel" });
        expect(parseCli(["verify", "--scratch-database-url", url, "--name", "hotel"], env, "/")).toMatchObject({ backup: "latest", name: "hotel" });
        expect(parseCli(["list", "--name", "hotel"], env, "/")).toMatchObject({ name: "hotel" });
        expect(parseCli(["restore", "--database-url", url], env, "/")).toMatchObject({ backup: "latest", name: undefined });
        expect(parseCli(["restore", "--database-url", url, "--backup", "hotel_20261124T030000Z"], env, "/")).toMatchObject({ name: "hotel" });
        expect(messageOf(() => parseCli(["restore", "--database-url", url, "--backup", "hotel_20261124T030000Z", "--name", "spa"], env, "/"))).toBe(
            '--backup "hotel_20261124T030000Z" is a backup of name "hotel", not of --name "spa": pass one of them, or matching ones',
        );
        expect(messageOf(() => parseCli(["list", "--name", "a/b"], env, "/"))).toMatch(/^--name "a\/b" cannot be used as a backup name/);
        // A time that does not exist is no backup id.
        expect(exitOf(() => parseCli(["verify", "--scratch-database-url", url, "--backup", "hotel_20261324T030000Z"], env, "/"))).toBe(ExitCode.Usage);
    });
    it("never takes the restore target from DATABASE_URL", () => {
        expect(messageOf(() => parseCli(["restore"], { DATABASE_URL: "postgresql://u@h/prod" }, "/"))).toMatch(/--database-url is required/);
    });
    it("verify takes the scratch URL from the variable --scratch-database-url-env names, never from one it does not name", () => {
        const url = "postgresql://drill:Zx8-secret@h/postgres";
        const verify = (args: string[], variables: Record<string, string>) => parseCli(["verify", ...args], variables, "/");
        expect(verify(["--scratch-database-url-env", "SCRATCH_DATABASE_URL"], { SCRATCH_DATABASE_URL: `${url}\n` })).toMatchObject({ scratchDatabaseUrl: url });
        expect(verify(["--scratch-database-url-env", "OTHER_URL"], { OTHER_URL: url })).toMatchObject({ scratchDatabaseUrl: url });
        expect(messageOf(() => verify([], { SCRATCH_DATABASE_URL: url }))).toMatch(/^--scratch-database-url is required/);
        expect(messageOf(() => verify(["--scratch-database-url-env", "SCRATCH_DATABASE_URL"], {}))).toBe(
            "--scratch-database-url-env SCRATCH_DATABASE_URL: the variable is not set; it must hold the database URL",
        );
        expect(messageOf(() => verify(["--scratch-database-url-env", "SCRATCH_DATABASE_URL"], { SCRATCH_DATABASE_URL: " " }))).toBe(
            "--scratch-database-url-env SCRATCH_DATABASE_URL: the variable is empty; it must hold the database URL",
        );
        // The URL itself given to the option: refused without being repeated.
        const misused = messageOf(() => verify(["--scratch-database-url-env", url], {}));
        expect(misused).toMatch(/^--scratch-database-url-env takes the name of an environment variable/);
        expect(misused).not.toContain("Zx8-secret");
        expect(
            messageOf(() => verify(["--scratch-database-url", url, "--scratch-database-url-env", "SCRATCH_DATABASE_URL"], { SCRATCH_DATABASE_URL: url })),
        ).toBe("--scratch-database-url and --scratch-database-url-env are both given: use one");
        expect(
            messageOf(() => verify(["--scratch-database-url", url, "--scratch-database-url-file", URL_FILE, "--scratch-database-url-env", "X"], { X: url })),
        ).toBe("--scratch-database-url, --scratch-database-url-file and --scratch-database-url-env are all given: use one");
        // Only verify declares it: a restore target is never read from a variable.
        expect(messageOf(() => parseCli(["restore", "--database-url-env", "DATABASE_URL"], { DATABASE_URL: url }, "/"))).toMatch(
            /^unknown option "--database-url-env"/,
        );
    });
    it("prints help", () => {
        expect(parseCli(["--help"], env, "/")).toMatchObject({ command: "help" });
        expect(parseCli(["verify", "--help"], env, "/")).toMatchObject({ command: "help", text: expect.stringContaining("--scratch-database-url") });
    });
});

describe("--checksum-pass", () => {
    const restore = ["restore", "--database-url", "postgresql://u@h/db"];
    const verify = ["verify", "--scratch-database-url", "postgresql://u@h/postgres"];

    it("is auto unless given, for restore and verify; --skip-checksum-pass is never", () => {
        expect(parseCli(restore, {}, "/")).toMatchObject({ checksumPass: "auto" });
        expect(parseCli(verify, {}, "/")).toMatchObject({ checksumPass: "auto" });
        for (const mode of ["auto", "always", "never"]) {
            expect(parseCli([...restore, "--checksum-pass", mode], {}, "/")).toMatchObject({ checksumPass: mode });
            expect(parseCli([...verify, `--checksum-pass=${mode}`], {}, "/")).toMatchObject({ checksumPass: mode });
        }
        expect(parseCli([...restore, "--skip-checksum-pass"], {}, "/")).toMatchObject({ checksumPass: "never" });
        // Both, saying the same: no contradiction.
        expect(parseCli([...restore, "--skip-checksum-pass", "--checksum-pass", "never"], {}, "/")).toMatchObject({ checksumPass: "never" });
    });

    it("names the option, the bad value and the allowed ones", () => {
        for (const bad of ["sometimes", "", "Always"]) {
            expect(messageOf(() => parseCli([...restore, "--checksum-pass", bad], {}, "/"))).toBe(
                `--checksum-pass "${bad}" is not allowed: use auto, always, never`,
            );
        }
        expect(exitOf(() => parseCli([...verify, "--checksum-pass", "off"], {}, "/"))).toBe(ExitCode.Usage);
    });

    it("refuses --skip-checksum-pass beside a --checksum-pass that says otherwise (exit 2, naming both)", () => {
        for (const mode of ["auto", "always"]) {
            const args = [...restore, "--checksum-pass", mode, "--skip-checksum-pass"];
            expect(exitOf(() => parseCli(args, {}, "/"))).toBe(ExitCode.Usage);
            expect(messageOf(() => parseCli(args, {}, "/"))).toBe(
                `--checksum-pass ${mode} and --skip-checksum-pass contradict each other (--skip-checksum-pass is --checksum-pass never): pass one of them`,
            );
        }
    });

    it("verify has no --skip-checksum-pass: the older spelling was only ever restore's", () => {
        expect(messageOf(() => parseCli([...verify, "--skip-checksum-pass"], {}, "/"))).toMatch(/^unknown option "--skip-checksum-pass" for "verify"/);
    });
});

describe("bounds on waiting and memory", () => {
    const base = ["backup", "--database-url", "postgresql://u@h/db"];
    it("defaults: 120 s per S3 request, 300 s lock wait, 6 h maximum runtime (none for restore)", () => {
        expect(parseCli(base, {}, "/")).toMatchObject({ requestTimeoutSeconds: 120, lockWaitTimeoutSeconds: 300, maxRuntimeSeconds: 21_600 });
        expect(parseCli(["verify", "--scratch-database-url", "postgresql://u@h/db"], {}, "/")).toMatchObject({
            requestTimeoutSeconds: 120,
            maxRuntimeSeconds: 21_600,
        });
        expect(parseCli(["restore", "--database-url", "postgresql://u@h/db"], {}, "/")).toMatchObject({ maxRuntimeSeconds: 0 });
        expect(parseCli(["list"], {}, "/")).toMatchObject({ requestTimeoutSeconds: 120 });
    });
    it("takes each bound from its option, else its variable, and names whichever is wrong", () => {
        const env = { BACKUP_REQUEST_TIMEOUT_SECONDS: "30", BACKUP_LOCK_WAIT_TIMEOUT_SECONDS: "60", BACKUP_MAX_RUNTIME_SECONDS: "0" };
        expect(parseCli(base, env, "/")).toMatchObject({ requestTimeoutSeconds: 30, lockWaitTimeoutSeconds: 60, maxRuntimeSeconds: 0 });
        expect(parseCli([...base, "--request-timeout", "5", "--lock-wait-timeout", "1", "--max-runtime", "7200"], env, "/")).toMatchObject({
            requestTimeoutSeconds: 5,
            lockWaitTimeoutSeconds: 1,
            maxRuntimeSeconds: 7200,
        });
        expect(messageOf(() => parseCli(base, { BACKUP_LOCK_WAIT_TIMEOUT_SECONDS: "5m" }, "/"))).toBe(
            'BACKUP_LOCK_WAIT_TIMEOUT_SECONDS "5m" is not allowed: use a whole number from 1 to 86400',
        );
        expect(messageOf(() => parseCli([...base, "--max-runtime", "1.5"], {}, "/"))).toBe(
            '--max-runtime "1.5" is not allowed: use a whole number from 0 to 604800',
        );
        expect(messageOf(() => parseCli([...base, "--request-timeout", "0"], {}, "/"))).toBe(
            '--request-timeout "0" is not allowed: use a whole number from 1 to 3600',
        );
    });
    it("refuses a part size no Node Buffer can hold, with the real maximum", () => {
        expect(MAX_PART_SIZE_MIB).toBe(Math.min(5120, Math.floor(bufferConstants.MAX_LENGTH / 1024 / 1024)));
        expect(messageOf(() => parseCli([...base, "--part-size-mib", String(MAX_PART_SIZE_MIB + 1)], {}, "/", 2 ** 50))).toBe(
            `--part-size-mib "${MAX_PART_SIZE_MIB + 1}" is not allowed: use a whole number from 5 to ${MAX_PART_SIZE_MIB}`,
        );
        expect(parseCli([...base, "--part-size-mib", String(MAX_PART_SIZE_MIB)], {}, "/", 2 ** 50)).toMatchObject({ partSizeMiB: MAX_PART_SIZE_MIB });
    });
    it("refuses part buffers (part size x (queue size + 1)) larger than the memory there is", () => {
        const oneGiB = 1024 * 1024 * 1024;
        expect(() => checkUploadMemory(64, 2, oneGiB)).not.toThrow();
        expect(messageOf(() => checkUploadMemory(512, 2, oneGiB))).toBe(
            "--part-size-mib 512 x (--upload-queue-size 2 + 1) = 1536 MiB of part buffers does not fit in this machine's 1024 MiB of memory: use a " +
                "--part-size-mib of at most 170 or a smaller --upload-queue-size",
        );
        expect(exitOf(() => parseCli([...base, "--part-size-mib", "512"], {}, "/", oneGiB))).toBe(ExitCode.Usage);
    });
});

const URL_FILE = join(mkdtempSync(join(tmpdir(), "job-args-")), "url");
writeFileSync(URL_FILE, "postgresql://u@h/db\n");

describe("help generated from the option declarations", () => {
    // One valid value for each option that takes text: a new text option must bring its own here.
    const samples: Record<string, string> = {
        "database-url": "postgresql://u@h/db",
        "scratch-database-url": "postgresql://u@h/postgres",
        to: "file:///b",
        from: "file:///b",
        name: "hotel",
        backup: "latest",
        "pg-bin": "/usr/lib/postgresql/15/bin",
        "database-url-file": URL_FILE,
        "scratch-database-url-file": URL_FILE,
        "scratch-database-url-env": "SCRATCH_DATABASE_URL",
        "log-format": "text",
        "checksum-pass": "always",
    };
    /** Flags that spell another option's value: what each sets instead of a field of its own name. */
    const aliases: Record<string, Record<string, unknown>> = { "skip-checksum-pass": { checksumPass: "never" } };
    // What the variable a sample names holds.
    const sampleVariables = { SCRATCH_DATABASE_URL: "postgresql://u@h/postgres" };
    const required: Record<CommandName, string[]> = {
        backup: ["--database-url", "postgresql://u@h/db"],
        restore: ["--database-url", "postgresql://u@h/db"],
        verify: ["--scratch-database-url", "postgresql://u@h/postgres"],
        list: [],
    };
    const manyBytes = 2 ** 50;
    for (const command of COMMANDS) {
        it(`${command}: the help names every declared option, and every option it names is parsed within the range it shows`, () => {
            const help = commandHelp(command);
            const declared = COMMAND_OPTIONS[command].options;
            expect([...help.matchAll(/^ {2}(?:-h, )?--([a-z-]+)/gm)].map((m) => m[1])).toEqual(declared.map((o) => o.name));
            expect(parseCli([command, "--help"], {}, "/")).toEqual({ command: "help", text: help });
            for (const option of declared.filter((o) => o.name !== "help")) {
                const line = help
                    .slice(help.indexOf(`--${option.name}`))
                    .split(/\n {2}-/)[0]!
                    .replace(/\s+/g, " ");
                if (option.kind === "flag") {
                    expect(parseCli([command, ...required[command], `--${option.name}`], {}, "/", manyBytes)).toMatchObject({
                        command,
                        ...(aliases[option.name] ?? { [camel(option.name)]: true }),
                    });
                    continue;
                }
                if (option.kind === "text") {
                    expect(samples[option.name], `a sample value for --${option.name}`).toBeDefined();
                    // A URL file or variable stands in for the URL option, never beside it.
                    const base = /-url-(file|env)$/.test(option.name) ? [] : required[command];
                    expect(parseCli([command, ...base, `--${option.name}`, samples[option.name]!], sampleVariables, "/", manyBytes)).toMatchObject({ command });
                    continue;
                }
                expect(line).toContain(`, ${option.min}-${option.max} (`);
                expect(line).toContain(`default ${option.fallback}`);
                const args = (value: string) => [command, ...required[command], `--${option.name}`, value];
                expect(Object.values(parseCli(args(String(option.max)), {}, "/", manyBytes))).toContain(option.max);
                expect(messageOf(() => parseCli(args(String(option.max + 1)), {}, "/", manyBytes))).toBe(
                    `--${option.name} "${option.max + 1}" is not allowed: use a whole number from ${option.min} to ${option.max}`,
                );
                if (option.env !== undefined) {
                    expect(line).toContain(`env ${option.env}`);
                    expect(messageOf(() => parseCli([command, ...required[command]], { [option.env!]: "x" }, "/", manyBytes))).toMatch(
                        new RegExp(`^${option.env} "x" is not allowed`),
                    );
                }
            }
        });
    }
});

function camel(name: string): string {
    return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

describe("what a person mistypes", () => {
    it("--version prints the job's name and version", () => {
        const expected = { command: "version", text: `${toolInfo().name} ${toolInfo().version}` };
        expect(parseCli(["--version"], {}, "/")).toEqual(expected);
        expect(parseCli(["-V"], {}, "/")).toEqual(expected);
        expect(toolInfo().version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it("an unknown option or command names the one most likely meant", () => {
        expect(messageOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--too", "file:///b"], {}, "/"))).toMatch(
            /^unknown option "--too" for "backup": did you mean "--to"\? allowed are --database-url, /,
        );
        expect(messageOf(() => parseCli(["restore", "--claen"], {}, "/"))).toMatch(/did you mean "--clean"\?/);
        expect(messageOf(() => parseCli(["restore", "--dryrun"], {}, "/"))).toMatch(/did you mean "--dry-run"\?/);
        expect(messageOf(() => parseCli(["bakup"], {}, "/"))).toBe('unknown command "bakup": did you mean "backup"? allowed are backup, restore, verify, list');
        // Nothing close: no guess.
        expect(messageOf(() => parseCli(["list", "--everything"], {}, "/"))).toMatch(/^unknown option "--everything" for "list": allowed are /);
        expect(closest("--to", ["--to", "--name"])).toBe("--to");
        expect(closest("--xy", ["--to"])).toBeUndefined();
    });

    it("a bare path for --to suggests its file:// target", () => {
        expect(messageOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--to", "/var/backups"], {}, "/"))).toBe(
            '--to "/var/backups" is not a supported target: did you mean "file:///var/backups"? use s3://BUCKET[/PREFIX] or file://DIR',
        );
        expect(messageOf(() => parseCli(["list", "--from", "./backups"], {}, "/"))).toMatch(/did you mean "file:\/\/\.\/backups"\?/);
        expect(messageOf(() => parseCli(["list", "--from", "gs://bucket"], {}, "/"))).not.toMatch(/did you mean/);
    });

    it("--log-format: text at a terminal, json elsewhere, the option over BACKUP_LOG_FORMAT, a bad value named", () => {
        expect(readLogFormat(["backup"], {}, true)).toEqual({ format: "text" });
        expect(readLogFormat(["backup"], {}, false)).toEqual({ format: "json" });
        expect(readLogFormat(["backup", "--log-format", "json"], { BACKUP_LOG_FORMAT: "text" }, true)).toEqual({ format: "json" });
        expect(readLogFormat(["backup", "--log-format=text"], {}, false)).toEqual({ format: "text" });
        expect(readLogFormat(["list"], { BACKUP_LOG_FORMAT: "text" }, false)).toEqual({ format: "text" });
        const bad = readLogFormat(["backup", "--log-format", "yaml"], {}, false);
        expect(bad.format).toBe("json");
        expect(bad.error?.exitCode).toBe(ExitCode.Usage);
        expect(bad.error?.message).toBe('--log-format "yaml" is not allowed: use json or text');
    });
});
