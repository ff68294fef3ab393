#!/usr/bin/env bash
# The dashboard's tests: generated code in step with the proto, types, unit tests, the
# production build, and the browser end to end (headless Chromium) against a real
# `pulsar serve`. Needs the debug `pulsar` binary, which `cargo test` builds first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> web: %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        step "installing chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "web: the browser tests need Debian's chromium (apt-get install chromium)" >&2
        exit 1
    fi
fi

step "dependencies"
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    npm --prefix web ci --no-audit --no-fund
fi

step "generated code matches the proto"
npm --prefix web run --silent check:gen

step "typecheck"
npm --prefix web run --silent typecheck

step "unit tests"
npm --prefix web test --silent

step "build"
npm --prefix web run --silent build
npm --prefix web run --silent size

step "end to end in chromium"
cargo build -p pulsar-server --locked --quiet
PULSAR_BIN="$PWD/target/debug/pulsar" npm --prefix web run --silent e2e
