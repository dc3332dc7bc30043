// The stack's Neon project, the first copy of the 3-2-1 rule: its history retention (the
// point-in-time restore window), the production branch, the backup job's read-only role and URL,
// and the restore drill's own scratch branch and compute.
import * as pulumi from "@pulumi/pulumi";
import { NeonApiRole, NeonBackupRole, NeonBranch, NeonProject } from "./resources.js";
import type { NeonSettings } from "./settings.js";

export const NEON_TYPE = "hotelgenius:ops:NeonDatabase";

/**
 * The drill's compute: small, and suspended after five idle minutes, so it costs only while the
 * weekly drill runs. Two CU (8 GB of memory) restore the current database in minutes.
 */
export const DRILL_COMPUTE = { minCu: 0.25, maxCu: 2, suspendTimeoutSeconds: 300 } as const;
export const DRILL_BRANCH = "restore-drill";
export const DRILL_ROLE = "restore_drill";

export interface NeonDatabaseArgs {
    project: string;
    stack: string;
    settings: NeonSettings;
    /** Protect the project and its production branch (prod): neither `pulumi destroy` nor a refactor may delete them. */
    protectData: boolean;
    /** The database the backup job dumps (backupDatabaseName, the metrics' Database dimension). */
    database: string;
}

/** `role@host/database` of a connection URL: what it reaches and as whom, never its password. */
export function withoutPassword(url: string): string {
    const parsed = new URL(url);
    return `${decodeURIComponent(parsed.username)}@${parsed.host}${decodeURIComponent(parsed.pathname)}`;
}

export class NeonDatabase extends pulumi.ComponentResource {
    public readonly projectId: pulumi.Output<string>;
    public readonly productionBranchId: pulumi.Output<string>;
    /** The production compute's direct host, which the backup connects to. */
    public readonly productionHost: pulumi.Output<string>;
    /** The backup role's URL on the production branch's direct endpoint (secret). */
    public readonly backupDatabaseUrl: pulumi.Output<string>;
    /** The drill role's URL on the scratch branch's own compute (secret). */
    public readonly scratchDatabaseUrl: pulumi.Output<string>;
    public readonly historyRetentionSeconds: pulumi.Output<number>;
    /**
     * Who the job's two secrets connect as, and where: `role@host/database` of each URL, the password left
     * out, so the plan and the stack's outputs show which Neon project the job's secrets come from.
     */
    public readonly jobConnections: pulumi.Output<{ databaseUrl: string; scratchDatabaseUrl: string }>;

    constructor(name: string, args: NeonDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(NEON_TYPE, name, {}, opts);
        const { settings } = args;
        const child = { parent: this };
        const kept = { parent: this, protect: args.protectData };

        const project = new NeonProject(
            `${name}-project`,
            {
                name: settings.projectName,
                regionId: settings.region,
                pgVersion: settings.postgresMajor,
                historyRetentionSeconds: settings.historyRetentionSeconds,
                ...(settings.adoptProjectId === undefined ? {} : { adoptProjectId: settings.adoptProjectId }),
                ...(settings.refreshFrom === undefined ? {} : { refreshFrom: settings.refreshFrom }),
            },
            kept,
        );
        const production = new NeonBranch(`${name}-production`, { projectId: project.projectId, name: "production", adoptDefault: true }, kept);
        const backupRole = new NeonBackupRole(
            `${name}-backup-role`,
            {
                projectId: project.projectId,
                branchId: production.branchId,
                name: settings.backupRole,
                ownerRole: settings.ownerRole,
                host: production.host,
                database: args.database,
            },
            child,
        );
        // Schema only: the drill restores a dump into a database it creates, so the branch needs no rows of prod's.
        const drill = new NeonBranch(
            `${name}-drill`,
            { projectId: project.projectId, name: DRILL_BRANCH, parentId: production.branchId, schemaOnly: true, compute: { ...DRILL_COMPUTE } },
            child,
        );
        const drillRole = new NeonApiRole(
            `${name}-drill-role`,
            { projectId: project.projectId, branchId: drill.branchId, name: DRILL_ROLE, host: drill.host, database: args.database },
            child,
        );

        this.projectId = project.projectId;
        this.productionBranchId = production.branchId;
        this.productionHost = production.host;
        this.backupDatabaseUrl = pulumi.secret(backupRole.connectionUrl);
        this.scratchDatabaseUrl = pulumi.secret(drillRole.connectionUrl);
        this.historyRetentionSeconds = project.historyRetentionSeconds;
        this.jobConnections = pulumi.unsecret(
            pulumi.all([backupRole.connectionUrl, drillRole.connectionUrl]).apply(([databaseUrl, scratchDatabaseUrl]) => ({
                databaseUrl: withoutPassword(databaseUrl),
                scratchDatabaseUrl: withoutPassword(scratchDatabaseUrl),
            })),
        );
        this.registerOutputs({
            projectId: this.projectId,
            productionBranchId: this.productionBranchId,
            productionHost: this.productionHost,
            backupDatabaseUrl: this.backupDatabaseUrl,
            scratchDatabaseUrl: this.scratchDatabaseUrl,
            jobConnections: this.jobConnections,
        });
    }
}
