// Every alert in the committed plans links to a runbook that exists, and every runbook follows the template.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../job/src/errors.js";
import { type Plan, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
import { readStackFile } from "../scripts/offlinePlan/stackFile.js";
import { MONITORING_DOC, renderAlertsTable, withAlertsTable } from "../scripts/docs/alertsDoc.js";
import { MAX_ALARM_DESCRIPTION, MAX_RULE_DESCRIPTION, MAX_SENTRY_RULE_NAME } from "../stacks/shared/runbooks.js";
import { EVERY_ALERT } from "../scripts/docs/alertsDoc.js";
import { parseSettings } from "../stacks/settings/registry.js";

const ROOT = path.resolve(__dirname, "..");
const RUNBOOK_DIR = path.join(ROOT, "runbooks");
const PROJECT = "hotelgenius-ops";
/** Procedures the alert runbooks lead to; no alert links to them directly. */
const PROCEDURES = ["neon-point-in-time-recovery", "restore-database"];
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
        const runbooks = new Set(EVERY_ALERT.map((row) => row.runbook));
        expect(runbookFiles.map((file) => file.replace(/\.md$/, "")).sort()).toEqual([...runbooks, ...PROCEDURES].sort());
    });

    it.each(EVERY_ALERT.map((row) => [row.name, row] as const))("%s: its runbook names it and has its severity", (_name, row) => {
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
    const plan: Plan = readCommittedPlan(stack);
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

/**
 * The job's messages, as written in job/src: every string literal, template and `+` concatenation of
 * them, with HOLE where an expression is filled in at run time.
 */
const HOLE = "\u0000";
function jobMessages(): string[] {
    const messages: string[] = [];
    const pieces = (node: ts.Node): string => {
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
        if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((span) => HOLE + span.literal.text).join("");
        if (ts.isParenthesizedExpression(node)) return pieces(node.expression);
        if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return pieces(node.left) + pieces(node.right);
        return HOLE;
    };
    const isText = (node: ts.Node) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
    const visit = (node: ts.Node): void => {
        const partOfConcatenation = ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind === ts.SyntaxKind.PlusToken;
        if (!partOfConcatenation && (isText(node) || (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken))) {
            messages.push(pieces(node));
        }
        ts.forEachChild(node, visit);
    };
    const dir = path.join(ROOT, "job", "src");
    for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
        const source = ts.createSourceFile(file, readFileSync(path.join(dir, file), "utf8"), ts.ScriptTarget.Latest, true);
        ts.forEachChild(source, visit);
    }
    return messages;
}

/**
 * What a runbook claims about the job. Its messages are code spans right after "log line", "message",
 * "warning" or "error says" (runbooks/README.md), with `…` or `<name>` where the job fills in a value;
 * its exit codes are "exit N" (also "exit N / M", "exits N", "exit code N").
 */
function runbookClaims(text: string): { messages: string[]; exitCodes: number[] } {
    // A span wrapped across lines reads as one space.
    const messages = [...text.matchAll(/\b(?:log line|message|warning|error says)s?:?\s+`([^`]+)`/gi)].map((m) => m[1]!.replace(/\s+/g, " "));
    const exitCodes = [...text.matchAll(/\bexit(?:s| code)? (\d+(?:(?: \/ |, | or | and )\d+)*)\b/gi)].flatMap((m) =>
        m[1]!.split(/ \/ |, | or | and /).map(Number),
    );
    return { messages, exitCodes };
}

/** The claims that the job does not back: messages no source string can produce, exit codes not in ExitCode. */
function untrueClaims(text: string, messages: readonly string[], codes: readonly number[]): string[] {
    const claims = runbookClaims(text);
    const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const wrong = claims.messages.filter((claim) => {
        const pattern = new RegExp(
            claim
                .split(/…|<[^>]+>/)
                .map(literally)
                .join("[^]*?"),
        );
        return !messages.some((message) => pattern.test(message));
    });
    return [...wrong.map((m) => `message "${m}"`), ...claims.exitCodes.filter((code) => !codes.includes(code)).map((code) => `exit ${code}`)];
}

describe("runbooks are true to the backup job", () => {
    const messages = jobMessages();
    const codes = Object.values(ExitCode) as number[];

    it("finds the job's messages, templates and concatenations included", () => {
        expect(messages).toContain("backup complete");
        expect(messages.some((m) => m.startsWith(`maximum runtime of ${HOLE} s reached (--max-runtime)`))).toBe(true);
        expect(messages.some((m) => m.startsWith(`refusing to restore into ${HOLE}: it already holds ${HOLE} user object(s) (`))).toBe(true);
    });

    it("reports a message the job never writes and an exit code it does not have", () => {
        const planted = "- **Confirm:** log line `backup finished ok`; the message `maximum runtime of … s reached`.\n- exit 11 or 3, exit code 42";
        expect(untrueClaims(planted, messages, codes)).toEqual(['message "backup finished ok"', "exit 11", "exit 42"]);
        expect(untrueClaims('the warning `restoring a backup of database "<X>" into database "<Y>"`; exit 9 / 10', messages, codes)).toEqual([]);
    });

    it.each(["README.md", ...runbookFiles])("%s names only messages the job writes and exit codes it has", (file) => {
        expect(untrueClaims(readFileSync(path.join(RUNBOOK_DIR, file), "utf8"), messages, codes)).toEqual([]);
    });

    it.each(runbookFiles)("%s says how to get access when it runs commands, and bounds psql's connection wait", (file) => {
        const text = readFileSync(path.join(RUNBOOK_DIR, file), "utf8");
        if (/`(?:aws |psql |node_modules\/\.bin\/backup-job )/.test(text)) expect(text).toMatch(/\n## Access\n[^#]*\(README\.md#access\)/);
        for (const [command] of text.matchAll(/^.*\bpsql ".*$/gm)) expect(command).toMatch(/PGCONNECT_TIMEOUT=\d+ psql /);
        // The job refuses libpq variables: PGCONNECT_TIMEOUT before a job command would make it exit 2.
        expect(text).not.toMatch(/PGCONNECT_TIMEOUT=\d+ node_modules\/\.bin\/backup-job/);
    });

    it("backup-failed has a section for every exit code the job can return", () => {
        const text = readFileSync(path.join(RUNBOOK_DIR, "backup-failed.md"), "utf8");
        const covered = [...text.matchAll(/^### Exit (.+)$/gm)].flatMap((m) => [...m[1]!.matchAll(/\b\d+\b/g)].map((n) => Number(n[0])));
        expect(codes.filter((code) => code !== ExitCode.Ok && !covered.includes(code))).toEqual([]);
        expect(covered.filter((code) => !codes.includes(code))).toEqual([]);
    });
});
