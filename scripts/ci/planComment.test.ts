// The plan-diff comment script against a local HTTP server that answers as GitHub's REST API does.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commentBody, gitHub, MAX_DIFF_CHARACTERS, marker, pullRequestOf, readDiffs, upsertComment } from "./planComment.js";

describe("commentBody", () => {
    it("starts with the stack's marker and fences the diff so no backticks in it can close the fence", () => {
        const body = commentBody("prod", "~ x\n```\n# injected heading\n", "https://run");
        expect(body.startsWith(`${marker("prod")}\n### Offline plan diff: \`prod\``)).toBe(true);
        expect(body).toContain("````diff\n~ x\n```\n# injected heading\n````");
    });

    it("cuts a diff longer than a comment can hold, and says so", () => {
        const body = commentBody("prod", "x".repeat(MAX_DIFF_CHARACTERS + 10), "https://run");
        expect(body).toContain(`… (cut at ${MAX_DIFF_CHARACTERS} characters)`);
        expect(body.length).toBeLessThan(65_536);
    });
});

describe("readDiffs", () => {
    it("reads <stack>.txt files only", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "plan-diffs-"));
        writeFileSync(path.join(dir, "prod.txt"), "p");
        writeFileSync(path.join(dir, "staging.txt"), "s");
        writeFileSync(path.join(dir, "../../evil.txt".replace(/\//g, "_")), "e");
        writeFileSync(path.join(dir, "Prod.TXT"), "e");
        expect(readDiffs(dir)).toEqual([
            { stack: "prod", diff: "p" },
            { stack: "staging", diff: "s" },
        ]);
        rmSync(dir, { recursive: true });
    });
});

describe("against a GitHub-like API", () => {
    const comments: { id: number; body: string }[] = [];
    const calls: string[] = [];
    let server: Server;
    let api: ReturnType<typeof gitHub>;

    beforeAll(async () => {
        server = createServer((request, response) => {
            let text = "";
            request.on("data", (chunk) => (text += chunk));
            request.on("end", () => {
                calls.push(`${request.method} ${request.url} ${request.headers.authorization}`);
                const url = new URL(request.url!, "http://x");
                const send = (status: number, value: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
                if (request.method === "GET" && url.pathname === "/repos/acme/ops/pulls") {
                    return send(200, url.searchParams.get("head") === "fork-owner:fix" ? [{ number: 7, head: { sha: "abc" } }] : []);
                }
                if (request.method === "GET" && url.pathname === "/repos/acme/ops/issues/7/comments") {
                    return send(200, url.searchParams.get("page") === "1" ? [{ id: 1, body: "LGTM" }, ...comments] : []);
                }
                if (request.method === "POST" && url.pathname === "/repos/acme/ops/issues/7/comments") {
                    const created = { id: 100 + comments.length, body: JSON.parse(text).body };
                    comments.push(created);
                    return send(201, created);
                }
                const patch = /^\/repos\/acme\/ops\/issues\/comments\/(\d+)$/.exec(url.pathname);
                if (request.method === "PATCH" && patch) {
                    const comment = comments.find((candidate) => candidate.id === Number(patch[1]));
                    if (!comment) return send(404, {});
                    comment.body = JSON.parse(text).body;
                    return send(200, comment);
                }
                return send(404, { message: "Not Found" });
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        api = gitHub(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "t0ken");
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("finds the pull request of a fork's branch only at the commit the run was for", async () => {
        expect(await pullRequestOf(api, { repository: "acme/ops", owner: "fork-owner", branch: "fix", sha: "abc" })).toBe(7);
        expect(await pullRequestOf(api, { repository: "acme/ops", owner: "fork-owner", branch: "fix", sha: "def" })).toBeUndefined();
        expect(calls.at(-1)).toBe("GET /repos/acme/ops/pulls?state=open&per_page=100&head=fork-owner%3Afix Bearer t0ken");
    });

    it("creates one comment per stack, then edits each in place on the next push", async () => {
        expect(await upsertComment(api, "acme/ops", 7, "prod", commentBody("prod", "+ a\n", "r"))).toBe("created");
        expect(await upsertComment(api, "acme/ops", 7, "staging", commentBody("staging", "+ b\n", "r"))).toBe("created");
        expect(await upsertComment(api, "acme/ops", 7, "prod", commentBody("prod", "~ a\n", "r"))).toBe("updated");
        expect(comments.map((comment) => comment.body.split("\n")[0])).toEqual([marker("prod"), marker("staging")]);
        expect(comments[0]!.body).toContain("~ a");
        expect(comments[0]!.body).not.toContain("+ a");
    });

    it("says which request failed", async () => {
        await expect(upsertComment(api, "acme/other", 7, "prod", "x")).rejects.toThrow(
            /^GitHub GET \/repos\/acme\/other\/issues\/7\/comments\?per_page=100&page=1: 404/,
        );
    });
});
