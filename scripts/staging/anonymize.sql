-- Replaces guests' personal data with stable fakes in a restored copy of production, before that copy
-- reaches staging (scripts/seed-staging-data.sh). Run with psql in one transaction:
--
--   ANONYMIZATION_KEY=... psql "$SCRATCH_URL" -X -v ON_ERROR_STOP=1 --single-transaction -f scripts/staging/anonymize.sql
--
-- psql 15 or newer (\getenv). The key comes from the environment, not the command line, so `ps` never shows it.
--
-- Columns are found by name in every table, so a column the app adds later under a usual name is
-- covered without editing this file: emails, guest names, phone numbers, payment references.
-- "Stable": one original value always becomes the same fake under the same key, so a guest's email
-- still matches across tables and unique constraints hold. The key keeps the fakes from being
-- reversed by hashing a guessed email; without the key a fake cannot be linked to a person.
\getenv anonymization_key ANONYMIZATION_KEY
\if :{?anonymization_key}
\else
    DO $$ BEGIN RAISE EXCEPTION 'ANONYMIZATION_KEY is not set; allowed: at least 16 random characters (the same key gives the same fakes on every reseed)'; END $$;
\endif
SELECT set_config('anonymize.key', :'anonymization_key', false);

-- The fakes. NULL stays NULL; pg_temp functions vanish with the session and are called schema-qualified.
CREATE FUNCTION pg_temp.fake_digest(kind text, value text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT md5(current_setting('anonymize.key') || ':' || kind || ':' || value) $$;
CREATE FUNCTION pg_temp.anonymize_email(value text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT 'guest-' || left(pg_temp.fake_digest('email', lower(value)), 16) || '@example.invalid' $$;
CREATE FUNCTION pg_temp.anonymize_name(value text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT 'Guest ' || upper(left(pg_temp.fake_digest('name', value), 8)) $$;
-- +999 is not assigned to any country: a fake number can never ring a real phone.
CREATE FUNCTION pg_temp.anonymize_phone(value text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT '+999' || lpad((('x' || left(pg_temp.fake_digest('phone', value), 12))::bit(48)::bigint % 1000000000)::text, 9, '0') $$;
CREATE FUNCTION pg_temp.anonymize_payment(value text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT 'PAYREF-' || upper(left(pg_temp.fake_digest('payment', value), 16)) $$;

DO $anonymize$
DECLARE
    key text := current_setting('anonymize.key');
    target record;
    changed bigint;
    leftover bigint;
BEGIN
    IF length(key) < 16 THEN
        RAISE EXCEPTION 'anonymization_key is % characters long; allowed: at least 16 random characters', length(key);
    END IF;

    CREATE TEMP TABLE personal_columns ON COMMIT DROP AS
    SELECT c.oid AS relid, format('%I.%I', n.nspname, c.relname) AS table_name, a.attname AS column_name,
        CASE
            WHEN a.attname ~* '(^|_)e_?mail(_address)?$' THEN 'email'
            WHEN a.attname ~* '(^|_)(phone|mobile|telephone|tel|fax)(_number)?$' THEN 'phone'
            WHEN a.attname ~* '^(payment_(ref|reference|id|intent_id|method_id)|transaction_(ref|reference|id)|iban|charge_id|stripe_[a-z_]*id)$' THEN 'payment'
            WHEN a.attname ~* '^(full_name|first_name|last_name|given_name|family_name|surname|middle_name|guest_name|holder_name|card_?holder(_name)?|contact_name)$'
                OR (a.attname = 'name' AND c.relname ~* '(guest|customer|person|contact|travel+er)') THEN 'name'
        END AS kind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        AND (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END) IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype);
    DELETE FROM personal_columns WHERE kind IS NULL;

    FOR target IN SELECT table_name, relid, string_agg(format('%1$I = pg_temp.anonymize_%2$s(%1$I)', column_name, kind), ', ') AS assignments
                  FROM personal_columns GROUP BY table_name, relid ORDER BY table_name LOOP
        -- Triggers (audit logs, updated_at) must not record the anonymization as guests' own changes.
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', target.table_name);
        EXECUTE format('UPDATE %s SET %s', target.table_name, target.assignments);
        GET DIAGNOSTICS changed = ROW_COUNT;
        EXECUTE format('ALTER TABLE %s ENABLE TRIGGER USER', target.table_name);
        RAISE NOTICE 'anonymized % rows of % (%)', changed, target.table_name, target.assignments;
    END LOOP;

    -- Self-check: every email column now holds only fakes.
    FOR target IN SELECT table_name, column_name FROM personal_columns WHERE kind = 'email' LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE %I IS NOT NULL AND %I !~ ''^guest-[0-9a-f]{16}@example[.]invalid$''',
            target.table_name, target.column_name, target.column_name) INTO leftover;
        IF leftover > 0 THEN
            RAISE EXCEPTION '% rows of %.% still hold a real-looking email after anonymization', leftover, target.table_name, target.column_name;
        END IF;
    END LOOP;
END
$anonymize$;
