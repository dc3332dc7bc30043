// `npm run alarm-drill -- --stack <name>`: proves that pages arrive. With the operator's AWS
// credentials it sends one drill event through the stack's drill rule (built like the real rules:
// EventBridge → KMS-encrypted topics, both channels) and sets every CloudWatch alarm of the stack,
// in every region it has alarms in, to ALARM with a reason saying it is a drill; the next
// evaluation puts each back. Then it reports what it triggered and what each topic should have
// delivered (runbooks/alarm-drill.md). Tested with the SDK's own mock (scripts/alarmDrill.test.ts).
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient, PutEventsCommand, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { alertRegions, drillEvent } from "../stacks/alerts/rules.js";
import { nameStem } from "../stacks/shared/naming.js";
import { parseSettings, SettingsError } from "../stacks/settings/registry.js";
import { stackNames } from "./offlinePlan/planFormat.js";
import { readStackFile, StackFileError } from "./offlinePlan/stackFile.js";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "hotelgenius-ops";
/** CloudWatch's limit on a state reason. */
const MAX_STATE_REASON = 1023;

const USAGE = `usage: npm run alarm-drill -- --stack <name> [--config-file <path>]

Sends a drill event through <stack>'s alarm-drill rule and sets every CloudWatch alarm of the stack
to ALARM (reason "ALARM DRILL ..."), in each region it has alarms in, with your AWS credentials.
Exit 0 when everything was triggered; 1 when something could not be (each problem is listed).`;

class UsageError extends Error {}

/** What a stack's drill touches, from its settings file alone (no Pulumi, no cloud). */
export interface DrillTarget {
    stack: string;
    source: string;
    detailType: string;
    alarmNamePrefix: string;
    /** Where the drill rule is. */
    primaryRegion: string;
    /** Where the stack has alarms. */
    regions: string[];
}

export function drillTarget(stack: string, configFile: string): DrillTarget {
    const file = readStackFile(configFile, PROJECT);
    const settings = parseSettings({ project: PROJECT, stack, values: file.values, secretKeys: file.secretKeys });
    const stem = nameStem({ project: PROJECT, stack });
    const replicaRegion = settings.storage.offSiteReplica ? settings.storage.replicaRegion : undefined;
    return { stack, ...drillEvent(stem), alarmNamePrefix: `${stem}-`, primaryRegion: settings.region, regions: alertRegions(settings.region, replicaRegion) };
}

export interface DrillClients {
    cloudWatch(region: string): CloudWatchClient;
    eventBridge(region: string): EventBridgeClient;
}

export interface DrilledAlarm {
    name: string;
    /** The topics (or other actions) its ALARM state notifies. */
    actions: string[];
}

export interface DrillReport {
    drillId: string;
    requestedBy: string;
    /** The event id EventBridge gave the drill event, when it accepted it. */
    eventId?: string;
    alarms: { region: string; alarms: DrilledAlarm[] }[];
    /** Everything that keeps the drill from proving the path; empty when it ran through. */
    problems: string[];
}

/** Every alarm of the stack in one region (DescribeAlarms pages through 100 at a time). */
async function stackAlarms(client: CloudWatchClient, prefix: string): Promise<MetricAlarm[]> {
    const alarms: MetricAlarm[] = [];
    let nextToken: string | undefined;
    do {
        const page = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ["MetricAlarm"], NextToken: nextToken }));
        alarms.push(...(page.MetricAlarms ?? []));
        nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return alarms;
}

export async function runDrill(target: DrillTarget, clients: DrillClients, drill: { drillId: string; requestedBy: string }): Promise<DrillReport> {
    const report: DrillReport = { ...drill, alarms: [], problems: [] };
    const sent = await clients
        .eventBridge(target.primaryRegion)
        .send(
            new PutEventsCommand({
                Entries: [
                    {
                        Source: target.source,
                        DetailType: target.detailType,
                        Detail: JSON.stringify({ drillId: drill.drillId, requestedBy: drill.requestedBy, stack: target.stack }),
                    },
                ],
            }),
        )
        .catch((error: Error): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } => ({
            FailedEntryCount: 1,
            Entries: [{ ErrorCode: error.name, ErrorMessage: error.message }],
        }));
    const entry = sent.Entries?.[0];
    if ((sent.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
        report.problems.push(
            `EventBridge refused the drill event in ${target.primaryRegion}: ${entry?.ErrorCode ?? "no event id"} ${entry?.ErrorMessage ?? ""}`.trim(),
        );
    } else {
        report.eventId = entry.EventId;
    }

    const reason = `ALARM DRILL ${drill.drillId} by ${drill.requestedBy}: not an incident, a test of delivery (runbooks/alarm-drill.md).`.slice(
        0,
        MAX_STATE_REASON,
    );
    for (const region of target.regions) {
        const client = clients.cloudWatch(region);
        const found = await stackAlarms(client, target.alarmNamePrefix).catch((error: Error) => {
            report.problems.push(`${region}: cannot list the alarms (${error.name}: ${error.message})`);
            return undefined;
        });
        if (found === undefined) continue;
        if (found.length === 0) report.problems.push(`${region}: no alarm named ${target.alarmNamePrefix}*: is the stack deployed there?`);
        const drilled: DrilledAlarm[] = [];
        for (const alarm of found) {
            const name = alarm.AlarmName!;
            const actions = alarm.AlarmActions ?? [];
            // An alarm that notifies nobody is exactly what the drill exists to find.
            if (alarm.ActionsEnabled === false) report.problems.push(`${region}: ${name} has its actions disabled: its ALARM notifies nobody`);
            else if (actions.length === 0) report.problems.push(`${region}: ${name} has no ALARM action: it notifies nobody`);
            try {
                await client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: "ALARM", StateReason: reason }));
                drilled.push({ name, actions });
            } catch (error) {
                report.problems.push(`${region}: cannot set ${name} to ALARM (${(error as Error).name}: ${(error as Error).message})`);
            }
        }
        report.alarms.push({ region, alarms: drilled });
    }
    return report;
}

/** `arn:aws:sns:<region>:<account>:<name>` as `<name> (<region>)`; any other action as it is. */
function actionName(arn: string): string {
    const parts = arn.split(":");
    return parts[2] === "sns" && parts.length === 6 ? `${parts[5]} (${parts[3]})` : arn;
}

export function reportText(target: DrillTarget, report: DrillReport): string {
    const lines = [`Alarm drill ${report.drillId} on stack ${target.stack}, by ${report.requestedBy}`];
    lines.push(
        report.eventId === undefined
            ? "EventBridge: the drill event was NOT accepted"
            : `EventBridge: drill event ${report.eventId} sent in ${target.primaryRegion} (source ${target.source}): the alarm-drill rule sends it to both channels`,
    );
    const perTopic = new Map<string, number>();
    for (const { region, alarms } of report.alarms) {
        lines.push(`${region}: ${alarms.length} alarm${alarms.length === 1 ? "" : "s"} set to ALARM`);
        for (const alarm of alarms) {
            const names = alarm.actions.map(actionName);
            lines.push(`  ${alarm.name} -> ${names.join(", ") || "nobody"}`);
            for (const name of names) perTopic.set(name, (perTopic.get(name) ?? 0) + 1);
        }
    }
    lines.push("Each topic's subscribers should now have (besides the drill rule's message on the primary region's two topics):");
    for (const [topic, count] of [...perTopic].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`  ${topic}: ${count} ALARM notification${count === 1 ? "" : "s"}, then as many OK ones as alarms return to OK`);
    }
    if (report.problems.length > 0) lines.push("Problems:", ...report.problems.map((problem) => `  - ${problem}`));
    return `${lines.join("\n")}\n`;
}

function realClients(): DrillClients {
    return {
        cloudWatch: (region) => new CloudWatchClient({ region }),
        eventBridge: (region) => new EventBridgeClient({ region }),
    };
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: { stack: { type: "string" }, "config-file": { type: "string" }, help: { type: "boolean" } },
        strict: true,
    });
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const stack = values.stack;
    if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack is required (one of: ${stackNames(ROOT).join(", ")})\n${USAGE}`);
    const configFile = path.resolve(values["config-file"] ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
    if (!existsSync(configFile)) throw new UsageError(`--config-file ${configFile} does not exist (stacks: ${stackNames(ROOT).join(", ")})`);
    const target = drillTarget(stack, configFile);
    const drillId = `drill-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}`;
    const requestedBy = process.env["GITHUB_ACTOR"] ?? userInfo().username;
    const report = await runDrill(target, realClients(), { drillId, requestedBy });
    process.stdout.write(reportText(target, report));
    return report.problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
            process.stderr.write(
                `${error instanceof Error && (usage || error instanceof SettingsError || error instanceof StackFileError) ? error.message : String((error as Error).stack ?? error)}\n`,
            );
            process.exit(usage ? 2 : 1);
        },
    );
}
