// What the app's drivers say when they cannot reach the database in time: the one incident the team's
// handbook has a runbook for (runbooks/database-connection-timeout.md). The Sentry alert
// (stacks/sentry) and the Railway forwarder's count of the app's error lines (deploy/vector/vector.yaml,
// checked against this list by test/vectorForwarder.test.ts) both match these texts.

export interface TimeoutSignature {
    /** Text that appears in the error's message, matched as is (case-sensitive, no pattern). */
    text: string;
    /** Which driver says it, and what it means. */
    source: string;
}

export const DATABASE_TIMEOUT_SIGNATURES: readonly TimeoutSignature[] = [
    { text: "ETIMEDOUT", source: "Node's socket: the TCP connection to the database host timed out" },
    { text: "ECONNREFUSED", source: "Node's socket: nothing listens at the database host and port" },
    { text: "Connection terminated due to connection timeout", source: "node-postgres: connectionTimeoutMillis passed before the server answered" },
    { text: "timeout exceeded when trying to connect", source: "node-postgres pool: no connection within connectionTimeoutMillis" },
    { text: "Connection terminated unexpectedly", source: "node-postgres and Neon's serverless Pool: the server or proxy closed the connection" },
    { text: "reach database server", source: "Prisma P1001: Can't reach database server at host:port" },
    { text: "was reached but timed out", source: "Prisma P1002: The database server was reached but timed out" },
    { text: "Operations timed out after", source: "Prisma P1008" },
    { text: "Server has closed the connection", source: "Prisma P1017" },
    { text: "Timed out fetching a new connection from the connection pool", source: "Prisma P2024: the pool is exhausted" },
    { text: "P1001", source: "Prisma's error code, when the app logs it" },
    { text: "P1002", source: "Prisma's error code, when the app logs it" },
    { text: "P2024", source: "Prisma's error code, when the app logs it" },
    { text: "Error connecting to database", source: "Neon's serverless driver (HTTP): the query request to Neon's proxy failed" },
    { text: "connect to compute node", source: "Neon's proxy: Couldn't connect to compute node (the compute did not start or wake)" },
];

/**
 * The signatures as one alternation of escaped literals: the same text is a valid regular expression
 * for JavaScript and for Vector's VRL (Rust's regex crate), and neither quote can appear in it, so it
 * fits VRL's raw string `r'…'`.
 */
export function timeoutPatternSource(): string {
    return DATABASE_TIMEOUT_SIGNATURES.map(({ text }) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|");
}
