#!/usr/bin/env bash
# Loads a clone's own Neon project (staging) with SOURCE's data, anonymized on a private branch
# inside SOURCE's project before anything leaves it (docs/neon.md, Staging). Reads each stack's Neon
# API key from its settings and each project's id from its outputs, and refuses a target whose
# settings do not name SOURCE as the stack it is loaded from (neonRefreshFrom): prod never is one. The
# work is done by scripts/neonRefresh.ts, exec'd so that it is the process that receives SIGINT/SIGTERM.
set -euo pipefail

usage="usage: scripts/neon-refresh.sh --to NAME [--from prod] [--rules FILE]
  NAME's Neon project must exist (\`pulumi up --stack NAME\` creates it) and NAME's settings must say
  neonRefreshFrom: SOURCE (clone-stack sets it). Needs the Pulumi CLI, able to decrypt both stacks,
  ANONYMIZATION_KEY in the environment, and the anonymization CLI (npm run anonymize); --rules picks
  its rules file (default scripts/staging/anonymization.yaml)."

from="prod" to="" rules=()
while (($#)); do
    case "$1" in
        --from) from="${2:?--from needs a stack name}"; shift 2 ;;
        --to) to="${2:?--to needs a stack name}"; shift 2 ;;
        --rules) rules=(--rules "$(cd "$(dirname "${2:?--rules needs a file}")" && pwd)/$(basename "$2")"); shift 2 ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "unknown argument \"$1\"; allowed: --to, --from, --rules, --help" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done
if [[ -z "$to" ]]; then echo "$usage" >&2; exit 2; fi
if [[ "$to" == "$from" ]]; then echo "--to $to is the source stack; allowed: a clone" >&2; exit 2; fi
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
project="hotelgenius-ops"

# A refresh replaces the target's whole database: only a stack that names this source may be its target.
declared="$(pulumi config get --stack "$to" "$project:neonRefreshFrom" 2>/dev/null || true)"
if [[ "$declared" != "$from" ]]; then
    echo "stack $to's $project:neonRefreshFrom is \"$declared\"; allowed: \"$from\" for a refresh from $from. Only a clone whose settings" \
        "name its source may be overwritten (scripts/clone-stack.sh sets it; a protected stack such as prod refuses it)" >&2
    exit 2
fi
NEON_SOURCE_API_KEY="$(pulumi config get --stack "$from" "$project:neonApiKey")"
NEON_TARGET_API_KEY="$(pulumi config get --stack "$to" "$project:neonApiKey")"
export NEON_SOURCE_API_KEY NEON_TARGET_API_KEY
source_project="$(pulumi stack output --stack "$from" neonProjectId)"
target_project="$(pulumi stack output --stack "$to" neonProjectId)"
database="$(pulumi config get --stack "$from" "$project:backupDatabaseName" 2>/dev/null || echo neondb)"
owner="$(pulumi config get --stack "$from" "$project:neonOwnerRole" 2>/dev/null || echo neondb_owner)"
exec node --import "$repo_root/node_modules/tsx/dist/loader.mjs" "$repo_root/scripts/neonRefresh.ts" \
    --source-project "$source_project" --target-project "$target_project" --database "$database" --owner-role "$owner" "${rules[@]}"
