import type { Manifest } from "../../src/storage/manifest.js";

/** A valid manifest of one small backup; `overrides` replace any field. */
export function sampleManifest(overrides: Partial<Manifest> = {}): Manifest {
    const id = overrides.id ?? "hotel_20261124T030000Z";
    return {
        manifestVersion: 1,
        id,
        name: "hotel",
        database: "hotel",
        serverVersion: "15.18 (Debian 15.18-0+deb12u1)",
        serverMajor: "15",
        pgDumpVersion: "pg_dump (PostgreSQL) 15.18",
        pgDumpMajor: "15",
        format: "custom",
        compression: { algorithm: "zstd", level: 3 },
        dump: `dumps/${id}.pgdump.zst`,
        bytes: 1234,
        sha256: "a".repeat(64),
        startedAt: "2026-11-24T03:00:00.000Z",
        finishedAt: "2026-11-24T03:00:05.000Z",
        durationSeconds: 5,
        tables: [{ schema: "public", name: "guests", rows: 3 }],
        largeObjects: 0,
        tool: { name: "@hotelgenius/backup-job", version: "0.1.0" },
        ...overrides,
    };
}
