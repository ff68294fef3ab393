#!/usr/bin/env bash
# The whole Dockerfile built for real, every stage, on a machine that reaches no image
# registry (README, "Deploy"):
#
# 1. the local Debian base (as scripts/deploy-test.sh makes it), and stand-in `rust` and
#    `node` images made from this machine's own toolchain and Node (scripts/deploy/), passed
#    as the Dockerfile's RUST_IMAGE and NODE_IMAGE;
# 2. `docker build` of the working tree's tracked files: the web stage (npm ci, build), the
#    build stage (cargo build --release, which embeds the dashboard) and the runtime stage;
# 3. a one-line change to a source file, built again: the cargo registry and target caches
#    hold, so only the changed crate and what depends on it recompile;
# 4. the image runs `pulsar serve` as its non-root user and serves the dashboard;
# 5. its container removed, even on failure (the images and build cache are kept, as a
#    cache).
#
# Not part of the test command: the first build compiles every crate in release mode (about
# 6 minutes on 2 cores). Needs root, like scripts/deploy-test.sh.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
trap 'echo "    FAILED at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR

WORK=$(mktemp -d /tmp/pulsar-deploy-build.XXXXXX)
RUN=pulsar-deploy-build-$$
BASE_IMAGE=${PULSAR_DEPLOY_BASE:-pulsar-deploy/debian:bookworm}
RUST_STANDIN=pulsar-standin/rust:1.95
NODE_STANDIN=pulsar-standin/node:20
IMAGE=pulsar:$RUN
STARTED_DOCKERD=0
# shellcheck source=scripts/deploy/lib.sh
source scripts/deploy/lib.sh

cleanup() {
    local status=$?
    docker rm -f "$RUN" >/dev/null 2>&1 || true
    docker image rm "$IMAGE" >/dev/null 2>&1 || true
    if [ "$STARTED_DOCKERD" = 1 ]; then
        pkill -x dockerd 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

say "engine and base image"
ensure_engine
ensure_base_image

say "stand-in rust and node images, from this machine's toolchain and Node"
# Each carries this machine's extra CAs, as its own toolchain trusts them.
extra_cas() {
    mkdir -p "$1/ca"
    cp /usr/local/share/ca-certificates/*.crt "$1/ca/" 2>/dev/null || true
}
if ! docker image inspect "$RUST_STANDIN" >/dev/null 2>&1; then
    toolchain=$(dirname "$(dirname "$(rustup which rustc 2>/dev/null || command -v rustc)")")
    mkdir -p "$WORK/rust/toolchain"
    extra_cas "$WORK/rust"
    for part in bin lib libexec; do
        cp -al "$toolchain/$part" "$WORK/rust/toolchain/" 2>/dev/null \
            || cp -a "$toolchain/$part" "$WORK/rust/toolchain/"
    done
    docker build --quiet -f scripts/deploy/rust.Dockerfile --build-arg BASE="$BASE_IMAGE" \
        -t "$RUST_STANDIN" "$WORK/rust" >/dev/null
fi
check "$RUST_STANDIN: $(docker run --rm "$RUST_STANDIN" cargo --version)"
if ! docker image inspect "$NODE_STANDIN" >/dev/null 2>&1; then
    mkdir -p "$WORK/node"
    extra_cas "$WORK/node"
    cp "$(command -v node)" "$WORK/node/node"
    cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$WORK/node/npm"
    docker build --quiet -f scripts/deploy/node.Dockerfile --build-arg BASE="$BASE_IMAGE" \
        -t "$NODE_STANDIN" "$WORK/node" >/dev/null
fi
check "$NODE_STANDIN: node $(docker run --rm "$NODE_STANDIN" node --version), npm $(docker run --rm "$NODE_STANDIN" npm --version)"

# The working tree's tracked files, as a clone would have them, in a context of their own
# (the change in step 3 must not touch the working tree).
mkdir -p "$WORK/src"
git ls-files -z | tar --null -T - -c | tar -x -C "$WORK/src"
build() {
    local started=$SECONDS
    DOCKER_BUILDKIT=1 docker build --progress=plain \
        --build-arg RUST_IMAGE="$RUST_STANDIN" --build-arg NODE_IMAGE="$NODE_STANDIN" \
        --build-arg RUNTIME_IMAGE="$BASE_IMAGE" -t "$IMAGE" "$WORK/src" >"$WORK/$1.log" 2>&1 \
        || { tail -n 40 "$WORK/$1.log" >&2; fail "the $1 build failed"; }
    echo $((SECONDS - started))
}

say "docker build: every stage of the Dockerfile"
first=$(build first)
compiled=$(grep -c ' Compiling ' "$WORK/first.log" || true)
check "built $IMAGE in ${first} s: npm ci and the dashboard, then $compiled crates compiled"

say "a one-line source change, built again"
echo "// changed by scripts/deploy-build-test.sh" >>"$WORK/src/pulsar-server/src/main.rs"
second=$(build second)
recompiled=$(grep ' Compiling ' "$WORK/second.log" | sed -E 's/.* Compiling ([^ ]+) .*/\1/' | sort -u | tr '\n' ' ')
# Only the binary's own crate changed; a dependency compiled again means the caches failed.
[ "$(echo "$recompiled" | wc -w)" -le 2 ] || fail "the rebuild compiled $recompiled"
check "rebuilt in ${second} s (first: ${first} s), compiling only: $recompiled"

say "the image serves the dashboard"
PORT=$(free_port)
docker run -d --name "$RUN" --network host -e PULSAR_LISTEN="127.0.0.1:$PORT" \
    -e PULSAR_ADMIN_TOKEN=build-test -e PULSAR_METRICS_LISTEN="127.0.0.1:$(free_port)" \
    "$IMAGE" >/dev/null
wait_for 60 "pulsar serve answering" curl -sf "http://127.0.0.1:$PORT/healthz"
curl -sSf "http://127.0.0.1:$PORT/" | grep -q '<div id="root">' || fail "no dashboard in the image"
check "pulsar serve as uid $(docker exec "$RUN" id -u) serves the dashboard it was built with"

say "deploy build test passed"
