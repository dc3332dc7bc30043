// Every alert in the committed plans links to a runbook that exists, and every runbook follows the template.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type Plan, parsePlan } from "../scripts/offlinePlan/planFormat.js";
import { readStackFile } from "../scripts/offlinePlan/stackFile.js";
import { MONITORING_DOC, renderAlertsTable, withAlertsTable } from "../scripts/docs/alertsDoc.js";
import { MAX_ALARM_DESCRIPTION, MAX_RULE_DESCRIPTION, MAX_SENTRY_RULE_NAME } from "../stacks/alerts/rules.js";
import { ALERT_TABLE } from "../stacks/alerts/table.js";
import { parseSettings } from "../stacks/settings/registry.js";

const ROOT = path.resolve(__dirname, "..");
const RUNBOOK_DIR = path.join(ROOT, "runbooks");
const PROJECT = "hotelgenius-ops";
/** Procedures the alert runbooks lead to; no alert links to them directly. */
const PROCEDURES = ["database-connection-timeout", "restore-database"];
const SECTIONS = ["## Summary", "## Impact and severity", "## Is it real?", "## First three actions", "## Likely causes", "## Verify recovery", "## Follow-up"];

/** Where each kind of alert keeps its text, and how long that text may be. */
const ALERT_TEXT: Record<string, [field: string, limit: number]> = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["alarmDescription", MAX_ALARM_DESCRIPTION],
    "aws:cloudwatch/eventRule:EventRule": ["description", MAX_RULE_DESCRIPTION],
    "sentry:index/sentryIssueAlert:SentryIssueAlert": ["name", MAX_SENTRY_RULE_NAME],
    "sentry:index/sentryMetricAlert:SentryMetricAlert": ["name", MAX_SENTRY_RULE_NAME],
};

const runbookFiles = readdirSync(RUNBOOK_DIR).filter((file) => file.endsWith(".md") && file !== "README.md" && file !== "TEMPLATE.md");

describe("runbooks/", () => {
    it("holds exactly one runbook per alert kind plus the procedures", () => {
        const runbooks = new Set(ALERT_TABLE.map((row) => row.runbook));
        expect(runbookFiles.map((file) => file.replace(/\.md$/, "")).sort()).toEqual([...runbooks, ...PROCEDURES].sort());
    });

    it.each(ALERT_TABLE.map((row) => [row.name, row] as const))("%s: its runbook names it and has its severity", (_name, row) => {
        const firesFrom = readFileSync(path.join(RUNBOOK_DIR, `${row.runbook}.md`), "utf8")
            .split("\n")
            .find((line) => line.startsWith("**Fires from:**"))!;
        expect(firesFrom).toMatch(new RegExp(`\\*\\*Severity:\\*\\* ${row.severity}$`));
        // CloudWatch alarms and EventBridge rules are named `<stack>-<name>` in the notification.
        if (row.kind === "alarm" || row.kind === "event rule") expect(firesFrom).toContain(`\`<stack>-${row.name}\``);
    });

    it("docs/monitoring.md holds the alerts table generated from the alert table (npm run docs:alerts)", () => {
        const docs = readFileSync(MONITORING_DOC, "utf8");
        expect(docs).toBe(withAlertsTable(docs, renderAlertsTable()));
    });

    it.each(runbookFiles)("%s follows the template: title, what fires it, then every section in order", (file) => {
        const text = readFileSync(path.join(RUNBOOK_DIR, file), "utf8");
        expect(text).toMatch(/^# \S/);
        expect(text).toContain("**Fires from:**");
        const positions = SECTIONS.map((section) => text.indexOf(`\n${section}\n`));
        expect(
            positions.every((position) => position > 0),
            `missing sections in ${file}`,
        ).toBe(true);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(text.slice(text.indexOf("## First three actions")).match(/^[1-3]\. /gm)).toHaveLength(3);
    });

    it.each(["README.md", ...runbookFiles])("%s links only to files that exist", (file) => {
        const text = readFileSync(path.join(RUNBOOK_DIR, file), "utf8");
        for (const [, target] of text.matchAll(/\]\(([^)#\s]+)\)/g)) {
            if (/^https?:/.test(target!)) continue;
            expect(existsSync(path.resolve(RUNBOOK_DIR, target!)), `${file} links to ${target}`).toBe(true);
        }
    });
});

describe.each(["prod", "staging"])("alerts in plans/%s.json", (stack) => {
    const plan: Plan = parsePlan(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));
    const file = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), PROJECT);
    const { runbookBaseUrl } = parseSettings({ project: PROJECT, stack, values: file.values, secretKeys: file.secretKeys }).alerts;
    const alerts = plan.resources.filter((resource) => resource.type in ALERT_TEXT);

    it("include alarms, event rules and Sentry issue and metric alerts", () => {
        expect(new Set(alerts.map((alert) => alert.type))).toEqual(new Set(Object.keys(ALERT_TEXT)));
    });

    it("each end with a link to a runbook that exists, within their length limit", () => {
        const linkAtEnd = new RegExp(`Runbook: ${runbookBaseUrl.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/([a-z0-9-]+)\\.md$`);
        for (const alert of alerts) {
            const [field, limit] = ALERT_TEXT[alert.type]!;
            const text = alert.inputs[field] as string;
            const runbook = linkAtEnd.exec(text)?.[1];
            expect(runbook, `${alert.name} has no runbook link: ${text}`).toBeDefined();
            expect(existsSync(path.join(RUNBOOK_DIR, `${runbook}.md`)), `${alert.name} links to missing runbooks/${runbook}.md`).toBe(true);
            expect(text.length, `${alert.name}'s ${field}`).toBeLessThanOrEqual(limit);
        }
    });
});
