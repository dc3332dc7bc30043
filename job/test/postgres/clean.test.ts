import { describe, expect, it } from "vitest";
import { cleanPreludeSql } from "../../src/postgres/clean.js";

describe("clean prelude", () => {
    it("empties every schema, extension and large object, then recreates a default public schema", () => {
        expect(cleanPreludeSql({ schemas: ["ops", "public", 'we"ird'], extensions: ["citext"], serverMajor: 15 }).split("\n")).toEqual([
            "SET client_min_messages = warning;",
            'DROP EXTENSION IF EXISTS "citext" CASCADE;',
            'DROP SCHEMA IF EXISTS "ops" CASCADE;',
            'DROP SCHEMA IF EXISTS "public" CASCADE;',
            'DROP SCHEMA IF EXISTS "we""ird" CASCADE;',
            "SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;",
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner;",
            "GRANT USAGE ON SCHEMA public TO PUBLIC;",
            "SET client_min_messages = notice;",
            "",
        ]);
        expect(cleanPreludeSql({ schemas: [], extensions: [], serverMajor: 13 })).toContain(
            "CREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\nGRANT CREATE ON SCHEMA public TO PUBLIC;",
        );
    });
});
