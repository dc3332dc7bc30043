import { describe, expect, it } from "vitest";
import { cleanPreludeSql } from "../../src/postgres/clean.js";

describe("clean prelude", () => {
    it("empties every schema, extension, large object, publication and foreign server, then recreates a default public schema", () => {
        const plan = {
            schemas: ["ops", "public", 'we"ird'],
            extensions: ["citext"],
            foreignDataWrappers: ["own_fdw"],
            foreignServers: ["billing"],
            publications: ["to_analytics"],
            serverMajor: 15,
        };
        expect(cleanPreludeSql(plan).split("\n")).toEqual([
            "SET client_min_messages = warning;",
            'DROP EXTENSION IF EXISTS "citext" CASCADE;',
            'DROP FOREIGN DATA WRAPPER IF EXISTS "own_fdw" CASCADE;',
            'DROP SERVER IF EXISTS "billing" CASCADE;',
            'DROP PUBLICATION IF EXISTS "to_analytics";',
            'DROP SCHEMA IF EXISTS "ops" CASCADE;',
            'DROP SCHEMA IF EXISTS "public" CASCADE;',
            'DROP SCHEMA IF EXISTS "we""ird" CASCADE;',
            "SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;",
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner;",
            "GRANT USAGE ON SCHEMA public TO PUBLIC;",
            "SET client_min_messages = notice;",
            "",
        ]);
        expect(cleanPreludeSql({ schemas: [], extensions: [], foreignDataWrappers: [], foreignServers: [], publications: [], serverMajor: 13 })).toContain(
            "CREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\nGRANT CREATE ON SCHEMA public TO PUBLIC;",
        );
    });
});
