#!/usr/bin/env bash
# By hand, what the nightly drift workflow runs (.github/workflows/drift.yml): does STACK (default
# prod) in the cloud still match the code? `preview --refresh --expect-no-changes` reads the real
# resources and writes no state; it exits non-zero and shows the diff when anything differs.
# `account` is the account program's stack (bootstrap/), checked from its own directory.
set -euo pipefail

usage="usage: scripts/drift-check.sh [STACK]   (default: prod; account: the account program, bootstrap/)
  Exit 0: the cloud matches the code. Non-zero: drift (the diff is printed) or the check failed.
  Needs the Pulumi CLI (logged in) and AWS credentials that can read the stack's account;
  for account also GITHUB_TOKEN, a token that can read the repository's settings (docs/account.md)."
case "${1:-}" in
    -h|--help) echo "$usage"; exit 0 ;;
esac
stack="${1:-prod}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v pulumi >/dev/null || { echo "the Pulumi CLI is not on PATH: https://www.pulumi.com/docs/install/" >&2; exit 2; }
[[ -d node_modules ]] || npm ci --no-audit --no-fund
[[ -d policy/node_modules ]] || npm ci --prefix policy --no-audit --no-fund

policy_pack=policy
if [[ $stack == account ]]; then
    cd bootstrap
    policy_pack=../policy
fi
exec pulumi preview --stack "$stack" --refresh --expect-no-changes --diff --policy-pack "$policy_pack"
