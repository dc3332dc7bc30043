import { describe, expect, it } from "vitest";
import { databaseGrantsSql, databaseSettingsSql, splitNameList } from "../../src/postgres/database-state.js";

describe("database settings and grants as SQL", () => {
    it("splits stored name lists as PostgreSQL writes them", () => {
        expect(splitNameList('"$user", public')).toEqual(["$user", "public"]);
        expect(splitNameList('odd,"we""ird, name",  pg_catalog')).toEqual(["odd", 'we"ird, name', "pg_catalog"]);
    });
    it("quotes every value as a literal, and each name of a list setting on its own", () => {
        expect(databaseSettingsSql('ho"tel', ["timezone=Europe/Paris", "app.note=it's", 'search_path="$user", public'])).toBe(
            [
                `ALTER DATABASE "ho""tel" SET "timezone" = 'Europe/Paris';`,
                `ALTER DATABASE "ho""tel" SET "app.note" = 'it''s';`,
                `ALTER DATABASE "ho""tel" SET "search_path" = '$user', 'public';`,
                "",
            ].join("\n"),
        );
    });
    it("revokes PUBLIC's defaults, then grants exactly what was recorded", () => {
        expect(
            databaseGrantsSql("hotel", [
                { grantee: "PUBLIC", privilege: "TEMPORARY", grantable: false },
                { grantee: "app", privilege: "CONNECT", grantable: true },
            ]),
        ).toBe(
            [
                'REVOKE ALL ON DATABASE "hotel" FROM PUBLIC;',
                'GRANT TEMPORARY ON DATABASE "hotel" TO PUBLIC;',
                'GRANT CONNECT ON DATABASE "hotel" TO "app" WITH GRANT OPTION;',
                "",
            ].join("\n"),
        );
    });
});
