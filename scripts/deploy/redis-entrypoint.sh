#!/bin/sh
# The stand-in redis image's start, as the official image's: `redis-server` without a config
# file gets protected mode off (else every client not on loopback is refused), and runs as
# `redis`.
set -eu
if [ "${1:-}" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
exec setpriv --reuid=redis --regid=redis --init-groups "$@"
