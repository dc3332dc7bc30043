#!/usr/bin/env bash
# The one test command (README): prepares a fresh Debian machine, then type-checks and runs every test.
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
npx vitest run
