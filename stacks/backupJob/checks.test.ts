import { describe, expect, it } from "vitest";
import { checkDatabaseUrl, checkScratchServer, checkSubnetId, checkVpcId } from "./checks.js";

const DIRECT_URL = "postgresql://backup:fake-password-0000@ep-quiet-sky-000000.eu-central-1.aws.neon.tech/hotelgenius?sslmode=require";

describe("small checks", () => {
    it("database URLs", () => {
        expect(checkDatabaseUrl(DIRECT_URL)).toBeUndefined();
        expect(checkDatabaseUrl("postgres://u:p@db.internal.example:5432/app")).toBeUndefined();
        expect(checkDatabaseUrl("not a url")).toMatch(/postgres/);
        expect(checkDatabaseUrl("postgresql://u:p@db.internal.example")).toMatch(/names no database/);
        expect(checkDatabaseUrl("postgresql://u:p@ep-x-pooler.eu-central-1.aws.neon.tech/app")).toMatch(/-pooler/);
        // What the job refuses, the stack refuses, without quoting the password.
        for (const bad of [
            "postgresql://u:pa@ss-0000@db.internal.example/app",
            "postgresql://u:pa%ss-0000@db.internal.example/app",
            "postgresql://u:pa#ss-0000@db.internal.example/app",
        ]) {
            const reason = checkDatabaseUrl(bad);
            expect(reason, bad).toMatch(/percent|%40|escape/);
            expect(reason).not.toContain("ss-0000");
        }
    });
});

describe("checkSubnetId and checkVpcId", () => {
    it("accept AWS's 8- and 17-digit ids only", () => {
        expect(checkSubnetId("subnet-0123abcd")).toBeUndefined();
        expect(checkSubnetId("subnet-0123456789abcdef0")).toBeUndefined();
        expect(checkSubnetId("subnet-0123456789")).toMatch(/not a subnet id/);
        expect(checkVpcId("vpc-0123456789abcdef0")).toBeUndefined();
        expect(checkVpcId("subnet-0123abcd")).toMatch(/VPC id/);
    });
});

describe("checkScratchServer", () => {
    it("refuses the production server (same host and port), whatever database or role, and accepts another server", () => {
        const scratch = DIRECT_URL.replace("backup:", "drill:").replace("/hotelgenius?", "/postgres?");
        expect(checkScratchServer(DIRECT_URL, DIRECT_URL)).toMatch(/another server than databaseUrl/);
        expect(checkScratchServer(scratch, DIRECT_URL)).toMatch(/another server/);
        expect(checkScratchServer(scratch.replace(".aws.neon.tech/", ".aws.neon.tech:5432/"), DIRECT_URL)).toMatch(/another server/);
        expect(checkScratchServer(scratch.replace("ep-quiet-sky", "ep-misty-lake"), DIRECT_URL)).toBeUndefined();
        expect(checkScratchServer(scratch.replace(".aws.neon.tech/", ".aws.neon.tech:6543/"), DIRECT_URL)).toBeUndefined();
    });
});
