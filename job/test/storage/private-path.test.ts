import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { judgeRealPath, otherWriter, type PathEntry } from "../../src/storage/private-path.js";

const FILE = 0o100000;
const DIR = 0o040000;
const JOB = 1000;
const NOBODY = 65534;

/** The dump, its folder, and "/" above it: [owner, mode] for each. */
function chain(file: [number, number], folder: [number, number], root: [number, number] = [0, DIR | 0o755]): PathEntry[] {
    return [
        { path: "/b/dump", uid: file[0], mode: file[1] },
        { path: "/b", uid: folder[0], mode: folder[1] },
        { path: "/", uid: root[0], mode: root[1] },
    ];
}

describe("otherWriter: who besides root and the job's uid could change the dump", () => {
    it.each([
        ["root's file in root's folders", chain([0, FILE | 0o644], [0, DIR | 0o755]), undefined],
        ["the job's own file and folder", chain([JOB, FILE | 0o600], [JOB, DIR | 0o700]), undefined],
        ["a sticky folder writable by all (/tmp) above the job's folder", chain([JOB, FILE | 0o644], [JOB, DIR | 0o755], [0, DIR | 0o1777]), undefined],
        [
            "a sticky folder owned by another uid",
            chain([JOB, FILE | 0o644], [NOBODY, DIR | 0o1777]),
            "folder /b is owned by uid 65534, neither root nor this job's uid 1000",
        ],
        [
            "a sticky folder holding another uid's dump",
            chain([NOBODY, FILE | 0o644], [0, DIR | 0o1777]),
            "dump /b/dump is owned by uid 65534, neither root nor this job's uid 1000",
        ],
        ["a folder writable by group", chain([0, FILE | 0o644], [0, DIR | 0o775]), "folder /b is writable by group"],
        ["a folder writable by others", chain([0, FILE | 0o644], [0, DIR | 0o757]), "folder /b is writable by others"],
        ['"/" writable by group and others', chain([0, FILE | 0o644], [0, DIR | 0o755], [0, DIR | 0o777]), "folder / is writable by group and others"],
        ["a dump writable by group", chain([0, FILE | 0o664], [0, DIR | 0o755]), "dump /b/dump is writable by group"],
        // The sticky bit means nothing on a file: a file others may write is theirs to change.
        ["a sticky dump writable by others", chain([0, FILE | 0o1646], [0, DIR | 0o755]), "dump /b/dump is writable by others"],
        [
            "a dump owned by another uid",
            chain([NOBODY, FILE | 0o600], [0, DIR | 0o755]),
            "dump /b/dump is owned by uid 65534, neither root nor this job's uid 1000",
        ],
        [
            "a folder owned by another uid",
            chain([0, FILE | 0o600], [NOBODY, DIR | 0o755]),
            "folder /b is owned by uid 65534, neither root nor this job's uid 1000",
        ],
        ["a FIFO in place of the dump", chain([0, 0o010000 | 0o600], [0, DIR | 0o755]), "dump /b/dump is not a regular file"],
        [
            "a symbolic link where a folder was judged",
            chain([0, FILE | 0o600], [0, 0o120000 | 0o777]),
            "folder /b is not a directory (it changed while it was checked)",
        ],
    ] as const)("%s", (_what, entries, expected) => {
        expect(otherWriter(entries, JOB)).toBe(expected);
    });

    it("the job's uid counts only for the job: the same chain judged for another uid is refused", () => {
        const own = chain([JOB, FILE | 0o600], [JOB, DIR | 0o700]);
        expect(otherWriter(own, JOB)).toBeUndefined();
        expect(otherWriter(own, 2000)).toBe("dump /b/dump is owned by uid 1000, neither root nor this job's uid 2000");
    });
});

describe("judgeRealPath on real files", () => {
    const work = mkdtempSync(join(tmpdir(), "job-private-path-"));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    const uid = process.geteuid!();

    it("follows symbolic links and judges where they lead, component by component", async () => {
        const real = join(work, "real");
        mkdirSync(real, { mode: 0o755 });
        writeFileSync(join(real, "dump"), "x", { mode: 0o644 });
        symlinkSync(real, join(work, "link"));
        expect(await judgeRealPath(join(work, "link", "dump"), uid)).toEqual({ real: join(real, "dump"), otherWriter: undefined });
        chmodSync(real, 0o775);
        expect(await judgeRealPath(join(work, "link", "dump"), uid)).toEqual({ real: join(real, "dump"), otherWriter: `folder ${real} is writable by group` });
    });

    it.runIf(uid === 0)("a dump chowned to nobody is judged by its owner", async () => {
        const dir = join(work, "chowned");
        mkdirSync(dir, { mode: 0o755 });
        writeFileSync(join(dir, "dump"), "x", { mode: 0o644 });
        chownSync(join(dir, "dump"), NOBODY, NOBODY);
        expect((await judgeRealPath(join(dir, "dump"), uid)).otherWriter).toBe(
            `dump ${join(dir, "dump")} is owned by uid ${NOBODY}, neither root nor this job's uid 0`,
        );
    });

    it("a missing dump rejects (the caller then runs the pass and reports the read)", async () => {
        await expect(judgeRealPath(join(work, "missing"), uid)).rejects.toMatchObject({ code: "ENOENT" });
    });
});
