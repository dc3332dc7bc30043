#!/usr/bin/env bash
# Back up a database by hand: what this script always did (DATABASE_URL into ./backups), now done by
# the backup job's `backup` command (streamed, checksummed, manifest written last, exit codes).
set -euo pipefail

usage="usage: scripts/backup-db.sh [--database-url URL] [--to s3://BUCKET/PREFIX | file://DIR] [--name NAME] [other backup options]
  The database comes from --database-url or DATABASE_URL; the target from --to or BACKUP_TARGET,
  else ./backups under the current directory. Relative file:// targets resolve against the
  current directory too. Exit codes: see \`node_modules/.bin/backup-job --help\`."

for arg in "$@"; do
    case "$arg" in
        -h|--help) echo "$usage"; exit 0 ;;
    esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# exec: the job replaces this shell, so a SIGTERM sent to the script reaches the job itself. It runs
# in the caller's directory, where the default file://./backups and any relative file:// target resolve.
exec "$repo_root/node_modules/.bin/backup-job" backup "$@"
