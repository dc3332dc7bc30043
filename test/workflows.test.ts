// The GitHub workflows: valid for GitHub's schema (the real @action-validator/core), and holding the
// invariants delivery depends on: triggers, least permissions per job, one deploy at a time, prod
// behind its environment, actions pinned by commit, the project's Node version, the policy pack.
import { validateWorkflow } from "@action-validator/core";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PULUMI_TOKEN_SECONDS } from "../bootstrap/pulumiAccess/policies.js";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, ".github", "workflows");

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    "runs-on"?: string;
    "timeout-minutes"?: number;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string> | string;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    env?: Record<string, string>;
    jobs: Record<string, Job>;
}

const files = readdirSync(DIR)
    .filter((file) => file.endsWith(".yml"))
    .sort();
const text = (file: string) => readFileSync(path.join(DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const pulumiSteps = (job: Job) => job.steps.filter((step) => step.uses?.startsWith("pulumi/actions@"));
const usesAction = (step: Step, action: string) => step.uses?.startsWith(`${action}@`) === true;
/** Actions that export credentials to every later step of their job (GITHUB_ENV): AWS keys, the exchanged Pulumi token. */
const CREDENTIAL_EXPORTERS = ["aws-actions/configure-aws-credentials", "pulumi/auth-actions"];
/** A command that installs packages, whose install scripts (any dependency's code) run with the step's environment. */
const INSTALLS = /\b(npm\s+(ci|install|i|add)|npx|yarn|pnpm)\b/;
const secretsIn = (value: unknown) => [...JSON.stringify(value ?? {}).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((match) => match[1]!);

/** Inputs of each pinned action at its pinned version (from its action.yml), to catch misspelt `with:` keys. */
const ACTION_INPUTS: Record<string, string[]> = {
    "actions/checkout": ["repository", "ref", "token", "ssh-key", "persist-credentials", "path", "clean", "fetch-depth", "fetch-tags", "lfs", "submodules"],
    "actions/setup-node": [
        "node-version",
        "node-version-file",
        "architecture",
        "check-latest",
        "registry-url",
        "scope",
        "token",
        "cache",
        "package-manager-cache",
        "cache-dependency-path",
    ],
    "aws-actions/configure-aws-credentials": ["aws-region", "role-to-assume", "role-session-name", "role-duration-seconds", "audience", "mask-aws-account-id"],
    "actions/upload-artifact": ["name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite", "include-hidden-files"],
    "actions/download-artifact": ["name", "artifact-ids", "path", "pattern", "merge-multiple", "github-token", "repository", "run-id"],
    "pulumi/auth-actions": ["organization", "requested-token-type", "scope", "token-expiration", "export-environment-variables", "cloud-url"],
    "pulumi/actions": [
        "command",
        "stack-name",
        "pulumi-version",
        "work-dir",
        "comment-on-pr",
        "comment-on-summary",
        "edit-pr-comment",
        "always-include-summary",
        "diff",
        "refresh",
        "expect-no-changes",
        "policyPacks",
        "policyPackConfigs",
        "plan",
        "message",
        "suppress-outputs",
        "cloud-url",
    ],
};

/** Whether a version satisfies an npm engines range made of `>=`/`<` comparators joined by `||`. */
function satisfies(version: string, range: string): boolean {
    const parts = (v: string) => v.replace(/^v/, "").split(".").map(Number);
    const compare = (a: number[], b: number[]) => {
        for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
        return 0;
    };
    return range.split("||").some((alternative) =>
        alternative
            .trim()
            .split(/\s+/)
            .every((comparator) => {
                const [, op, bound] = /^(>=|<)(.+)$/.exec(comparator) ?? [];
                if (!op || !bound) throw new Error(`engines comparator ${comparator} is not supported by this test`);
                const order = compare(parts(version), parts(bound));
                return op === ">=" ? order >= 0 : order < 0;
            }),
    );
}

describe("every workflow", () => {
    it("the seven workflows exist", () => {
        expect(files).toEqual(["alarm-drill.yml", "deploy.yml", "drift.yml", "plan-diff-comment.yml", "plan-diff.yml", "preview.yml", "test.yml"]);
    });

    it.each(files)("%s is valid for GitHub's workflow schema", (file) => {
        expect(validateWorkflow(text(file)).errors).toEqual([]);
    });

    it.each(files)("%s pins every action by full commit SHA with its version beside it, and passes only inputs that action has", (file) => {
        const uses = text(file)
            .split("\n")
            .filter((line) => /^\s*-?\s*uses:/.test(line));
        expect(uses.length).toBeGreaterThan(0);
        for (const line of uses) expect(line, line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
        for (const job of Object.values(workflow(file).jobs)) {
            for (const step of job.steps.filter((candidate) => candidate.uses)) {
                const action = step.uses!.split("@")[0]!;
                expect(ACTION_INPUTS[action], `${action} is not a reviewed action`).toBeDefined();
                for (const input of Object.keys(step.with ?? {})) expect(ACTION_INPUTS[action], `${action} has no input ${input}`).toContain(input);
            }
        }
    });

    it.each(files)("%s grants nothing at the top and declares each job's permissions", (file) => {
        const document = workflow(file);
        expect(document.permissions === undefined || ["{}", '{"contents":"read"}'].includes(JSON.stringify(document.permissions))).toBe(true);
        for (const [name, job] of Object.entries(document.jobs)) expect(typeof job.permissions, `${file} job ${name}`).toBe("object");
    });

    it.each(files)("%s uses the project's Node version (.nvmrc, which satisfies package.json engines)", (file) => {
        const nvmrc = readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
        const engines = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;
        expect(satisfies(nvmrc, engines), `.nvmrc ${nvmrc} against engines ${engines}`).toBe(true);
        for (const job of Object.values(workflow(file).jobs)) {
            for (const step of job.steps.filter((candidate) => candidate.uses?.startsWith("actions/setup-node@"))) {
                expect(step.with?.["node-version-file"]).toBe(".nvmrc");
                expect(step.with?.["node-version"]).toBeUndefined();
            }
        }
    });

    it.each(files)("%s reaches AWS only by OIDC role assumption, never with stored keys", (file) => {
        expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
        for (const job of Object.values(workflow(file).jobs)) {
            const assumes = job.steps.some((step) => CREDENTIAL_EXPORTERS.some((action) => usesAction(step, action)));
            const permissions = job.permissions as Record<string, string>;
            expect(permissions["id-token"] === "write").toBe(assumes);
            for (const step of job.steps.filter((candidate) => candidate.uses?.startsWith("aws-actions/configure-aws-credentials@"))) {
                expect(step.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.AWS_(PREVIEW|DRIFT|ACCOUNT_DRIFT|DEPLOY)_ROLE_ARN \}\}$/);
            }
        }
    });

    it.each(files)("%s puts no secret at workflow or job level, and no credential reaches a step that installs packages", (file) => {
        const document = workflow(file);
        expect(secretsIn(document.env), `${file}: workflow env`).toEqual([]);
        for (const [name, job] of Object.entries(document.jobs)) {
            expect(secretsIn(job.env), `${file} job ${name}: job env`).toEqual([]);
            let exported: string | undefined;
            for (const step of job.steps) {
                if (step.run !== undefined && INSTALLS.test(step.run)) {
                    expect(secretsIn(step), `${file} job ${name}: \`${step.run}\` is given a secret`).toEqual([]);
                    expect(exported, `${file} job ${name}: \`${step.run}\` runs after ${exported} exported credentials`).toBeUndefined();
                }
                exported ??= CREDENTIAL_EXPORTERS.find((action) => usesAction(step, action));
            }
        }
    });

    it.each(files)("%s stores no Pulumi token: its only secret is the account drift check's GitHub token, in that main-only environment", (file) => {
        for (const job of Object.values(workflow(file).jobs)) {
            const allowed = environmentOf(job) === "account-drift" ? ["ACCOUNT_DRIFT_GITHUB_TOKEN"] : [];
            for (const secret of secretsIn(job)) expect(allowed, `${file}: secrets.${secret}`).toContain(secret);
        }
    });

    it.each(files)(
        "%s exchanges GitHub's OIDC token for a short-lived Pulumi token in each job that runs Pulumi, after which only Pulumi and the artifact upload run",
        (file) => {
            for (const [name, job] of Object.entries(workflow(file).jobs)) {
                const exchanges = job.steps.filter((step) => usesAction(step, "pulumi/auth-actions"));
                if (pulumiSteps(job).length === 0) {
                    expect(exchanges, `${file} job ${name}`).toEqual([]);
                    continue;
                }
                expect(exchanges, `${file} job ${name}`).toHaveLength(1);
                // A member's token everywhere; an admin's only in the account drift check's main-only environment (it reads the issuer).
                expect(exchanges[0]!.with).toEqual({
                    organization: "${{ vars.PULUMI_ORGANIZATION }}",
                    "requested-token-type": "urn:pulumi:token-type:access_token:organization",
                    "token-expiration": PULUMI_TOKEN_SECONDS,
                    ...(environmentOf(job) === "account-drift" ? { scope: "admin" } : {}),
                });
                // auth-actions v2.1.0 exports the token to every later step whatever export-environment-variables says.
                const after = job.steps.slice(job.steps.indexOf(exchanges[0]!) + 1);
                expect(after.length).toBeGreaterThan(0);
                for (const step of after) {
                    expect(
                        usesAction(step, "pulumi/actions") || usesAction(step, "actions/upload-artifact"),
                        `${file} job ${name}: ${step.uses ?? step.run}`,
                    ).toBe(true);
                }
                // The token outlives the job, never the other way round: a job cut off by its timeout is the longest it can need one.
                expect(job["timeout-minutes"], `${file} job ${name}`).toBeDefined();
                expect(job["timeout-minutes"]! * 60, `${file} job ${name}`).toBeLessThanOrEqual(PULUMI_TOKEN_SECONDS);
            }
        },
    );

    it.each(files)("%s installs the program's and the policy pack's dependencies before any Pulumi step, which runs the pack", (file) => {
        for (const job of Object.values(workflow(file).jobs)) {
            const steps = job.steps;
            for (const step of pulumiSteps(job)) {
                const index = steps.indexOf(step);
                const runs = steps.slice(0, index).map((earlier) => earlier.run ?? "");
                expect(runs.some((run) => /^npm ci\b/.test(run))).toBe(true);
                expect(runs.some((run) => /^npm ci --prefix policy\b/.test(run))).toBe(true);
                // The CLI resolves --policy-pack from the program's directory (work-dir): it must land on the repository's policy/.
                const workDir = String(step.with?.["work-dir"] ?? ".");
                expect(path.join(workDir, String(step.with?.["policyPacks"]))).toBe("policy");
                expect(step.with?.["pulumi-version"]).toBe(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]);
            }
        }
    });

    it("only deploy.yml changes the cloud: `up` runs nowhere else, and never `refresh` or `destroy`", () => {
        for (const file of files) {
            for (const job of Object.values(workflow(file).jobs)) {
                for (const step of pulumiSteps(job)) {
                    expect(["preview", "up"]).toContain(step.with?.["command"]);
                    if (step.with?.["command"] === "up") expect(file).toBe("deploy.yml");
                }
            }
        }
    });
});

describe("test.yml", () => {
    const document = workflow("test.yml");

    it("runs on every push and pull request, read-only", () => {
        expect(Object.keys(document.on).sort()).toEqual(["pull_request", "push"]);
        expect(document.on["push"]).toBeNull();
        expect(document.jobs["test"]!.permissions).toEqual({ contents: "read" });
    });

    it("resolves the job image's base tag to its digest in a read-only job of its own", () => {
        const job = document.jobs["base-image"]!;
        expect(job.permissions).toEqual({ contents: "read" });
        expect(job.steps.map((step) => step.run).filter(Boolean)).toEqual(["bash scripts/ci/check-base-image.sh"]);
    });

    it("runs the README's test command", () => {
        const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
        const command = /\| the tests [^|]*\| `([^`]+)` \|/.exec(readme)?.[1];
        expect(command).toBe("npm test");
        expect(document.jobs["test"]!.steps.map((step) => step.run)).toContain(command);
    });
});

describe("preview.yml", () => {
    const document = workflow("preview.yml");
    const job = document.jobs["preview"]!;
    const [pulumi] = pulumiSteps(job);

    it("previews staging and prod on pull requests to main, one run per pull request at a time", () => {
        expect(document.on).toEqual({ pull_request: { branches: ["main"] } });
        expect((job as unknown as { strategy: { matrix: { stack: string[] } } }).strategy.matrix.stack).toEqual(["staging", "prod"]);
        expect(document.concurrency).toEqual({ group: "preview-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
        expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    });

    it("may comment on the pull request and assume a role, nothing else", () => {
        expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    });

    it("posts one comment per stack, edited in place, trimmed from the front so the summary stays, and saves the update plan", () => {
        expect(pulumi!.with).toMatchObject({
            command: "preview",
            "stack-name": "${{ matrix.stack }}",
            diff: true,
            "comment-on-pr": true,
            "edit-pr-comment": true,
            "always-include-summary": true,
        });
        const upload = job.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
        expect(upload?.with?.["path"]).toBe(pulumi!.with?.["plan"]);
        expect(job.env?.["PULUMI_EXPERIMENTAL"]).toBe("true");
    });
});

describe("plan-diff.yml and plan-diff-comment.yml", () => {
    const diff = workflow("plan-diff.yml");
    const comment = workflow("plan-diff-comment.yml");

    it("computes each stack's diff on every pull request, forks included, in a read-only run with no secrets", () => {
        expect(diff.on).toEqual({ pull_request: null });
        const job = diff.jobs["diff"]!;
        expect(job.if).toBeUndefined();
        expect(job.permissions).toEqual({ contents: "read" });
        expect(text("plan-diff.yml")).not.toMatch(/secrets\./);
        expect((job as unknown as { strategy: { matrix: { stack: string[] } } }).strategy.matrix.stack).toEqual(["staging", "prod"]);
        const run = job.steps.map((step) => step.run ?? "").find((candidate) => candidate.includes("--diff"));
        expect(run).toContain('npm run --silent plan -- --stack "$STACK" --diff --diff-ref "origin/$BASE_REF" > "$RUNNER_TEMP/plan-diff/$STACK.txt"');
        const upload = job.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
        expect(upload?.with).toMatchObject({ name: "plan-diff-${{ matrix.stack }}", path: "${{ runner.temp }}/plan-diff/${{ matrix.stack }}.txt" });
    });

    it("comments from a workflow_run of the default branch that runs none of the pull request's code", () => {
        expect(comment.on).toEqual({ workflow_run: { workflows: [diff.name], types: ["completed"] } });
        expect(Object.keys(comment.on)).not.toContain("pull_request_target");
        const job = comment.jobs["comment"]!;
        expect(job.permissions).toEqual({ actions: "read", contents: "read", "pull-requests": "write" });
        expect(job.if).toBe("github.event.workflow_run.event == 'pull_request' && github.event.workflow_run.conclusion == 'success'");
        const checkout = job.steps.find((step) => step.uses?.startsWith("actions/checkout@"));
        expect(checkout?.with?.["ref"]).toBeUndefined();
        expect(checkout?.with?.["repository"]).toBeUndefined();
        // No install (its scripts would run), no npm: only the comment script of this branch, on the artifact's text.
        expect(job.steps.map((step) => step.run).filter(Boolean)).toEqual(['node scripts/ci/planComment.ts "$RUNNER_TEMP/plan-diff"']);
        const download = job.steps.find((step) => step.uses?.startsWith("actions/download-artifact@"));
        expect(download?.with).toMatchObject({ pattern: "plan-diff-*", "run-id": "${{ github.event.workflow_run.id }}" });
        const env = job.steps.at(-1)!.env!;
        expect(env["HEAD_SHA"]).toBe("${{ github.event.workflow_run.head_sha }}");
        expect(env["HEAD_OWNER"]).toBe("${{ github.event.workflow_run.head_repository.owner.login }}");
    });

    it("no workflow uses pull_request_target", () => {
        for (const file of files) expect(Object.keys(workflow(file).on), file).not.toContain("pull_request_target");
    });
});

describe("deploy.yml", () => {
    const document = workflow("deploy.yml");

    it("deploys on merge to main, one deploy at a time, never cancelled halfway", () => {
        expect(Object.keys(document.on).sort()).toEqual(["push", "workflow_dispatch"]);
        expect(document.on["push"]).toEqual({ branches: ["main"] });
        expect(document.concurrency).toEqual({ group: "deploy-prod", "cancel-in-progress": false });
    });

    it("staging first, then prod's preview, then prod behind the `prod` environment", () => {
        expect(Object.keys(document.jobs)).toEqual(["staging", "preview-prod", "prod"]);
        expect(document.jobs["preview-prod"]!.needs).toBe("staging");
        expect(document.jobs["prod"]!.needs).toBe("preview-prod");
        expect(environmentOf(document.jobs["staging"]!)).toBe("staging");
        expect(environmentOf(document.jobs["prod"]!)).toBe("prod");
        for (const [name, job] of Object.entries(document.jobs)) expect(job.permissions, name).toEqual({ contents: "read", "id-token": "write" });
    });

    it("every `up` runs in its stack's environment with the deploy role and applies a plan previewed in this run", () => {
        const ups = Object.entries(document.jobs).flatMap(([name, job]) =>
            pulumiSteps(job)
                .filter((step) => step.with?.["command"] === "up")
                .map((step) => ({ name, job, step })),
        );
        expect(ups.map(({ step }) => step.with?.["stack-name"])).toEqual(["staging", "prod"]);
        for (const { name, job, step } of ups) {
            expect(environmentOf(job), name).toBe(step.with?.["stack-name"]);
            const role = job.steps.find((candidate) => candidate.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            expect(role?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
            const plan = step.with?.["plan"];
            const previews = Object.values(document.jobs)
                .flatMap((candidate) => pulumiSteps(candidate))
                .filter((candidate) => candidate.with?.["command"] === "preview");
            expect(previews.some((preview) => preview.with?.["plan"] === plan && preview.with?.["stack-name"] === step.with?.["stack-name"])).toBe(true);
        }
        expect(document.env?.["PULUMI_EXPERIMENTAL"]).toBe("true");
        const download = document.jobs["prod"]!.steps.find((step) => step.uses?.startsWith("actions/download-artifact@"));
        const upload = document.jobs["preview-prod"]!.steps.find((step) => step.uses?.startsWith("actions/upload-artifact@"));
        expect(download?.with?.["name"]).toBe(upload?.with?.["name"]);
    });

    it("previews never use the deploy role", () => {
        expect(document.jobs["preview-prod"]!.steps.find((step) => step.uses?.startsWith("aws-actions/"))?.with?.["role-to-assume"]).toBe(
            "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        );
    });
});

describe("drift.yml", () => {
    const document = workflow("drift.yml");
    const roles = (file: string) =>
        Object.values(workflow(file).jobs).flatMap((job) =>
            job.steps.filter((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@")).map((step) => step.with?.["role-to-assume"]),
        );

    it("runs nightly (and by hand) on prod and on the account program: preview --refresh --expect-no-changes, which writes no state", () => {
        expect(Object.keys(document.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
        expect((document.on["schedule"] as { cron: string }[])[0]!.cron).toMatch(/^\d+ \d+ \* \* \*$/);
        const checks = (["prod", "account"] as const).map((name) => {
            const steps = pulumiSteps(document.jobs[name]!);
            expect(steps).toHaveLength(1);
            expect(document.jobs[name]!.permissions).toEqual({ contents: "read", "id-token": "write" });
            return steps[0]!.with;
        });
        expect(checks[0]).toMatchObject({ command: "preview", "stack-name": "prod", refresh: true, "expect-no-changes": true });
        expect(checks[0]?.["work-dir"]).toBeUndefined();
        expect(checks[1]).toMatchObject({ command: "preview", "stack-name": "account", "work-dir": "bootstrap", refresh: true, "expect-no-changes": true });
    });

    it("uses a pulumi/actions that passes `refresh` to the preview: before v6 it ran a separate `pulumi refresh`, which writes state", () => {
        const versions = [...text("drift.yml").matchAll(/uses: pulumi\/actions@[0-9a-f]{40} # v(\d+)\./g)].map((match) => Number(match[1]));
        expect(versions).toHaveLength(2);
        for (const major of versions) expect(major).toBeGreaterThanOrEqual(6);
    });

    it("refreshes prod as the drift role (trusted for main only, it reads secret values), never as the preview role pull requests get", () => {
        expect(document.jobs["prod"]!.steps.find((step) => step.uses?.startsWith("aws-actions/"))?.with?.["role-to-assume"]).toBe(
            "${{ vars.AWS_DRIFT_ROLE_ARN }}",
        );
        expect(files.filter((file) => file !== "drift.yml" && roles(file).includes("${{ vars.AWS_DRIFT_ROLE_ARN }}"))).toEqual([]);
    });

    it("refreshes the account program in its main-only environment, as the account drift role, with the read-only GitHub token in that step alone", () => {
        const job = document.jobs["account"]!;
        expect(environmentOf(job)).toBe("account-drift");
        expect(job.steps.find((step) => step.uses?.startsWith("aws-actions/"))?.with?.["role-to-assume"]).toBe("${{ vars.AWS_ACCOUNT_DRIFT_ROLE_ARN }}");
        expect(files.flatMap(roles).filter((role) => role === "${{ vars.AWS_ACCOUNT_DRIFT_ROLE_ARN }}")).toHaveLength(1);
        expect(job.env).toBeUndefined();
        const [pulumi] = pulumiSteps(job);
        expect(pulumi!.env).toEqual({ GITHUB_TOKEN: "${{ secrets.ACCOUNT_DRIFT_GITHUB_TOKEN }}" });
    });

    it("notifies by issue when either check fails, one issue per program, from a job that may only write issues", () => {
        const notify = document.jobs["notify"]!;
        expect(notify.needs).toEqual(["prod", "account"]);
        expect(notify.if).toBe("failure()");
        expect(notify.permissions).toEqual({ issues: "write" });
        const script = notify.steps[0]!.run!;
        expect(script).toContain("gh issue create --label drift");
        expect(script).toContain('report "prod drifted from the code"');
        expect(script).toContain('report "the account drifted from bootstrap/"');
    });

    describe("the notify script, run by bash against a stand-in gh that answers from a list of open issues (filtered by the real jq)", () => {
        const scratch = mkdtempSync(path.join(tmpdir(), "drift-notify-"));
        afterAll(() => rmSync(scratch, { recursive: true, force: true }));
        writeFileSync(
            path.join(scratch, "gh"),
            [
                "#!/bin/bash",
                // One line per call: a multi-line body is logged with its newlines as spaces.
                'line="gh $*"; printf "%s\\n" "${line//$\'\\n\'/ }" >> "$GH_LOG"',
                'if [ "$1 $2" = "issue list" ]; then while [ "$1" != "--jq" ]; do shift; done; printf "%s" "$OPEN_ISSUES" | jq -r "$2"; fi',
            ].join("\n"),
        );
        chmodSync(path.join(scratch, "gh"), 0o755);
        const notify = (results: { PROD: string; ACCOUNT: string }, open: { number: number; title: string }[]) => {
            const log = path.join(scratch, `log-${results.PROD}-${results.ACCOUNT}-${open.length}`);
            const ran = spawnSync("bash", ["-e", "-c", document.jobs["notify"]!.steps[0]!.run!], {
                encoding: "utf8",
                env: { PATH: `${scratch}:${process.env["PATH"]}`, GH_LOG: log, OPEN_ISSUES: JSON.stringify(open), RUN_URL: "https://run/1", ...results },
            });
            expect(ran.status, ran.stderr).toBe(0);
            return readFileSync(log, "utf8").trim().split("\n").slice(1);
        };
        const prodIssue = { number: 7, title: "prod drifted from the code" };

        it("comments on the program's open issue", () => {
            expect(notify({ PROD: "failure", ACCOUNT: "success" }, [prodIssue])).toEqual([
                'gh issue list --label drift --state open --json number,title --jq .[] | select(.title == "prod drifted from the code") | .number',
                "gh issue comment 7 --body Drift (or a failed check) again: https://run/1",
            ]);
        });

        it("opens the account's own issue rather than commenting on prod's, and one per failed program", () => {
            const account = notify({ PROD: "success", ACCOUNT: "failure" }, [prodIssue]);
            expect(account.filter((line) => !line.startsWith("gh issue list"))).toHaveLength(1);
            expect(account.at(-1)).toMatch(
                /^gh issue create --label drift --title the account drifted from bootstrap\/ --body The nightly .* of the account program failed: https:\/\/run\/1\./,
            );
            const both = notify({ PROD: "failure", ACCOUNT: "failure" }, []);
            expect(both.filter((line) => line.startsWith("gh issue create")).map((line) => /--title (.*?) --body/.exec(line)?.[1])).toEqual([
                "prod drifted from the code",
                "the account drifted from bootstrap/",
            ]);
        });
    });
});

describe("alarm-drill.yml", () => {
    const document = workflow("alarm-drill.yml");
    const drill = document.jobs["drill"]!;

    it("runs monthly (and by hand) behind the prod environment, one at a time, and changes nothing through Pulumi", () => {
        expect(Object.keys(document.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
        expect((document.on["schedule"] as { cron: string }[])[0]!.cron).toMatch(/^\d+ \d+ 1 \* \*$/);
        expect(environmentOf(drill)).toBe("prod");
        expect(pulumiSteps(drill)).toEqual([]);
        expect(drill.permissions).toEqual({ contents: "read", "id-token": "write" });
    });

    it("runs the drill command on prod after installing the dependencies and assuming the role", () => {
        const runs = drill.steps.map((step) => step.run ?? step.uses?.split("@")[0]);
        expect(runs.slice(-3)).toEqual([
            "npm ci --no-audit --no-fund",
            "aws-actions/configure-aws-credentials",
            "npm run --silent alarm-drill -- --stack prod",
        ]);
        expect(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts["alarm-drill"]).toBe("tsx scripts/alarmDrill.ts");
    });
});
