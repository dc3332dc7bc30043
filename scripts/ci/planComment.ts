// Posts the offline plan diff on a pull request: one comment per stack, edited in place on every
// push. Run by .github/workflows/plan-diff-comment.yml (workflow_run) from the default branch with a
// token that may write pull-request comments; it runs none of the pull request's code. What it reads
// from the pull request's artifact is untrusted text: only shown inside a code fence, never run.
// The pull request is found from GitHub's own event data (head owner, branch and commit), never from
// the artifact, so a forged artifact cannot comment elsewhere.
//
//   node scripts/ci/planComment.ts DIFF_DIR     (Node 22.18+: type stripping; one file, no imports)
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** GitHub trims comments at 65,536 characters; the rest of the diff is in the run's artifact. */
export const MAX_DIFF_CHARACTERS = 60_000;
const STACK_FILE = /^([a-z0-9][a-z0-9-]{0,62})\.txt$/;

export const marker = (stack: string) => `<!-- offline-plan-diff:${stack} -->`;

/** The comment for one stack: its marker, a heading, the diff in a fence no line of the diff can close. */
export function commentBody(stack: string, diff: string, runUrl: string): string {
    const longestTicks = Math.max(2, ...[...diff.matchAll(/`+/g)].map((match) => match[0].length));
    const fence = "`".repeat(longestTicks + 1);
    const shown = diff.length > MAX_DIFF_CHARACTERS ? `${diff.slice(0, MAX_DIFF_CHARACTERS)}\n… (cut at ${MAX_DIFF_CHARACTERS} characters)\n` : diff;
    return [
        marker(stack),
        `### Offline plan diff: \`${stack}\``,
        "",
        "Computed without cloud access from the pull request's program against the base branch's committed plan " +
            `(\`npm run plan -- --stack ${stack} --diff\`). Full output: [the run](${runUrl}).`,
        "",
        `${fence}diff`,
        shown.endsWith("\n") ? shown.slice(0, -1) : shown,
        fence,
    ].join("\n");
}

/** The stacks' diffs in the artifact directory: `<stack>.txt` files only, anything else ignored. */
export function readDiffs(dir: string): { stack: string; diff: string }[] {
    return readdirSync(dir)
        .map((file) => ({ file, stack: STACK_FILE.exec(file)?.[1] }))
        .filter((entry): entry is { file: string; stack: string } => entry.stack !== undefined)
        .sort((a, b) => a.stack.localeCompare(b.stack))
        .map(({ file, stack }) => ({ stack, diff: readFileSync(path.join(dir, file), "utf8") }));
}

export interface GitHub {
    request(method: string, route: string, body?: unknown): Promise<unknown>;
}

/** GitHub's REST API with the job's token. */
export function gitHub(baseUrl: string, token: string): GitHub {
    return {
        async request(method, route, body) {
            const response = await fetch(`${baseUrl}${route}`, {
                method,
                headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "content-type": "application/json" },
                ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
            if (!response.ok) throw new Error(`GitHub ${method} ${route}: ${response.status} ${await response.text()}`);
            return response.json();
        },
    };
}

export interface Head {
    repository: string;
    owner: string;
    branch: string;
    sha: string;
}

/** The open pull request whose head is exactly this commit of this owner's branch (forks included), or undefined. */
export async function pullRequestOf(api: GitHub, head: Head): Promise<number | undefined> {
    const pulls = (await api.request(
        "GET",
        `/repos/${head.repository}/pulls?state=open&per_page=100&head=${encodeURIComponent(`${head.owner}:${head.branch}`)}`,
    )) as { number: number; head: { sha: string } }[];
    return pulls.find((pull) => pull.head.sha === head.sha)?.number;
}

/** Edits this stack's comment on the pull request if there is one (found by its marker), else creates it. */
export async function upsertComment(api: GitHub, repository: string, pull: number, stack: string, body: string): Promise<"created" | "updated"> {
    for (let page = 1; ; page++) {
        const comments = (await api.request("GET", `/repos/${repository}/issues/${pull}/comments?per_page=100&page=${page}`)) as {
            id: number;
            body?: string;
        }[];
        const existing = comments.find((comment) => comment.body?.startsWith(marker(stack)));
        if (existing) {
            await api.request("PATCH", `/repos/${repository}/issues/comments/${existing.id}`, { body });
            return "updated";
        }
        if (comments.length < 100) break;
    }
    await api.request("POST", `/repos/${repository}/issues/${pull}/comments`, { body });
    return "created";
}

function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
}

async function main(dir: string): Promise<void> {
    const repository = required("GITHUB_REPOSITORY");
    const api = gitHub(process.env["GITHUB_API_URL"] ?? "https://api.github.com", required("GITHUB_TOKEN"));
    const head = { repository, owner: required("HEAD_OWNER"), branch: required("HEAD_BRANCH"), sha: required("HEAD_SHA") };
    const pull = await pullRequestOf(api, head);
    if (pull === undefined) {
        process.stdout.write(`no open pull request has ${head.owner}:${head.branch} at ${head.sha}: nothing to comment on\n`);
        return;
    }
    for (const { stack, diff } of readDiffs(dir)) {
        const outcome = await upsertComment(api, repository, pull, stack, commentBody(stack, diff, required("RUN_URL")));
        process.stdout.write(`${stack}: comment ${outcome} on #${pull}\n`);
    }
}

// Node runs this file as an ES module (type stripping, module syntax detection), where `require.main`
// does not exist; tests import it, and then the script path is not argv[1].
if (process.argv[1]?.endsWith(path.join("scripts", "ci", "planComment.ts"))) {
    main(process.argv[2] ?? ".").catch((error: unknown) => {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exit(1);
    });
}
