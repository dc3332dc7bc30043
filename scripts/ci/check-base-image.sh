#!/usr/bin/env bash
# Run by the test workflow, where the registry is reachable (these machines cannot reach it): the job
# image's base is pinned by tag in job/Dockerfile; resolve that tag to its digest now, pull exactly
# that digest and check it runs the Node version of .nvmrc, the one the workflows test with.
set -euo pipefail
cd "$(dirname "$0")/../.."

image=$(sed -n 's/^ARG NODE_IMAGE=//p' job/Dockerfile)
if [[ ! $image =~ ^node:[0-9]+\.[0-9]+\.[0-9]+-[a-z]+(-slim)?$ ]]; then
    echo "job/Dockerfile: NODE_IMAGE '${image}' is not pinned by a full version tag (node:X.Y.Z-<debian>[-slim])" >&2
    exit 1
fi
digest=$(docker buildx imagetools inspect "$image" --format '{{json .Manifest.Digest}}' | tr -d '"')
if [[ ! $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "${image}: the registry answered '${digest}', not a sha256 digest" >&2
    exit 1
fi
version=$(docker run --rm "node@${digest}" node --version)
expected="v$(tr -d '[:space:]' < .nvmrc)"
if [[ $version != "$expected" ]]; then
    echo "${image} (${digest}) runs Node ${version}; .nvmrc says ${expected}" >&2
    exit 1
fi
echo "${image} resolves to ${digest} and runs Node ${version}, as .nvmrc says"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    echo "Job image base: \`${image}\` = \`node@${digest}\` (Node ${version})" >> "$GITHUB_STEP_SUMMARY"
fi
