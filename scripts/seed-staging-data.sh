#!/usr/bin/env bash
# Seeds a non-production database (staging, a clone) from production's latest backup, anonymized
# BEFORE it gets there: the backup is restored into a scratch database on a server you trust,
# scripts/staging/anonymize.sql replaces guests' personal data with stable fakes, and only that
# anonymized copy is backed up and restored into the target. Raw production data never reaches it.
set -euo pipefail

usage="usage: scripts/seed-staging-data.sh --from s3://PROD-BUCKET/PREFIX --database-url TARGET_URL --scratch-url SERVER_URL [--name NAME] [--backup ID|latest] [--clean]
  --from          where production's backups are (the prod stack's output backupBucketName + /postgres)
  --database-url  the database to seed (staging's own; never production's)
  --scratch-url   a database on a server you trust (e.g. postgresql://localhost/postgres), role with CREATEDB:
                  a scratch database is created there for the raw restore and dropped at the end
  --name          backup name to seed from (the prod stack's backupDatabaseName); needed for latest when
                  the bucket holds the backups of several databases (the job then refuses, exit 2)
  --backup        backup id to seed from (default: latest, the newest backup of --name)
  --clean         replace the target's contents (without it, a non-empty target is refused, exit 9)
  ANONYMIZATION_KEY (environment): at least 16 characters; the same key gives the same fakes on every
  reseed. Without it a random key is used for this run. Needs psql 15+ and the backup job's tools."

from="" target="" scratch="" backup="latest" clean=() name=()
while (($#)); do
    case "$1" in
        --from) from="${2:?--from needs a value}"; shift 2 ;;
        --database-url) target="${2:?--database-url needs a value}"; shift 2 ;;
        --scratch-url) scratch="${2:?--scratch-url needs a value}"; shift 2 ;;
        --name) name=(--name "${2:?--name needs a value}"); shift 2 ;;
        --backup) backup="${2:?--backup needs a value}"; shift 2 ;;
        --clean) clean=(--clean); shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "unknown option \"$1\"; allowed: --from, --database-url, --scratch-url, --name, --backup, --clean" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done
missing=()
[[ -n "$from" ]] || missing+=(--from)
[[ -n "$target" ]] || missing+=(--database-url)
[[ -n "$scratch" ]] || missing+=(--scratch-url)
if ((${#missing[@]})); then echo "missing ${missing[*]}" >&2; echo "$usage" >&2; exit 2; fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
job() { npm --prefix "$repo_root" run --silent backup-job -- "$@"; }

if [[ -z "${ANONYMIZATION_KEY:-}" ]]; then
    ANONYMIZATION_KEY="$(head -c 24 /dev/urandom | base64 | tr -d '\n')"
    echo "ANONYMIZATION_KEY not set: using a random key for this run (fakes differ from the previous seed)" >&2
fi
export ANONYMIZATION_KEY

# The scratch database's URL: the server of --scratch-url, a fresh database name. Built in node so
# that passwords and special characters in the URL survive; passed through the environment, not argv.
scratch_db="seed_anonymize_$(date -u +%Y%m%d%H%M%S)_$$"
scratch_db_url="$(SCRATCH_URL="$scratch" SCRATCH_DB="$scratch_db" node -e '
const url = new URL(process.env.SCRATCH_URL);
if (!/^postgres(ql)?:$/.test(url.protocol)) { console.error(`--scratch-url must be a postgres:// URL, not ${url.protocol}//...`); process.exit(2); }
url.pathname = "/" + process.env.SCRATCH_DB;
console.log(url.href);
')"

work_dir="$(mktemp -d)"
cleanup() {
    psql "$scratch" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$scratch_db\" WITH (FORCE)" >/dev/null ||
        echo "could not drop scratch database $scratch_db; drop it by hand" >&2
    rm -rf "$work_dir"
}
trap cleanup EXIT

echo "1/4 restoring $from ($backup) into scratch database $scratch_db" >&2
# template0: nothing added to template1 on that server can collide with the restored objects.
psql "$scratch" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$scratch_db\" TEMPLATE template0"
job restore --from "$from" ${name[@]+"${name[@]}"} --backup "$backup" --database-url "$scratch_db_url" >&2

echo "2/4 anonymizing (scripts/staging/anonymize.sql)" >&2
psql "$scratch_db_url" -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$repo_root/scripts/staging/anonymize.sql" >&2

echo "3/4 backing up the anonymized copy" >&2
job backup --database-url "$scratch_db_url" --to "file://$work_dir" --name anonymized >&2

echo "4/4 restoring the anonymized copy into the target" >&2
job restore --from "file://$work_dir" --name anonymized --backup latest --database-url "$target" ${clean[@]+"${clean[@]}"} >&2
echo "seeded the target with an anonymized copy of $from ($backup)"
