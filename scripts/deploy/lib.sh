# Helpers for scripts/deploy-test.sh: the Docker engine, the local Debian base image, and
# calls to Pulsar's API. Sourced, not run.

# The engine's own client: Debian's docker.io, whichever `docker` comes first on PATH.
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || echo docker)}
docker() { "$DOCKER" "$@"; }

say() { printf '\n==> %s\n' "$*"; }
check() { printf '    ok: %s\n' "$*"; }
fail() {
    printf '    FAILED: %s\n' "$*" >&2
    exit 1
}

# Installs the engine, Compose 1.x and debootstrap from Debian's packages when missing, and
# starts dockerd when none answers. Sets STARTED_DOCKERD=1 when it started one.
ensure_engine() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    if ((${#missing[@]})); then
        echo "installing ${missing[*]} from Debian's packages"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    DOCKER=$(command -v /usr/bin/docker || command -v docker)
    if ! docker info >/dev/null 2>&1; then
        echo "starting dockerd (log: $WORK/dockerd.log)"
        dockerd >"$WORK/dockerd.log" 2>&1 &
        STARTED_DOCKERD=1
        for _ in $(seq 1 60); do
            docker info >/dev/null 2>&1 && break
            sleep 1
        done
        docker info >/dev/null 2>&1 || fail "dockerd did not start; see $WORK/dockerd.log"
    fi
    docker info --format 'engine {{.ServerVersion}}, storage {{.Driver}}'
}

# The Debian mirror apt already uses (its main archive, not security or a third party's).
debian_mirror() {
    local uri
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -oE 'https?://[^ ]+/debian/?( |$)' | tr -d ' ' | head -n1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

# Makes $BASE_IMAGE (a minbase Debian bookworm) unless the engine already holds it.
ensure_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        echo "$BASE_IMAGE is cached"
        return
    fi
    local mirror root
    mirror=$(debian_mirror)
    root="$WORK/rootfs"
    echo "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
        || fail "debootstrap failed; see $WORK/debootstrap.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
    rm -rf "$root"
    echo "made $BASE_IMAGE"
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rpc ADDRESS SERVICE METHOD JSON: one Connect call with the admin token; prints the answer.
rpc() {
    curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $TOKEN" --data "$4" "http://$1/pulsar.v1.$2/$3"
}

# json EXPRESSION: evaluates a Python expression over the JSON on stdin, bound to `j`.
json() {
    python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq 1 "$seconds"); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    fail "$what did not happen within ${seconds} s"
}
