#!/usr/bin/env bash
# By hand, what the pull-request workflow runs: `pulumi preview --diff` of one stack with the policy
# pack (.github/workflows/preview.yml). Extra arguments go to `pulumi preview` (e.g. --save-plan FILE,
# which needs PULUMI_EXPERIMENTAL=true, as in CI).
set -euo pipefail

usage="usage: scripts/preview.sh STACK [pulumi preview options]
  Needs the Pulumi CLI (logged in) and AWS credentials that can read the stack's account.
  Installs the program's and the policy pack's dependencies first when they are missing."
if (($# == 0)); then echo "$usage" >&2; exit 2; fi
case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
esac
stack="$1"; shift

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v pulumi >/dev/null || { echo "the Pulumi CLI is not on PATH: https://www.pulumi.com/docs/install/" >&2; exit 2; }
[[ -d node_modules ]] || npm ci --no-audit --no-fund
# The policy pack is its own package: `--policy-pack policy` runs it from policy/node_modules.
[[ -d policy/node_modules ]] || npm ci --prefix policy --no-audit --no-fund

exec pulumi preview --stack "$stack" --diff --policy-pack policy "$@"
