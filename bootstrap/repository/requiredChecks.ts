// The checks main's protection requires, read from the test workflow itself: one source, so a job
// added to test.yml is required from the next `pulumi up` of the account program (and the account
// drift check reports the protection as out of date until then).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The workflow whose every job must pass before a merge to main. */
export const TEST_WORKFLOW = path.resolve(__dirname, "..", "..", ".github", "workflows", "test.yml");

interface WorkflowJob {
    name?: unknown;
    strategy?: { matrix?: unknown };
}

/**
 * The status check each job of a workflow reports: its `name`, or its id when it has none. A matrix
 * job reports one check per combination and a name with an expression is only known at run time:
 * both are refused, since branch protection needs the exact names.
 */
export function requiredChecksOf(workflowText: string, file: string): string[] {
    const jobs = (parse(workflowText) as { jobs?: Record<string, WorkflowJob> } | null)?.jobs;
    if (jobs === undefined || Object.keys(jobs).length === 0) throw new Error(`${file}: no jobs; allowed: a workflow whose every job main requires`);
    return Object.entries(jobs).map(([id, job]) => {
        if (job.strategy?.matrix !== undefined) {
            throw new Error(`${file}: job ${id} has a matrix, whose checks are named per combination; allowed: jobs without a matrix`);
        }
        const name = job.name ?? id;
        if (typeof name !== "string" || name.includes("${{")) {
            throw new Error(`${file}: job ${id} has the name ${JSON.stringify(name)}; allowed: a fixed name, without expressions`);
        }
        return name;
    });
}

/** Every job of the test workflow, as main's protection requires it. */
export function testWorkflowChecks(): string[] {
    return requiredChecksOf(readFileSync(TEST_WORKFLOW, "utf8"), path.relative(path.resolve(__dirname, "..", ".."), TEST_WORKFLOW));
}
