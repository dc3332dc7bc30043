import { describe, expect, it } from "vitest";
import { TailHolder } from "../../src/storage/tail-holder.js";

describe("held tail", () => {
    it("passes everything but the last bytes, whatever the chunk sizes", async () => {
        const holder = new TailHolder(5);
        const out: Buffer[] = [];
        holder.on("data", (chunk: Buffer) => out.push(chunk));
        for (const piece of ["ab", "cdefgh", "i", "jklmnopqrstu", "v"]) holder.write(piece);
        holder.end();
        await new Promise((resolve) => holder.on("end", resolve));
        expect(Buffer.concat(out).toString()).toBe("abcdefghijklmnopq");
        expect(holder.tail.toString()).toBe("rstuv");
    });
});
