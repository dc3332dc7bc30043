import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { OfflineRun, RecordedResource } from "./mockRuntime.js";
import { buildPlan, JSON_TEXT_INPUTS, type Plan, parsePlan, planToJson, planToText } from "./planFormat.js";

const stackUrn = "urn:pulumi:prod::hotelgenius-ops::pulumi:pulumi:Stack::hotelgenius-ops-prod";
const componentUrn = "urn:pulumi:prod::hotelgenius-ops::hotelgenius:ops:BackupStorage::backups";
const providerUrn = "urn:pulumi:prod::hotelgenius-ops::pulumi:providers:aws::replica";

function recorded(partial: Partial<RecordedResource> & Pick<RecordedResource, "type" | "name" | "urn">): RecordedResource {
    return { custom: true, inputs: {}, protect: false, retainOnDelete: false, dependsOn: [], ...partial };
}

const run: OfflineRun = {
    resources: [
        recorded({
            type: "aws:s3/bucketPolicy:BucketPolicy",
            name: "backups-policy",
            urn: `${componentUrn.replace("::backups", "$aws:s3/bucketPolicy:BucketPolicy::backups-policy")}`,
            parent: componentUrn,
            inputs: { policy: '{"Statement":[{"Effect":"Deny","Action":["s3:GetObject","s3:PutObject"]}]}', bucket: "b" },
        }),
        recorded({ type: "pulumi:pulumi:Stack", name: "hotelgenius-ops-prod", urn: stackUrn, custom: false }),
        recorded({ type: "hotelgenius:ops:BackupStorage", name: "backups", urn: componentUrn, parent: stackUrn, custom: false }),
        recorded({
            type: "aws:s3/bucket:Bucket",
            name: "backups-replica",
            urn: `${componentUrn.replace("::backups", "$aws:s3/bucket:Bucket::backups-replica")}`,
            parent: componentUrn,
            provider: `${providerUrn}::replica-id`,
            protect: true,
            retainOnDelete: true,
            inputs: { tags: { b: "2", a: "1" }, bucket: "hotelgenius-ops-prod-replica" },
        }),
        recorded({ type: "pulumi:providers:aws", name: "replica", urn: providerUrn, parent: stackUrn, inputs: { region: "us-west-2" } }),
    ],
    outputs: { bucketName: "hotelgenius-ops-prod-backups", databaseUrl: "[secret]" },
};

describe("buildPlan", () => {
    const plan = buildPlan("hotelgenius-ops", "prod", run);

    it("drops the stack resource and orders the rest by URN, whatever the registration order", () => {
        expect(plan.resources.map((resource) => resource.name)).toEqual(["backups", "backups-replica", "backups-policy", "replica"]);
        const shuffled = buildPlan("hotelgenius-ops", "prod", { ...run, resources: [...run.resources].reverse() });
        expect(planToJson(shuffled)).toBe(planToJson(plan));
    });

    it("names the owning component and the explicit provider, and keeps protect/retain flags", () => {
        const replica = plan.resources.find((resource) => resource.name === "backups-replica");
        expect(replica).toEqual({
            type: "aws:s3/bucket:Bucket",
            name: "backups-replica",
            component: "backups",
            provider: "replica",
            protect: true,
            retainOnDelete: true,
            inputs: { bucket: "hotelgenius-ops-prod-replica", tags: { a: "1", b: "2" } },
        });
        expect(plan.resources.find((resource) => resource.name === "replica")?.component).toBeUndefined();
    });

    it("sorts input keys so that the committed JSON diffs cleanly", () => {
        expect(planToJson(plan)).toContain('"bucket": "hotelgenius-ops-prod-replica",\n        "tags"');
    });
});

describe("planToText", () => {
    const text = planToText(buildPlan("hotelgenius-ops", "prod", run));

    it("groups resources under their component with their flags", () => {
        expect(text).toContain("Plan for hotelgenius-ops / prod: 4 resources to create");
        expect(text).toContain('hotelgenius:ops:BackupStorage "backups"\n');
        expect(text).toContain('  + aws:s3/bucket:Bucket "backups-replica"  [protected, retained on delete, provider replica]');
    });

    it("expands JSON policy documents into readable structure", () => {
        expect(text).toContain(
            '      policy:\n          Statement:\n              - [0]:\n                  Effect: "Deny"\n                  Action: ' +
                '["s3:GetObject","s3:PutObject"]\n',
        );
    });

    it("shows secret outputs only as [secret]", () => {
        expect(text).toContain('  databaseUrl: "[secret]"');
    });
});

describe("planToJson and parsePlan", () => {
    it("writes JSON-text inputs as structure, and parsePlan gives the program's text back byte for byte", () => {
        const plan = buildPlan("hotelgenius-ops", "prod", run);
        const written = JSON.parse(planToJson(plan)) as Plan;
        const policy = written.resources.find((resource) => resource.name === "backups-policy")!;
        expect(policy.inputs["policy"]).toEqual({ Statement: [{ Effect: "Deny", Action: ["s3:GetObject", "s3:PutObject"] }] });
        expect(parsePlan(planToJson(plan))).toEqual(plan);
    });

    it("keeps as text what would not come back identical, and inputs that are no JSON text", () => {
        const spaced = '{ "Statement": [] }';
        const plan: Plan = {
            project: "p",
            stack: "s",
            outputs: {},
            resources: [
                { type: "t", name: "n", protect: false, retainOnDelete: false, inputs: { policy: spaced, eventPattern: "not json {", tags: '{"a":1}' } },
            ],
        };
        expect(JSON.parse(planToJson(plan)).resources[0].inputs).toEqual({ policy: spaced, eventPattern: "not json {", tags: '{"a":1}' });
        expect(parsePlan(planToJson(plan))).toEqual(plan);
    });

    it.each(["prod", "staging", "bootstrap-account"])(
        "plans/%s.json holds every policy, container definition, dashboard and event pattern as structure",
        (stack) => {
            const committed = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "plans", `${stack}.json`), "utf8")) as Plan;
            const texts = committed.resources.flatMap((resource) => JSON_TEXT_INPUTS.filter((key) => typeof resource.inputs[key] === "string"));
            expect(texts).toEqual([]);
            expect(
                committed.resources.filter(
                    (resource) => resource.type === (stack.startsWith("bootstrap") ? "aws:iam/role:Role" : "aws:ecs/taskDefinition:TaskDefinition"),
                ).length,
            ).toBeGreaterThan(0);
        },
    );
});
