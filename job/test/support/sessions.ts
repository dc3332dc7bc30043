// The job's own database sessions left on a test server after a run: each carries an application_name
// starting with hotelgenius-backup (the job's, pg_dump's, pg_restore's).
import type { PgCluster } from "../../tools/servers/postgres.js";

/**
 * The server's sessions whose application_name is LIKE `applicationName`, polled every 100 ms until there
 * are none or `timeoutMs` has passed (a killed client's backend ends a moment later): [] when all ended.
 */
export async function sessionsLeft(cluster: PgCluster, applicationName = "hotelgenius-backup%", timeoutMs = 5_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const rows = await cluster.query("postgres", "SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1", [applicationName]);
        if (rows.length === 0 || Date.now() >= deadline) return rows;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}
