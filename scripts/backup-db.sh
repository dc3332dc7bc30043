#!/usr/bin/env bash
# Back up a database by hand: what this script always did (DATABASE_URL into ./backups), now done by
# the backup job's `backup` command (streamed, checksummed, manifest written last, exit codes).
set -euo pipefail

usage="usage: scripts/backup-db.sh [--database-url URL] [--to s3://BUCKET/PREFIX | file://DIR] [--name NAME] [other backup options]
  The database comes from --database-url or DATABASE_URL; the target from --to or BACKUP_TARGET,
  else ./backups under the current directory. Relative file:// targets given with --to resolve
  against the repository root (npm runs there). Exit codes: see \`npm run backup-job -- --help\`."

for arg in "$@"; do
    case "$arg" in
        -h|--help) echo "$usage"; exit 0 ;;
    esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

target_args=()
has_target=false
for arg in "$@"; do
    case "$arg" in
        --to|--to=*) has_target=true ;;
    esac
done
if [[ "$has_target" == false && -z "${BACKUP_TARGET:-}" ]]; then
    # npm runs the job from the repository root: pin ./backups to the caller's directory, as before.
    target_args=(--to "file://$PWD/backups")
fi

exec npm --prefix "$repo_root" run --silent backup-job -- backup ${target_args[@]+"${target_args[@]}"} "$@"
