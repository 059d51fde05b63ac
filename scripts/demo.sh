#!/usr/bin/env bash
# The main job on a workspace (default: the bundled example): check both stacks and the seam
# between them, plan the foundation offline, render every app, then deploy the apps to a local
# Cloud Run emulator. Nothing here needs credentials or a Google Cloud project.
set -euo pipefail

WORKSPACE="${1:-examples/data-platform}"
ENVIRONMENT="${ENVIRONMENT:-sandbox}"
VERSION="${VERSION:-v0.1.0}"
RENDERED="$(mktemp -d)"
trap 'rm -rf "$RENDERED"' EXIT

step() { printf '\n=== %s\n' "$*"; }

step "polyinfra check $WORKSPACE"
polyinfra check "$WORKSPACE"

step "polyinfra plan --stack $ENVIRONMENT (offline, under Pulumi mocks)"
polyinfra plan -w "$WORKSPACE" --stack "$ENVIRONMENT"

step "polyinfra render --env $ENVIRONMENT --version $VERSION"
polyinfra render -w "$WORKSPACE" --env "$ENVIRONMENT" --version "$VERSION" --out "$RENDERED"
find "$RENDERED" -type f | sort

step "polyinfra deploy --all --env $ENVIRONMENT to a LOCAL EMULATOR of the Cloud Run Admin API (not Google Cloud)"
polyinfra deploy -w "$WORKSPACE" --all --env "$ENVIRONMENT" --version "$VERSION" --emulator
