import { describe, expect, it } from "vitest";
import { whenAborted } from "../../src/process/abort.js";

describe("whenAborted", () => {
    it("runs at once for a signal that already aborted (no abort event would come)", () => {
        const controller = new AbortController();
        controller.abort(new Error("stop"));
        let calls = 0;
        whenAborted(controller.signal, () => calls++);
        expect(calls).toBe(1);
    });

    it("runs once when the signal aborts later, and not at all once the returned remover ran", () => {
        const later = new AbortController();
        let calls = 0;
        whenAborted(later.signal, () => calls++);
        expect(calls).toBe(0);
        later.abort();
        later.abort();
        expect(calls).toBe(1);

        const removed = new AbortController();
        let removedCalls = 0;
        whenAborted(removed.signal, () => removedCalls++)();
        removed.abort();
        expect(removedCalls).toBe(0);
    });
});
