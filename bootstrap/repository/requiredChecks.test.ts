import { describe, expect, it } from "vitest";
import { requiredChecksOf, testWorkflowChecks } from "./requiredChecks.js";

const workflow = (jobs: string) => `name: test\non: [push]\njobs:\n${jobs}`;

describe("requiredChecksOf", () => {
    it("names each job's check: its name, or its id without one, in the workflow's order", () => {
        const jobs = "  test:\n    runs-on: x\n  lint:\n    name: Lint the tree\n    runs-on: x\n";
        expect(requiredChecksOf(workflow(jobs), "test.yml")).toEqual(["test", "Lint the tree"]);
    });

    it("refuses a matrix job, whose checks are named per combination", () => {
        const jobs = "  test:\n    strategy:\n      matrix:\n        node: [20, 22]\n";
        expect(() => requiredChecksOf(workflow(jobs), "test.yml")).toThrow("test.yml: job test has a matrix");
    });

    it("refuses a name only known at run time", () => {
        const jobs = "  test:\n    name: test on ${{ github.ref }}\n";
        expect(() => requiredChecksOf(workflow(jobs), "test.yml")).toThrow('test.yml: job test has the name "test on ${{ github.ref }}"');
    });

    it("refuses a workflow without jobs", () => {
        expect(() => requiredChecksOf("name: test\non: [push]\n", "test.yml")).toThrow("test.yml: no jobs");
    });
});

describe("testWorkflowChecks", () => {
    it("reads .github/workflows/test.yml, every one of its jobs", () => {
        expect(testWorkflowChecks()).toEqual(["test", "base-image"]);
    });
});
