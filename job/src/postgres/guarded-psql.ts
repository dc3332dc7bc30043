import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ExitCode, JobError } from "../errors.js";
import { TRANSACTION_TIMEOUT_OFF_SQL } from "./db.js";
import { describeExit, startChild, succeeded, type Child, type ExitStatus } from "../process/proc.js";
import { TailHolder } from "../storage/tail-holder.js";

/**
 * Bytes of pg_restore's SQL held back from psql. The trailer after the final COMMIT (a comment and
 * `\unrestrict KEY`) is under 200 bytes; holding more costs nothing and survives wordier footers.
 */
export const HELD_TAIL_BYTES = 16 * 1024;

/** The custom setting the commit guard reads; only this process knows the value that lets a COMMIT through. */
export const COMMIT_SETTING = "hotelgenius.restore_commit";

/**
 * pg_restore --single-transaction ends its SQL with `COMMIT;` followed only by comments, blank lines
 * and (since 15.14/16.10/17.6) `\unrestrict KEY`. Returns the tail up to that COMMIT with the token
 * set right before it, or undefined when the tail does not end that way (a cut or foreign stream).
 * The footer is not sent: psql's exit status then speaks for the COMMIT alone. Bytes, not text: the
 * tail may start inside a multi-byte character, and the SQL's encoding is the dump's.
 */
export function releaseTail(tail: Buffer, token: string): Buffer | undefined {
    const at = tail.lastIndexOf("\nCOMMIT;\n");
    if (at === -1) return undefined;
    const footer = tail.subarray(at + "\nCOMMIT;\n".length).toString("latin1");
    const footerOk = footer.split("\n").every((line) => line === "" || line.startsWith("--") || /^\\unrestrict [A-Za-z0-9]+$/.test(line));
    if (!footerOk) return undefined;
    return Buffer.concat([tail.subarray(0, at + 1), Buffer.from(`SET LOCAL ${COMMIT_SETTING} = '${token}';\nCOMMIT;\n`)]);
}

/**
 * Inside the restore's transaction: a temporary table whose deferred constraint trigger fails every
 * COMMIT that does not carry this run's token. An early COMMIT in the stream (a changed or crafted
 * dump) therefore fails and rolls everything back instead of committing half a restore. ENABLE
 * ALWAYS keeps it firing under session_replication_role = replica; a DROP or ALTER of the table
 * fails while its event is pending. It guards against COMMIT statements, not against a dump written
 * to run arbitrary SQL as the target's role.
 */
export function commitGuardSql(token: string): string {
    const name = `pg_temp.hotelgenius_commit_guard`;
    return [
        `CREATE TEMPORARY TABLE ${name} (armed boolean) ON COMMIT DROP;`,
        `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $guard$`,
        "BEGIN",
        `    IF pg_catalog.current_setting('${COMMIT_SETTING}', true) IS DISTINCT FROM '${token}' THEN`,
        "        RAISE EXCEPTION 'COMMIT refused: the backup job has not released this restore (early COMMIT in the SQL stream); everything is rolled back';",
        "    END IF;",
        "    RETURN NULL;",
        "END",
        "$guard$;",
        `CREATE CONSTRAINT TRIGGER hotelgenius_commit_guard AFTER INSERT ON ${name} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${name}();`,
        `ALTER TABLE ${name} ENABLE ALWAYS TRIGGER hotelgenius_commit_guard;`,
        `INSERT INTO ${name} VALUES (true);`,
    ].join("\n");
}

export interface GuardedPsqlOptions {
    /** psql program (from --pg-bin or PATH). */
    program: string;
    /** Connection string without the password (that goes in env). */
    dbname: string;
    env: NodeJS.ProcessEnv;
    /** SQL run first inside the transaction, after the guard (the --clean prelude). */
    prelude: string;
    /** psql ended before commit() was called: nothing was committed. */
    onEarlyExit(error: JobError): void;
}

export interface GuardedPsql {
    /** Where the restore's SQL (pg_restore --single-transaction --file=-) is written; its end is held back. */
    readonly sql: Writable;
    readonly child: Child;
    /**
     * Call only when every producer exited 0 and the dump's checksum matched. Releases the held tail
     * with the final COMMIT made valid and waits for psql: resolves once the restore is committed.
     */
    commit(): Promise<void>;
    /** Ends psql without a COMMIT: its connection closes inside the transaction and the server rolls back. */
    abort(): void;
}

/**
 * psql with no --single-transaction: this process opens the transaction, and end of input (a killed
 * producer, a killed job) leaves it open, so the server rolls it back when psql disconnects. With
 * AUTOCOMMIT off, statements after a stray ROLLBACK in the stream are not committed one by one either.
 */
export function startGuardedPsql(options: GuardedPsqlOptions): GuardedPsql {
    const token = randomBytes(24).toString("hex");
    const child = startChild(
        options.program,
        ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--set=AUTOCOMMIT=off", "--no-password", `--dbname=${options.dbname}`, "--file=-"],
        { env: options.env, stdio: ["pipe", "ignore", "pipe"] },
    );
    const stdin = child.process.stdin!;
    stdin.on("error", () => undefined);
    // pg_restore's own BEGIN only warns that a transaction is already open: not worth a stderr line.
    stdin.write(`BEGIN;\n${TRANSACTION_TIMEOUT_OFF_SQL}\n${commitGuardSql(token)}\n${options.prelude}SET client_min_messages = error;\n`);
    const holder = new TailHolder(HELD_TAIL_BYTES);
    const passing = pipeline(holder, stdin, { end: false });
    passing.catch(() => undefined);
    /** Set once commit() or abort() has decided how psql ends. */
    let decided = false;
    void child.exited.then((status) => {
        if (!decided) options.onEarlyExit(psqlError("psql ended before the restore could commit", status, child));
    });
    return {
        sql: holder,
        child,
        async commit() {
            // The SQL could not all be passed on: psql has ended (it reads until it exits).
            await passing.catch(async () => {
                throw psqlError("psql ended before the restore could commit", await child.exited, child);
            });
            if (decided) throw new JobError(ExitCode.Restore, "the restore was aborted before its COMMIT; nothing was committed");
            decided = true;
            const released = releaseTail(holder.tail, token);
            if (released === undefined) {
                child.process.kill("SIGKILL");
                // Not the tail itself in the log: it may hold rows of guests' data.
                throw new JobError(ExitCode.Restore, "pg_restore's SQL did not end with its final COMMIT and footer; nothing was committed", {
                    heldBytes: holder.tail.length,
                });
            }
            stdin.end(released);
            const status = await child.exited;
            // Not always the COMMIT itself: with a small dump, all of the SQL is in the pipe before psql meets
            // an error in the job's own statements (a database setting the server refuses); its message says which.
            if (!succeeded(status)) throw psqlError("psql stopped at an error in the restore's transaction", status, child);
        },
        abort() {
            if (decided) return;
            decided = true;
            child.process.kill("SIGKILL");
        },
    };
}

function psqlError(what: string, status: ExitStatus, child: Child): JobError {
    const stderr = child.stderr();
    return new JobError(ExitCode.Restore, `${what}, nothing was committed: ${describeExit("psql", status)}${stderr ? `: ${stderr}` : ""}`, { stderr });
}
