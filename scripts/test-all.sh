#!/usr/bin/env bash
# Every test Pulsar has, in the order that fails fastest: the Rust workspace, then the
# dashboard (see scripts/test-web.sh), then the reference deploy in Docker (see
# scripts/deploy-test.sh). README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "services"
bash scripts/services.sh

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
cargo test --workspace --locked

step "web"
bash scripts/test-web.sh

step "deploy"
bash scripts/deploy-test.sh
