import { describe, expect, it } from "vitest";
import { passwordCandidates, redact, redactUrl, registerSecret } from "../../src/observability/redact.js";

describe("redaction", () => {
    it("registers every reading of a password before parsing: WHATWG's last @, libpq's first @, raw and decoded", () => {
        expect(passwordCandidates("postgresql://app:Kq9@Vw7@h/db")).toEqual(["Kq9@Vw7", "Kq9@Vw7", "Kq9", "Kq9"]);
        expect(passwordCandidates("postgresql://app:Kq9%40Vw7@h/db?password=Zz%2F8")).toEqual([
            "Kq9%40Vw7",
            "Kq9@Vw7",
            "Kq9%40Vw7",
            "Kq9@Vw7",
            "Zz%2F8",
            "Zz/8",
        ]);
        expect(passwordCandidates("postgresql://h:5432/db")).toEqual([]);
    });

    it("masks a URL's password by position, whatever its characters", () => {
        expect(redactUrl("postgresql://app:Kq9@Vw7/x#y z@h/db")).toBe("postgresql://app:***@h/db");
        expect(redactUrl("postgresql://app:x@h/db")).toBe("postgresql://app:***@h/db");
        expect(redactUrl("postgresql://app@h:5432/db?password=Zz9q")).toBe("postgresql://app@h:5432/db?password=***");
        expect(redactUrl("postgresql://h:5432/db")).toBe("postgresql://h:5432/db");
    });

    it("masks registered secrets also where JSON escaped them, the longest first", () => {
        registerSecret(`Qu"o\\te9`);
        registerSecret("Kw8");
        const line = JSON.stringify({ message: `auth Qu"o\\te9 failed`, short: "Kw8 stays" });
        expect(redact(line)).toBe(JSON.stringify({ message: "auth *** failed", short: "Kw8 stays" }));
        registerSecret("Mm7Nn6");
        registerSecret("Mm7Nn6Pp5");
        expect(redact("x Mm7Nn6Pp5 y")).toBe("x *** y");
    });
});
