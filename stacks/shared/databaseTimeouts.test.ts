import { describe, expect, it } from "vitest";
import { DATABASE_TIMEOUT_SIGNATURES, timeoutPatternSource } from "./databaseTimeouts.js";

const pattern = new RegExp(timeoutPatternSource());

describe("database timeout signatures", () => {
    it.each([
        "connect ETIMEDOUT 3.120.10.5:5432",
        "connect ECONNREFUSED 127.0.0.1:5432",
        "Connection terminated due to connection timeout",
        "timeout exceeded when trying to connect",
        "Invalid `prisma.booking.findMany()` invocation: Can't reach database server at `ep-quiet-sky-000000.eu-central-1.aws.neon.tech`:`5432`",
        "Timed out fetching a new connection from the connection pool. (Current connection pool timeout: 10, connection limit: 5)",
        "Error connecting to database: TypeError: fetch failed",
        "Couldn't connect to compute node",
    ])("match the message %s", (message) => {
        expect(pattern.test(message)).toBe(true);
    });

    it.each(["duplicate key value violates unique constraint", "password authentication failed for user", "Booking 4711 not found"])(
        "do not match an unrelated error: %s",
        (message) => {
            expect(pattern.test(message)).toBe(false);
        },
    );

    it("hold no quote, so the pattern fits VRL's raw string r'…'", () => {
        for (const { text } of DATABASE_TIMEOUT_SIGNATURES) expect(text).not.toMatch(/['"]/);
    });
});
