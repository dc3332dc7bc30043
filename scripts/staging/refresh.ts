// The steps every staging refresh shares, whatever the target (a dump-and-restore seed, a Neon
// branch): connect, refuse while anything is unclassified, sample, anonymize in place.
import pg from "pg";
import { pgClientConfig } from "../../job/src/postgres/dburl.js";
import { registerSecret } from "../../job/src/observability/redact.js";
import { applyRules, prepareSession, sampleOriginals, type Samples } from "./anonymize.js";
import { type Classification, classify, type DatabaseInventory, readInventory, refusal } from "./catalog.js";
import { StagingError, StagingExit } from "./errors.js";
import type { Rules } from "./rules.js";

export const APPLICATION_NAME = "hotelgenius-staging-anonymize";

/**
 * A client for a database URL (parsed the backup job's way: the password is registered for redaction
 * first). Literals in the generated SQL double their quotes only, which is right with standard strings.
 */
export async function connectTo(url: string): Promise<pg.Client> {
    const client = new pg.Client({ ...pgClientConfig(url), application_name: APPLICATION_NAME, connectionTimeoutMillis: 15_000 });
    client.on("error", () => undefined);
    await client.connect();
    await client.query("SET standard_conforming_strings = on");
    return client;
}

export interface Checked {
    inventory: DatabaseInventory;
    classification: Classification;
}

/** Reads the database's catalog and matches the rules; throws the refusal (exit 11) naming every unclassified column. */
export async function checkClassification(client: pg.Client, rules: Rules, rulesPath: string, log: (line: string) => void): Promise<Checked> {
    const inventory = await readInventory(client);
    const classification = classify(rules, inventory);
    for (const stale of classification.stale) log(`warning: ${rulesPath} has a rule for ${stale}`);
    const refused = refusal(classification, rulesPath);
    if (refused) throw new StagingError(`refused: ${refused}`, StagingExit.Unclassified);
    const rewritten = classification.plan.reduce((sum, table) => sum + table.columns.length, 0);
    const emptied = classification.plan.filter((table) => table.truncate);
    const inEmptied = inventory.columns.filter((column) => emptied.some((table) => table.schema === column.schema && table.table === column.table)).length;
    log(
        `classification: all ${inventory.columns.length} columns that can hold personal data have a rule: ` +
            `${rewritten} rewritten, ${inEmptied} in ${emptied.length} emptied tables, ${inventory.columns.length - rewritten - inEmptied} declared safe`,
    );
    return { inventory, classification };
}

/**
 * Anonymizes the database in place: refuses first (nothing is changed then), samples the originals
 * for the self-check, then applies every rule in one transaction.
 */
export async function anonymizeInPlace(
    client: pg.Client,
    rules: Rules,
    rulesPath: string,
    key: string,
    options: { sampleRows: number; log: (line: string) => void },
): Promise<Samples> {
    registerSecret(key);
    const { inventory, classification } = await checkClassification(client, rules, rulesPath, options.log);
    const samples = await sampleOriginals(client, classification.plan, options.sampleRows);
    await prepareSession(client, key);
    for (const line of await applyRules(client, classification.plan, inventory, rules)) options.log(line);
    return samples;
}
