#!/usr/bin/env bash
# The one test command (README): prepares a fresh Debian machine, then type-checks, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v pg_dump >/dev/null 2>&1 || need_packages+=(postgresql-client)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_packages+=(postgresql)
command -v zstd >/dev/null 2>&1 || need_packages+=(zstd)
if ((${#need_packages[@]})); then
    echo "installing from Debian: ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_packages[@]}"
fi

npm run --silent setup
npm run --silent typecheck
# One formatter and linter for the whole tree (biome.json): a formatting or lint finding fails the run.
npm run --silent lint

# The JSON report lets this script end on one plain "N passed, N failed" line that any CI can read.
report_dir="$(mktemp -d)"
trap 'rm -rf "$report_dir"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report_dir/report.json" || status=$?
node -e '
const r = require(process.argv[1]);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report_dir/report.json" || true
exit "$status"
