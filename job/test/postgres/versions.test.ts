import { describe, expect, it } from "vitest";
import { isToolNewEnough, majorLabel, parseServerVersionNum, parseToolVersion } from "../../src/postgres/versions.js";

describe("versions", () => {
    it("parses tool banners and server_version_num across numbering schemes", () => {
        const v15 = parseToolVersion("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)");
        expect(majorLabel(v15)).toBe("15");
        expect(v15.number).toBe("15.18");
        expect(parseServerVersionNum(170002, "17.2").number).toBe("17.2");
        const v96 = parseToolVersion("pg_dump (PostgreSQL) 9.6.24");
        expect(majorLabel(v96)).toBe("9.6");
        const s17 = parseServerVersionNum(170002, "17.2");
        expect(isToolNewEnough(v15, s17)).toBe(false);
        expect(isToolNewEnough(parseToolVersion("pg_dump (PostgreSQL) 17.0"), s17)).toBe(true);
        expect(isToolNewEnough(v15, parseServerVersionNum(90624, "9.6.24"))).toBe(true);
        expect(isToolNewEnough(v96, parseServerVersionNum(100001, "10.1"))).toBe(false);
        expect(() => parseToolVersion("zstd")).toThrow(/cannot read/);
    });
});
