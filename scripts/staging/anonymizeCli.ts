// npm run --silent anonymize -- <draft|check|run> --database-url URL [--rules FILE]
// The classification and anonymization on their own, against any database: a draft of rules for what
// is unclassified, the check alone, or the whole anonymization in place (for a copy that is already
// where staging will read it, such as a Neon branch) followed by its self-check.
import { anonymizationKey, findSurvivors } from "./anonymize.js";
import { classify, readInventory } from "./catalog.js";
import { draftYaml } from "./draft.js";
import { DEFAULT_RULES, parseOptions, required, runTool, wholeNumber } from "./options.js";
import { StagingError, StagingExit } from "./errors.js";
import { anonymizeInPlace, checkClassification, connectTo } from "./refresh.js";
import { loadRules, type Rules } from "./rules.js";

const USAGE = `usage: npm run --silent anonymize -- <command> --database-url URL [--rules FILE]
  draft   print draft rules (YAML, every rule a suggestion to review) for each column the rules file does not cover;
          without a rules file (--rules none), for every column. Reads only the catalog: no row is read.
  check   exit 0 when every column that can hold personal data has a rule; else exit 11 naming each one
  run     check, then anonymize the database IN PLACE and check that no sampled original survives
          (ANONYMIZATION_KEY from the environment; --check-rows N, default 200; --check-seconds S, default 120)
  --rules defaults to ${DEFAULT_RULES}`;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === "-h" || command === "--help") {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if (command !== "draft" && command !== "check" && command !== "run") {
        throw new StagingError(`unknown command ${JSON.stringify(command ?? "")}; allowed: draft, check, run\n${USAGE}`, StagingExit.Usage);
    }
    const values = parseOptions(
        rest,
        {
            "database-url": { type: "string" },
            rules: { type: "string", default: DEFAULT_RULES },
            "check-rows": { type: "string", default: "200" },
            "check-seconds": { type: "string", default: "120" },
        },
        USAGE,
    );
    required(values, ["database-url"], USAGE);
    const rulesPath = values.rules ?? DEFAULT_RULES;
    const rules: Rules = command === "draft" && rulesPath === "none" ? { schemas: new Map() } : loadRules(rulesPath);
    const sampleRows = wholeNumber("check-rows", values["check-rows"], 1, 1_000_000);
    const seconds = wholeNumber("check-seconds", values["check-seconds"], 1, 86_400);
    const key = command === "run" ? anonymizationKey(process.env) : "";
    const client = await connectTo(values["database-url"] as string);
    try {
        if (command === "draft") {
            const inventory = await readInventory(client);
            const classification = classify(rules, inventory);
            process.stdout.write(draftYaml(classification.unclassified, inventory, inventory.largeObjects > 0 && !rules.largeObjects));
            log(`draft: ${classification.unclassified.length} unclassified columns, each with a SUGGESTED rule to review`);
            return 0;
        }
        if (command === "check") {
            await checkClassification(client, rules, rulesPath, log);
            return 0;
        }
        const samples = await anonymizeInPlace(client, rules, rulesPath, key, { sampleRows, log });
        const check = await findSurvivors(client, samples, seconds);
        for (const line of check.report) log(line);
        if (check.survivors.length) throw new StagingError(`self-check failed:\n  ${check.survivors.join("\n  ")}`, StagingExit.SurvivorsFound);
        return 0;
    } finally {
        await client.end().catch(() => undefined);
    }
}

runTool(() => main(process.argv.slice(2)));
