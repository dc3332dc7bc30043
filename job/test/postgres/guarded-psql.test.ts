// The guarded psql session on its own, against a real server: only commit() can make a COMMIT
// succeed; an early COMMIT in the SQL stream, a stream without its trailer, or an abort roll back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, type JobError } from "../../src/errors.js";
import { releaseTail, startGuardedPsql, type GuardedPsql } from "../../src/postgres/guarded-psql.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pg: PgCluster;
const TRAILER = "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Abc123\n\n";
/** More than the held tail: what comes before it reaches psql at once. */
const PADDING = "-- padding\n".repeat(2000);

beforeAll(async () => {
    pg = await startPostgres();
    await pg.createDatabase("guarded");
});

afterAll(async () => {
    await pg?.stop();
});

function start(): { session: GuardedPsql; earlyExit: Promise<JobError> } {
    let report: (error: JobError) => void = () => undefined;
    const earlyExit = new Promise<JobError>((resolve) => (report = resolve));
    const url = new URL(pg.url("guarded"));
    const password = decodeURIComponent(url.password);
    url.password = "";
    const session = startGuardedPsql({
        program: `${pg.binDir}/psql`,
        dbname: url.toString(),
        env: { ...process.env, PGPASSWORD: password },
        prelude: "",
        onEarlyExit: report,
    });
    return { session, earlyExit };
}

async function tables(): Promise<string[]> {
    return (await pg.query<{ relname: string }>("guarded", "SELECT relname FROM pg_class WHERE relname LIKE 'guard\\_t%' ORDER BY 1")).map((r) => r.relname);
}

describe("guarded psql session", () => {
    it("an early COMMIT in the SQL stream fails and rolls everything back", async () => {
        const { session, earlyExit } = start();
        session.sql.end(`BEGIN;\nCREATE TABLE guard_t1 (a int);\nCOMMIT;\nCREATE TABLE guard_t2 (a int);\n${PADDING}COMMIT;\n${TRAILER}`);
        const error = await earlyExit;
        expect(error.exitCode).toBe(ExitCode.Restore);
        expect(error.message).toMatch(
            /^psql ended before the restore could commit, nothing was committed: psql exited with code 3: .*COMMIT refused: the backup job has not released this restore/s,
        );
        expect(await tables()).toEqual([]);
    });

    it("commit() sends the token with the final COMMIT: the restore commits", async () => {
        const { session } = start();
        session.sql.end(`BEGIN;\nCREATE TABLE guard_t3 (a int);\nINSERT INTO guard_t3 VALUES (1);\nCOMMIT;\n${TRAILER}`);
        await session.commit();
        expect(await tables()).toEqual(["guard_t3"]);
        expect(await pg.query("guarded", "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'hotelgenius_commit_guard'")).toEqual([{ n: 0 }]);
        await pg.query("guarded", "DROP TABLE guard_t3");
    });

    it("a stream that does not end with COMMIT and its footer is not committed (exit 8)", async () => {
        const { session } = start();
        session.sql.end("BEGIN;\nCREATE TABLE guard_t4 (a int);\nCOMMIT;\nCREATE TABLE guard_t5 (a int);\n");
        await expect(session.commit()).rejects.toMatchObject({
            exitCode: ExitCode.Restore,
            message: expect.stringMatching(/did not end with its final COMMIT/),
        });
        await session.child.exited;
        expect(await tables()).toEqual([]);
    });

    it("abort() and end of input without commit() roll back", async () => {
        const aborted = start();
        aborted.session.sql.write(`BEGIN;\nCREATE TABLE guard_t6 (a int);\n${PADDING}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        aborted.session.abort();
        await aborted.session.child.exited;
        const ended = start();
        ended.session.sql.end(`BEGIN;\nCREATE TABLE guard_t7 (a int);\n${PADDING}COMMIT;\n${TRAILER}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        ended.session.child.process.stdin!.end();
        await ended.earlyExit;
        expect(await tables()).toEqual([]);
    });
});

describe("held tail", () => {
    it("releases the tail only when it ends with COMMIT and a footer, byte for byte", () => {
        const release = (tail: string) => releaseTail(Buffer.from(tail), "t0k")?.toString("latin1");
        expect(release(`x;\nCOMMIT;\n${TRAILER}`)).toBe("x;\nSET LOCAL hotelgenius.restore_commit = 't0k';\nCOMMIT;\n");
        expect(release("x;\nCOMMIT;\n\n--\n-- PostgreSQL database dump complete\n--\n\n")).toContain("SET LOCAL");
        expect(release("x;\nCOMMIT;\nDROP TABLE guests;\n")).toBeUndefined();
        expect(release("COPY guests FROM stdin;\n1\tCOMM")).toBeUndefined();
        // A tail cut inside a multi-byte character keeps its bytes.
        const split = Buffer.concat([Buffer.from("é").subarray(1), Buffer.from(`;\nCOMMIT;\n${TRAILER}`)]);
        expect(releaseTail(split, "t")!.subarray(0, 1)).toEqual(Buffer.from("é").subarray(1));
    });
});
