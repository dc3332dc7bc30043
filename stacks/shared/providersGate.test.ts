// The providers wait for the account checks (index.ts): when the checks fail, no provider is
// registered, so no resource of the stack is touched, and the program fails with the checks' message.
// Run in a child process: Pulumi's runtime reports the failed registration as an unhandled rejection,
// which is what fails a real program, and which would fail this test runner too.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { runOffline } = require("./scripts/offlinePlan/mockRuntime.ts");
const { prodSettings } = require("./test/fixtures.ts");
const { createProviders } = require("./stacks/shared/providers.ts");
process.on("unhandledRejection", (reason) => console.log("FAILED " + String(reason)));
const gate = process.argv[1] === "pass" ? pulumi.output("ready") : pulumi.output(Promise.reject(new Error("The AWS account is not ready")));
runOffline({ stack: "prod", config: { "aws:region": "eu-west-3" }, load: async () => (createProviders(prodSettings(), gate), {}) }).then((run) =>
    console.log("PROVIDERS " + run.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.name).join(",")),
);
`;

/** The program's report lines and its exit code. */
async function program(gate: "pass" | "fail"): Promise<{ code: number; lines: string[] }> {
    const { code, stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "-e", PROGRAM, gate], { cwd: ROOT }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    return { code, lines: stdout.trim().split("\n") };
}

describe("createProviders behind the account checks", () => {
    it("registers every provider once the checks pass", async () => {
        expect(await program("pass")).toEqual({ code: 0, lines: ["PROVIDERS aws-primary,aws-replica,aws-us-east-1"] });
    });

    it("registers none, and fails with the checks' message, when they fail", async () => {
        const { code, lines } = await program("fail");
        expect(lines.filter((line) => line.startsWith("PROVIDERS"))).toEqual(["PROVIDERS "]);
        expect([...new Set(lines.filter((line) => line.startsWith("FAILED")))]).toEqual([
            'FAILED Error: error serializing property "region": error serializing property "region": error serializing property "region": The AWS account ' +
                "is not ready",
        ]);
        expect(code).not.toBe(0);
    });
});
