import { describe, expect, it } from "vitest";
import { stateObjectsOf } from "./backend.js";

describe("stateObjectsOf", () => {
    it("gives Pulumi Cloud no S3 rights", () => {
        expect(stateObjectsOf("https://api.pulumi.com")).toEqual({});
    });

    it("scopes an s3:// backend to its prefix, or the whole bucket without one", () => {
        expect(stateObjectsOf("s3://hotelgenius-state/ops/")).toEqual({ stateObjects: "arn:aws:s3:::hotelgenius-state/ops/*" });
        expect(stateObjectsOf("s3://hotelgenius-state")).toEqual({ stateObjects: "arn:aws:s3:::hotelgenius-state/*" });
    });
});
