// The scheduled backup job's settings: when it runs and which database it dumps, the weekly restore
// drill, the task's size, image, network and logs, and its Sentry cron monitor.
import * as pulumi from "@pulumi/pulumi";
import { defineArea, flag, integer, list, oneOf, text, OFFLINE_SECRET, type RelationProblem, type Values } from "../settings/spec.js";
import {
    type BackupSchedule,
    backupSchedule,
    checkCrontabEquivalent,
    checkScheduleDaylightSaving,
    checkScheduleExpression,
    checkTimeZone,
    longestScheduleGapMinutes,
} from "./schedule.js";
import { checkDatabaseUrl, checkScratchServer, checkSubnetId, checkVpcId } from "./checks.js";
import { checkFargateCpu, checkFargateSize, checkImageUri } from "./task.js";
import { checkLogRetentionDays } from "../shared/logRetention.js";
import { checkSentryDsn } from "../settings/checks.js";

export const JOB_ARCHITECTURES = ["ARM64", "X86_64"] as const;
export type JobArchitecture = (typeof JOB_ARCHITECTURES)[number];

/** One hour on top of the schedule's longest gap: the run itself, a cold Neon compute, a clock change. */
export const BACKUP_MISSING_MARGIN_HOURS = 1;

/**
 * The backup-missing alarm (the alerts' backupMissingAfterHours, read by its key) must wait out the
 * schedule's longest gap between runs, and CloudWatch evaluates at most 7 days: checked here, beside
 * the schedule's cron logic.
 */
function backupMissingProblems(values: Record<string, unknown>): RelationProblem[] {
    const problems: RelationProblem[] = [];
    const backupMissingAfterHours = values["backupMissingAfterHours"] as number | undefined;
    const schedule = values["backupSchedule"] as string | undefined;
    const gap = schedule === undefined ? undefined : longestScheduleGapMinutes(schedule);
    if (backupMissingAfterHours !== undefined && gap !== undefined) {
        const needed = Math.ceil(gap / 60) + BACKUP_MISSING_MARGIN_HOURS;
        if (needed > 168) {
            problems.push({
                setting: "backupMissingAfterHours",
                value: backupMissingAfterHours,
                allowed:
                    `cannot watch backupSchedule ${schedule}: it leaves ${gap / 60} hours between runs, and with the ${BACKUP_MISSING_MARGIN_HOURS}-hour ` +
                    `margin ` +
                    "that exceeds the 7 days CloudWatch evaluates; schedule backups more often than weekly",
            });
        } else if (backupMissingAfterHours < needed) {
            problems.push({
                setting: "backupMissingAfterHours",
                value: backupMissingAfterHours,
                allowed:
                    `must be at least ${needed}: backupSchedule ${schedule} leaves up to ${gap / 60} hours between runs, ` +
                    `plus ${BACKUP_MISSING_MARGIN_HOURS} for the run, or the alarm pages for a backup that is not late`,
            });
        }
    }
    return problems;
}

export const backupJobArea = defineArea({
    name: "backupJob",
    settings: {
        backupSchedule: text({
            default: "cron(0 2 * * ? *)",
            check: (value) => checkScheduleExpression(value) ?? checkCrontabEquivalent(value),
            allowed:
                "EventBridge Scheduler `cron(min hour day-of-month month day-of-week *)` with exactly one of the day fields `?`, and a form a 5-field " +
                "crontab can express (the Sentry monitor's schedule is derived from it): no `rate()`, no year other than `*`, no `L`, `W` or `#`. In a " +
                "zone with daylight saving, not in the hour the clocks skip or repeat.",
            description: "EventBridge Scheduler cron expression for the nightly backup, cron(min hour dom month dow *).",
            why:
                "Daily at 02:00 UTC, the original cron job's `0 2 * * *`: 03:00 or 04:00 in Paris, before the hotels' day starts. The Sentry monitor's " +
                "crontab is derived from it, so the schedule is declared once.",
        }),
        backupScheduleTimezone: text({
            default: "UTC",
            check: checkTimeZone,
            allowed: "an IANA time-zone name, spelled exactly (e.g. `Europe/Paris`), not an offset",
            description: "IANA time zone the backup and restore-drill cron expressions are read in.",
            why: "UTC has no daylight saving, so the run is never skipped or doubled when clocks change.",
        }),
        databaseUrl: text({
            secret: true,
            // Required unless neonProjectName derives it (stacks/neon/settings.ts checks which).
            optional: true,
            check: checkDatabaseUrl,
            allowed:
                "a `postgres://` or `postgresql://` URL with host and database, on Neon's direct endpoint (not a `-pooler` host); must be a secret; " +
                "unset while `neonProjectName` is set",
            description:
                "postgres:// URL of the database to back up, on its direct (not -pooler) endpoint; from the stack's ESC environment or `pulumi config set " +
                "--secret`; unset when neonProjectName derives it.",
            why: "What the backup job dumps. pg_dump's session settings break a transaction-mode PgBouncer, so the pooled endpoint is refused.",
        }),
        restoreDrillSchedule: text({
            default: "cron(0 5 ? * MON *)",
            check: checkScheduleExpression,
            allowed:
                "an EventBridge Scheduler `cron(...)` or `rate(...)` expression (as `backupSchedule`); in a zone with daylight saving, not in the hour the " +
                "clocks skip or repeat",
            description: "EventBridge Scheduler expression for the weekly restore drill (`verify` into a scratch database).",
            why: "Mondays at 05:00 UTC: three hours after the nightly backup starts, so the drill restores that night's dump, and before the working day.",
        }),
        scratchDatabaseUrl: text({
            secret: true,
            optional: true,
            check: checkDatabaseUrl,
            allowed:
                "a `postgres://` URL of an existing database on another server than `databaseUrl`, whose role may CREATEDB; must be a secret. The offline " +
                "plan cannot decrypt secrets, so it cannot compare the two servers: `pulumi preview` does. Unset while `neonProjectName` is set (the " +
                "drill's own Neon branch)",
            description:
                "postgres:// URL of a database on a scratch server (not the production one) where the weekly drill creates, fills and drops a database; " +
                "unset when neonProjectName derives it.",
            why:
                "The drill proves every week that the latest backup restores and holds the row counts of its manifest. It needs its own server: on the " +
                "production one it would copy guests' data next to the live database and load it.",
        }),
        backupSentryDsn: text({
            secret: true,
            optional: true,
            check: checkSentryDsn,
            allowed: "a Sentry DSN, https://PUBLIC_KEY@HOST/PROJECT_ID; must be a secret",
            description: "Sentry DSN for the backup job's cron check-ins; unset = no check-ins.",
            why: "With it, Sentry reports a nightly backup that failed, ran too long or never started. Unset in a stack without a Sentry project.",
        }),
        backupCheckinMarginMinutes: integer({
            default: 30,
            min: 1,
            max: 1440,
            description: "Minutes a backup may start late before Sentry counts it missed; also how long the scheduler retries a failed start.",
            why:
                "Covers a Fargate start (about a minute) and the scheduler's retries of a start that failed, which last as long; a run later than that is " +
                "reported.",
        }),
        jobMaxRuntimeMinutes: integer({
            default: 120,
            min: 10,
            max: 1440,
            description: "Minutes after which a backup or drill aborts, cleans up and exits with its own code (Fargate has no run timeout).",
            why:
                "A hung connection must not hold a task, its snapshot and its billing forever. Two hours is many times the few minutes a backup of the " +
                "current database takes.",
        }),
        jobImageUri: text({
            optional: true,
            check: checkImageUri,
            allowed: "`REGISTRY/REPOSITORY[:TAG]@sha256:DIGEST`, an image pinned by digest; ECR or a public registry",
            description: "Image the backup task runs instead of building job/Dockerfile; REGISTRY/REPO@sha256:DIGEST.",
            why: "Unset: Pulumi builds `job/Dockerfile` and pushes it to the stack's ECR repository. Set it to run an image built and scanned elsewhere.",
        }),
        jobPostgresMajor: integer({
            default: 17,
            min: 14,
            max: 18,
            description: "PostgreSQL major version of the pg_dump/pg_restore in the built image (PG_MAJOR); at least the server's.",
            why: "Neon runs PostgreSQL 16-17 and pg_dump refuses servers newer than itself (the job exits 4). Keep it at or above the Neon project's version.",
        }),
        jobArchitecture: oneOf(JOB_ARCHITECTURES, {
            default: "ARM64" as JobArchitecture,
            description: "CPU architecture of the Fargate task and of the image built for it, ARM64 or X86_64.",
            why: "Fargate on Graviton (ARM64) costs about 20% less per vCPU-hour, and pg_dump and zstd run natively on it.",
        }),
        jobCpu: integer({
            default: 1024,
            min: 256,
            max: 16_384,
            check: checkFargateCpu,
            allowed: "a Fargate cpu size: 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)",
            description: "CPU units of the backup task (1024 = 1 vCPU); a Fargate size.",
            why: "One vCPU for zstd beside pg_dump, which it keeps up with at level 3 (docs/backup-job-benchmark.md).",
        }),
        jobMemory: integer({
            default: 2048,
            min: 512,
            max: 122_880,
            allowed: "MiB Fargate accepts with `jobCpu` (1024: 2048-8192 in steps of 1024; 256: 512, 1024, 2048; ...)",
            description: "Memory (MiB) of the backup task; must be a pair Fargate accepts with jobCpu.",
            why:
                "The job peaks at about 130 MiB with its default part size; the rest is for pg_dump, zstd and larger --part-size-mib values. 2048 is the " +
                "least Fargate gives one vCPU.",
        }),
        jobLogRetentionDays: integer({
            default: 90,
            min: 1,
            max: 3653,
            check: checkLogRetentionDays,
            allowed:
                "a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            description: "Days the backup job's CloudWatch log group keeps its log lines.",
            why: "A quarter: long enough to compare a failing night with the weeks before it. The log lines hold no guest data, only names, sizes and counts.",
        }),
        jobContainerInsights: flag({
            default: true,
            description: "Turn on CloudWatch Container Insights on the backup job's ECS cluster.",
            why: "Per-task CPU and memory graphs, which is what sizing `jobCpu` and `jobMemory` needs; a few metrics for one short task a night cost little.",
        }),
        jobVpcId: text({
            optional: true,
            check: checkVpcId,
            allowed: "a VPC id, vpc-…; set together with `jobSubnetIds`",
            description: "VPC of the backup task; unset = the account's default VPC (with jobSubnetIds unset too).",
            why:
                "Unset, the task runs in the region's default VPC, found by lookup at deploy time (an account without one must set this). Set it with " +
                "`jobSubnetIds` to run in your own VPC.",
        }),
        jobSubnetIds: list({
            optional: true,
            item: checkSubnetId,
            check: (ids) => (ids.length === 0 ? "must list at least one subnet" : undefined),
            allowed: "subnet ids (subnet-…) of `jobVpcId`, at least one",
            description: "Subnets of jobVpcId the backup task may run in; unset = the default VPC's default subnets.",
            why: "Several subnets in different zones let Fargate start the task when one zone is short of capacity.",
        }),
        jobAssignPublicIp: flag({
            default: true,
            description: "Give the backup task a public IP, which it needs to reach ECR, S3 and Neon from a subnet without a NAT gateway.",
            why:
                "The default VPC's subnets are public and have no NAT gateway: without a public IP the task cannot even pull its image. Turn it off in " +
                "private subnets behind a NAT gateway. The security group accepts no inbound traffic either way.",
        }),
        jobImagesKept: integer({
            default: 10,
            min: 1,
            max: 1000,
            description: "Images the ECR repository keeps; older ones are expired by its lifecycle policy.",
            why: "Ten releases to roll back to, without paying to store every image ever built.",
        }),
    },
    relations: (values) => {
        const problems: RelationProblem[] = [];
        const { jobCpu, jobMemory, jobVpcId, jobSubnetIds, jobAssignPublicIp, backupScheduleTimezone: zone } = values;
        if (jobCpu !== undefined && jobMemory !== undefined) {
            const reason = checkFargateSize(jobCpu, jobMemory);
            if (reason !== undefined) problems.push({ setting: "jobMemory", value: jobMemory, allowed: reason });
        }
        if ((jobVpcId === undefined) !== (jobSubnetIds === undefined)) {
            const [setting, value] = jobVpcId === undefined ? ["jobSubnetIds", JSON.stringify(jobSubnetIds)] : ["jobVpcId", jobVpcId];
            problems.push({ setting, value, allowed: "set jobVpcId and jobSubnetIds together, or neither for the default VPC" });
        } else if (jobVpcId === undefined && jobAssignPublicIp === false) {
            problems.push({
                setting: "jobAssignPublicIp",
                value: false,
                allowed:
                    "must be true in the default VPC: its subnets have no NAT gateway, so without a public IP the task cannot pull its image or reach S3 and " +
                    "Neon",
            });
        }
        if (zone !== undefined) {
            for (const setting of ["backupSchedule", "restoreDrillSchedule"] as const) {
                const expression = values[setting];
                const reason = expression === undefined ? undefined : checkScheduleDaylightSaving(expression, zone);
                if (reason !== undefined) problems.push({ setting, value: expression, allowed: reason });
            }
        }
        // After the checks above: a schedule they refused is not measured.
        if (!problems.some((problem) => problem.setting === "backupSchedule")) problems.push(...backupMissingProblems(values));
        const { scratchDatabaseUrl: scratch, databaseUrl } = values;
        // The offline plan has only placeholders for secrets; `pulumi preview` compares the real URLs.
        if (scratch !== undefined && databaseUrl !== undefined && scratch !== OFFLINE_SECRET && databaseUrl !== OFFLINE_SECRET) {
            const reason = checkScratchServer(scratch, databaseUrl);
            if (reason !== undefined) problems.push({ setting: "scratchDatabaseUrl", value: scratch, allowed: reason });
        }
        return problems;
    },
});

export interface BackupJobSettings {
    schedule: BackupSchedule;
    /** EventBridge Scheduler expression of the weekly restore drill, read in the backup schedule's time zone. */
    drillSchedule: string;
    /** Undefined when the Neon project provides the scratch server (NeonDatabase.scratchDatabaseUrl). */
    scratchDatabaseUrl: pulumi.Output<string> | undefined;
    /** Undefined: no Sentry check-ins. */
    sentryDsn: pulumi.Output<string> | undefined;
    checkinMarginMinutes: number;
    maxRuntimeMinutes: number;
    /** Undefined: build job/Dockerfile into the stack's ECR repository. */
    imageUri: string | undefined;
    postgresMajor: number;
    architecture: JobArchitecture;
    cpu: number;
    memory: number;
    logRetentionDays: number;
    containerInsights: boolean;
    /** Undefined: the account's default VPC and its default subnets. */
    network: { vpcId: string; subnetIds: readonly string[] } | undefined;
    assignPublicIp: boolean;
    imagesKept: number;
}

export function backupJobSettings(values: Values<typeof backupJobArea.settings>): BackupJobSettings {
    return {
        schedule: backupSchedule(values.backupSchedule, values.backupScheduleTimezone),
        drillSchedule: values.restoreDrillSchedule,
        scratchDatabaseUrl: values.scratchDatabaseUrl === undefined ? undefined : pulumi.secret(values.scratchDatabaseUrl),
        sentryDsn: values.backupSentryDsn === undefined ? undefined : pulumi.secret(values.backupSentryDsn),
        checkinMarginMinutes: values.backupCheckinMarginMinutes,
        maxRuntimeMinutes: values.jobMaxRuntimeMinutes,
        imageUri: values.jobImageUri,
        postgresMajor: values.jobPostgresMajor,
        architecture: values.jobArchitecture,
        cpu: values.jobCpu,
        memory: values.jobMemory,
        logRetentionDays: values.jobLogRetentionDays,
        containerInsights: values.jobContainerInsights,
        network: values.jobVpcId === undefined || values.jobSubnetIds === undefined ? undefined : { vpcId: values.jobVpcId, subnetIds: values.jobSubnetIds },
        assignPublicIp: values.jobAssignPublicIp,
        imagesKept: values.jobImagesKept,
    };
}
