#!/usr/bin/env bash
# Creates a non-production stack from another one (prod by default): the same settings, minus the
# source's secrets and ESC environments, plus the non-production overrides of scripts/cloneStack.ts
# (deletable data, GOVERNANCE lock of one day, shorter retention, its own alert recipients). When the
# source manages a Neon project, the clone gets its own (docs/neon.md, Staging) and its own Neon API
# key is asked for; otherwise its own database URL. Either is stored as a secret; the source's is never copied.
set -euo pipefail

usage="usage: scripts/clone-stack.sh NAME [--from prod] [--alert-email ADDRESS]... [--health-check-url URL]
       scripts/clone-stack.sh NAME --refresh [--rules FILE]
  Creates stack NAME with \`pulumi stack init NAME --copy-config-from SOURCE\`, then rewrites
  Pulumi.NAME.yaml through scripts/cloneStack.ts and asks, read without echo, for NAME's own Neon API
  key when SOURCE manages a Neon project (CLONE_NEON_API_KEY answers it; NAME's project is created by
  its first \`pulumi up\` and loaded by scripts/neon-refresh.sh), else for NAME's own database URL
  (CLONE_DATABASE_URL answers it).
  Refuses a NAME that already exists. Needs the Pulumi CLI, logged in, able to decrypt SOURCE.
  Alert recipients: --alert-email (repeatable), else asked for; never the source's.
  The clone's app health URL (its uptime check): --health-check-url, else asked for.
  --refresh reloads an existing Neon clone's data from the stack its settings name (neonRefreshFrom):
  scripts/neon-refresh.sh --from THAT --to NAME [--rules FILE] (docs/neon.md, Staging)."

name="" from="prod" alert_emails=() health_url="" refresh=false rules=()
while (($#)); do
    case "$1" in
        --refresh) refresh=true; shift ;;
        --rules) rules=(--rules "${2:?--rules needs a file}"); shift 2 ;;
        --from) from="${2:?--from needs a stack name}"; shift 2 ;;
        --alert-email) alert_emails+=("${2:?--alert-email needs an address}"); shift 2 ;;
        --health-check-url) health_url="${2:?--health-check-url needs a URL}"; shift 2 ;;
        -h|--help) echo "$usage"; exit 0 ;;
        -*) echo "unknown option \"$1\"; allowed: --from, --alert-email, --health-check-url, --refresh, --rules, --help" >&2; echo "$usage" >&2; exit 2 ;;
        *) if [[ -n "$name" ]]; then echo "one stack name only; got \"$name\" and \"$1\"" >&2; exit 2; fi; name="$1"; shift ;;
    esac
done
if [[ -z "$name" ]]; then echo "$usage" >&2; exit 2; fi
if [[ "$name" == "$from" ]]; then echo "stack name \"$name\" is the source stack; allowed: a new name" >&2; exit 2; fi

if ((${#rules[@]})) && ! $refresh; then echo "--rules goes with --refresh only" >&2; exit 2; fi
if $refresh; then
    # The clone exists: its settings say which stack's data, anonymized, loads its Neon project.
    rules_args=()
    if ((${#rules[@]})); then rules_args=(--rules "$(cd "$(dirname "${rules[1]}")" && pwd)/$(basename "${rules[1]}")"); fi
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    source_stack="$(sed -nE 's/^  (hotelgenius-ops:)?neonRefreshFrom: *"?([a-z0-9-]+)"? *$/\2/p' "Pulumi.$name.yaml" 2>/dev/null || true)"
    if [[ -z "$source_stack" ]]; then
        echo "Pulumi.$name.yaml names no neonRefreshFrom; allowed: --refresh for a clone of a Neon-managed stack, whose settings name its" \
            "source (scripts/clone-stack.sh sets it). A clone not on Neon is seeded by scripts/seed-staging-data.sh" >&2
        exit 2
    fi
    exec scripts/neon-refresh.sh --from "$source_stack" --to "$name" "${rules_args[@]}"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The name the program would refuse (its physical names derive from it), refused before anything else.
npx --no-install tsx scripts/cloneStack.ts --check-name "$name"
project="hotelgenius-ops"
command -v pulumi >/dev/null || { echo "the Pulumi CLI is not on PATH: https://www.pulumi.com/docs/install/" >&2; exit 2; }

# Refuse before touching anything: a settings file or a stack of that name, in this backend.
if [[ -e "Pulumi.$name.yaml" ]]; then
    echo "Pulumi.$name.yaml already exists: refusing to overwrite stack $name" >&2
    if git ls-files --error-unmatch "Pulumi.$name.yaml" >/dev/null 2>&1; then
        if grep -Eq "^  ($project:)?neonRefreshFrom: *[^ ]" "Pulumi.$name.yaml"; then
            echo "It is committed (already $from plus the overrides): create the stack from it with \`pulumi stack init $name\`, give it" \
                "its own Neon API key (its ESC environment, or \`pulumi config set --secret --stack $name $project:neonApiKey\`), \`pulumi up\`," \
                "then load its data with \`scripts/clone-stack.sh $name --refresh\`." >&2
        else
            echo "It is committed (already $from plus the overrides): create the stack from it with \`pulumi stack init $name\`," \
                "then give it its database URL (its ESC environment, or \`pulumi config set --secret --stack $name $project:databaseUrl\`)." >&2
        fi
    fi
    exit 3
fi
if pulumi stack ls --json | STACK="$name" node -e '
const stacks = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.exit(stacks.some((stack) => stack.name === process.env.STACK || stack.name.endsWith("/" + process.env.STACK)) ? 0 : 1);
'; then
    echo "stack $name already exists in $(pulumi whoami --verbose 2>/dev/null | sed -n 's/^Backend URL: //p' || echo 'this backend'): refusing to overwrite it" >&2
    exit 3
fi

if ((${#alert_emails[@]} == 0)); then
    read -r -p "Alert email(s) for $name, space-separated (not $from's on-call): " -a alert_emails
fi
if [[ -z "$health_url" ]]; then
    read -r -p "Health URL of $name's app (https://...; not $from's): " health_url
fi
# A source that manages its Neon project hands the clone a project of its own: what the clone needs is a key, not a URL.
if grep -Eq "^  ($project:)?neonProjectName: *[^ ]" "Pulumi.$from.yaml" 2>/dev/null; then
    secret_key="$project:neonApiKey" secret_what="Neon API key" secret_value="${CLONE_NEON_API_KEY:-}"
    prompt="Neon API key for $name (a key of $name's own Neon project or organization, never $from's): "
else
    secret_key="$project:databaseUrl" secret_what="database URL" secret_value="${CLONE_DATABASE_URL:-}"
    prompt="Database URL for $name (postgresql://...; its own database, never $from's): "
fi
if [[ -z "$secret_value" ]]; then
    read -r -s -p "$prompt" secret_value
    echo >&2
fi
if [[ -z "$secret_value" ]]; then echo "no $secret_what given for $name" >&2; exit 2; fi
# The source's value, when readable, must not be the clone's: the same key acts on the source's Neon project;
# the same host and database is the same data.
source_value="$(pulumi config get --stack "$from" "$secret_key" 2>/dev/null || true)"
if [[ -n "$source_value" ]] && SOURCE_VALUE="$source_value" CLONE_VALUE="$secret_value" node -e '
const key = (text) => { try { const url = new URL(text); return url.hostname.toLowerCase() + url.pathname; } catch { return text; } };
process.exit(key(process.env.SOURCE_VALUE) === key(process.env.CLONE_VALUE) ? 0 : 1);
'; then
    if [[ "$secret_what" == "database URL" ]]; then
        echo "the database URL given for $name points at $from's database (same host and database): refusing" >&2
    else
        echo "the Neon API key given for $name is $from's: it would let $name act on $from's project; refusing" >&2
    fi
    exit 3
fi

clone_args=()
for email in "${alert_emails[@]}"; do clone_args+=(--alert-email "$email"); done
clone_args+=(--health-check-url "$health_url")
# Check the options before creating anything: cloneStack.ts validates them on a scratch copy.
scratch="$(mktemp)"
trap 'rm -f "$scratch"' EXIT
printf 'config: {}\n' > "$scratch"
npx --no-install tsx scripts/cloneStack.ts --file "$scratch" --stack "$name" --from "$from" "${clone_args[@]}" >/dev/null

pulumi stack init "$name" --copy-config-from "$from" --no-select
summary="$(npx --no-install tsx scripts/cloneStack.ts --file "Pulumi.$name.yaml" --stack "$name" --from "$from" "${clone_args[@]}" --json)"
printf '%s' "$secret_value" | pulumi config set --stack "$name" --secret "$secret_key"

others="$(SUMMARY="$summary" KEY="$secret_key" node -e '
const { secretsToSet } = JSON.parse(process.env.SUMMARY);
console.log(secretsToSet.filter((key) => key !== process.env.KEY).join(" "));
')"
if [[ "$secret_what" == "database URL" ]]; then
    seed="scripts/seed-staging-data.sh --from s3://<$from backupBucketName>/postgres --database-url <$name database URL> --scratch-url <trusted server>"
else
    seed="scripts/clone-stack.sh $name --refresh   # $name's Neon project, loaded with $from's data anonymized on a private branch (again at will)"
fi
cat <<NEXT
Created stack $name from $from (settings: Pulumi.$name.yaml; its $secret_what is stored as a secret).
${others:+Also set these secrets for $name (they were not copied): $others
}Next:
  npm run plan -- --stack $name                 # offline: what $name would create
  scripts/preview.sh $name                      # real preview with the policy pack (needs AWS credentials)
  pulumi up --stack $name
  $seed
  git add Pulumi.$name.yaml && git commit       # the settings file holds no plain secret
NEXT
