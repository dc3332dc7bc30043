#!/usr/bin/env bash
# Seeds a non-production database (staging, a clone) from production's latest backup, anonymized
# BEFORE it gets there, by the rules in scripts/staging/anonymization.yaml: see
# docs/staging-anonymization.md, and --help for the options. The work is done by scripts/staging/seed.ts,
# exec'd so that it is the process that receives SIGINT/SIGTERM and drops its scratch database.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec node --import "$repo_root/node_modules/tsx/dist/loader.mjs" "$repo_root/scripts/staging/seed.ts" "$@"
