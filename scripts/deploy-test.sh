#!/usr/bin/env bash
# The reference deploy, built and run for real on this machine (README, "Deploy"):
#
# 1. a Debian base image made from Debian's packages (debootstrap minbase, docker import),
#    kept by the engine between runs;
# 2. the Dockerfile's runtime stage built from that base, with the binary (and the dashboard
#    it embeds) built here, so the Dockerfile stays the one users build;
# 3. `migrate`, `api` and two `worker`s from that image against this machine's PostgreSQL
#    and Redis (host network), each worker with the host's /proc, /sys and / read-only:
#    the API is healthy, monitors against a target served here get results from both
#    workers, both report this host's numbers, everything runs as non-root, and `docker
#    stop` ends each one with exit code 0 and no task left unfinished; then the image's
#    default command (`serve`) on a volume, kept across containers;
# 4. docker-compose.yml validated with `docker-compose config`, then brought up whole, with
#    stand-in PostgreSQL and Redis images built from the same base (no registry is
#    reachable here), serving the dashboard and checking with both workers;
# 5. every container, network and volume it made removed, even on failure.
#
# Needs root (it installs the engine from Debian's packages when missing and starts
# dockerd). Locally it reports itself skipped where it cannot run; in CI (CI=true) it fails.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
trap 'echo "    FAILED at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR

WORK=$(mktemp -d /tmp/pulsar-deploy-test.XXXXXX)
RUN=pulsar-deploy-test-$$
LABEL=pulsar-deploy-test
BASE_IMAGE=${PULSAR_DEPLOY_BASE:-pulsar-deploy/debian:bookworm}
IMAGE=pulsar:$RUN
DB=pulsar_deploy_test_$$
PREFIX=$RUN
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
STARTED_DOCKERD=0
TARGET_PID=
# shellcheck source=scripts/deploy/lib.sh
source scripts/deploy/lib.sh

if [ "$(id -u)" != 0 ]; then
    echo "deploy test: skipped (it needs root to install and start a Docker engine)"
    [ "${CI:-}" = true ] && exit 1 || exit 0
fi

compose() {
    docker-compose -f docker-compose.yml -p "$RUN" --env-file "$WORK/compose.env" "$@"
}

cleanup() {
    local status=$?
    say "cleanup"
    docker ps -aq --filter "label=$LABEL=$RUN" | xargs -r "$DOCKER" rm -f -v >/dev/null 2>&1 || true
    docker volume rm "$RUN-data" >/dev/null 2>&1 || true
    [ -f "$WORK/compose.env" ] && compose down -v --remove-orphans >/dev/null 2>&1 || true
    docker image rm "$IMAGE" >/dev/null 2>&1 || true
    [ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null || true
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
        >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX:*" | xargs -r redis-cli -h 127.0.0.1 del \
        >/dev/null 2>&1 || true
    if [ "$STARTED_DOCKERD" = 1 ]; then
        pkill -x dockerd 2>/dev/null || true
    fi
    echo "removed what this run made (kept: the base and stand-in images, as a cache)"
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

say "engine"
ensure_engine
VOLUMES_BEFORE=$(docker volume ls -q | sort)
NETWORKS_BEFORE=$(docker network ls -q | sort)

say "base image"
ensure_base_image

say "image: the Dockerfile's runtime stage, with a binary built here"
if [ -n "${PULSAR_DEPLOY_BINARY:-}" ]; then
    binary=$PULSAR_DEPLOY_BINARY
else
    cargo build --release --locked -p pulsar-server
    binary=target/release/pulsar
fi
mkdir -p "$WORK/context"
cp "$binary" "$WORK/context/pulsar"
DOCKER_BUILDKIT=1 docker build --quiet -f Dockerfile --target runtime \
    --build-arg ARTIFACTS=prebuilt --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
    --build-arg REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -t "$IMAGE" "$WORK/context" >/dev/null
user=$(docker image inspect -f '{{.Config.User}}' "$IMAGE")
[ "$user" = pulsar:pulsar ] || fail "the image runs as '$user'"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE" | grep -q healthcheck \
    || fail "the image has no HEALTHCHECK"
check "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')), user $user, with a HEALTHCHECK"

source scripts/deploy/run-on-host.sh
source scripts/deploy/run-compose.sh

say "nothing left behind"
docker ps -aq --filter "label=$LABEL=$RUN" | xargs -r "$DOCKER" rm -v >/dev/null
[ "$(docker volume ls -q | sort)" = "$VOLUMES_BEFORE" ] || fail "volumes are left behind"
[ "$(docker network ls -q | sort)" = "$NETWORKS_BEFORE" ] || fail "networks are left behind"
check "no container, network or volume of this run is left"

say "deploy test passed"
