// "The target is not empty" must see every object class a database can hold, each checked on a real
// server: a database holding only one such object is refused by restore without --clean.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionOptionsFor, SESSION_OPTIONS, userObjects } from "../../src/postgres/db.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let cluster: PgCluster;
let databases = 0;

beforeAll(async () => {
    cluster = await startPostgres();
});

afterAll(async () => {
    await cluster?.stop();
});

async function objectsAfter(sql: string): Promise<{ kind: string; name: string }[]> {
    const name = `objects_${++databases}`;
    await cluster.createDatabase(name);
    if (sql !== "") await cluster.query(name, sql);
    const client = new pg.Client({ connectionString: cluster.url(name) });
    await client.connect();
    try {
        return await userObjects(client);
    } finally {
        await client.end();
    }
}

describe("userObjects", () => {
    it("finds nothing in a fresh database", async () => {
        expect(await objectsAfter("")).toEqual([]);
    });

    it.each([
        ["collation", 'CREATE COLLATION public.c_copy FROM "C"', "public.c_copy"],
        ["text search configuration", "CREATE TEXT SEARCH CONFIGURATION public.guest_search (COPY = pg_catalog.english)", "public.guest_search"],
        ["text search dictionary", "CREATE TEXT SEARCH DICTIONARY public.plain (TEMPLATE = pg_catalog.simple)", "public.plain"],
        [
            "text search parser",
            "CREATE TEXT SEARCH PARSER public.words (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype)",
            "public.words",
        ],
        ["text search template", "CREATE TEXT SEARCH TEMPLATE public.lexer (LEXIZE = dsimple_lexize)", "public.lexer"],
        ["publication", "CREATE PUBLICATION guests_out", "guests_out"],
        ["subscription", "CREATE SUBSCRIPTION guests_in CONNECTION 'host=127.0.0.1 dbname=none' PUBLICATION p WITH (connect = false)", "guests_in"],
        ["conversion", "CREATE CONVERSION public.latin_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8", "public.latin_to_utf8"],
        ["operator", "CREATE OPERATOR public.=== (LEFTARG = int4, RIGHTARG = int4, FUNCTION = int4eq)", "public.==="],
        ["operator family", "CREATE OPERATOR FAMILY public.int_family USING btree", "public.int_family"],
        [
            "operator class",
            "CREATE OPERATOR CLASS public.int_reverse FOR TYPE int4 USING btree AS OPERATOR 1 >, FUNCTION 1 btint4cmp(int4, int4)",
            "public.int_reverse",
        ],
        ["type", "CREATE TYPE public.shell_only", "public.shell_only"],
        ["foreign data wrapper", "CREATE FOREIGN DATA WRAPPER files_fdw", "files_fdw"],
        ["foreign server", "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER archive FOREIGN DATA WRAPPER w", "archive"],
        ["user mapping", "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER s FOREIGN DATA WRAPPER w; CREATE USER MAPPING FOR PUBLIC SERVER s", "public@s"],
        ["cast", "CREATE CAST (int4 AS bytea) WITH INOUT", "integer AS bytea"],
        [
            "transform",
            "CREATE TRANSFORM FOR int4 LANGUAGE sql (FROM SQL WITH FUNCTION gtsvector_compress(internal), TO SQL WITH FUNCTION int4recv(internal))",
            "integer for language sql",
        ],
        ["language", "CREATE TRUSTED LANGUAGE plcopy HANDLER plpgsql_call_handler", "plcopy"],
        ["access method", "CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler", "heap_copy"],
    ])("counts an object of class %s", async (kind, sql, name) => {
        expect(await objectsAfter(sql)).toContainEqual({ kind, name });
    });

    it("counts an event trigger", async () => {
        const found = await objectsAfter(
            "CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; CREATE EVENT TRIGGER log_ddl ON ddl_command_start " +
                "EXECUTE FUNCTION public.log_ddl()",
        );
        expect(found).toContainEqual({ kind: "event trigger", name: "log_ddl" });
    });
});

describe("startup options of pg_restore's own session (direct restore path)", () => {
    it("turn transaction_timeout off from PostgreSQL 17 only: an older server refuses the connection with it", async () => {
        expect(sessionOptionsFor(17)).toBe(`${SESSION_OPTIONS} -c transaction_timeout=0`);
        expect(sessionOptionsFor(16)).toBe(SESSION_OPTIONS);
        const connectWith = async (options: string) => {
            const client = new pg.Client({ connectionString: cluster.url("postgres"), options });
            try {
                await client.connect();
                return (await client.query<{ timeout: string }>("SELECT current_setting('statement_timeout') AS timeout")).rows[0]!.timeout;
            } finally {
                await client.end().catch(() => undefined);
            }
        };
        const [row] = await cluster.query<{ server_version_num: string }>("postgres", "SHOW server_version_num");
        const major = Math.floor(Number(row!.server_version_num) / 10_000);
        expect(major).toBeLessThan(17);
        expect(await connectWith(sessionOptionsFor(major))).toBe("0");
        await expect(connectWith(sessionOptionsFor(17))).rejects.toThrow(/unrecognized configuration parameter "transaction_timeout"/);
    });
});
