# Part of scripts/deploy-test.sh (sourced): the image as `migrate`, `api` and two `worker`s
# on the host network, against this machine's PostgreSQL and Redis.

say "migrate, api and two workers on this machine's PostgreSQL and Redis"
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null
common=(--network host --label "$LABEL=$RUN"
    -e PULSAR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
    -e PULSAR_REDIS_URL=redis://127.0.0.1:6379 -e PULSAR_REDIS_PREFIX="$PREFIX"
    -e PULSAR_ADMIN_TOKEN="$TOKEN")
docker run --rm "${common[@]}" "$IMAGE" migrate | sed 's/^/    /'

API=127.0.0.1:$(free_port)
docker run -d --name "$RUN-api" "${common[@]}" -e PULSAR_LISTEN="$API" "$IMAGE" api >/dev/null
for i in 1 2; do
    docker run -d --name "$RUN-worker-$i" "${common[@]}" \
        -e PULSAR_WORKER_NAME="deploy-worker-$i" -e PULSAR_HOST_NAME="deploy-host-$i" \
        -e PULSAR_METRICS_LISTEN="127.0.0.1:$(free_port)" \
        -e PULSAR_HOST_PROC=/host/proc -e PULSAR_HOST_SYS=/host/sys \
        -e PULSAR_HOST_ROOT_FS=/host/root \
        -v /proc:/host/proc:ro -v /sys:/host/sys:ro -v /:/host/root:ro \
        "$IMAGE" worker >/dev/null
done
containers=("$RUN-api" "$RUN-worker-1" "$RUN-worker-2")

healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }
for c in "${containers[@]}"; do
    wait_for 90 "$c healthy" healthy "$c"
done
check "the API and both workers are healthy (their HEALTHCHECK, pulsar healthcheck)"
curl -sSf "http://$API/healthz" >/dev/null
curl -sSf "http://$API/" | grep -q '<div id="root">' || fail "the API serves no dashboard"
check "the API answers /healthz and serves the dashboard"

for c in "${containers[@]}"; do
    uid=$(docker exec "$c" id -u)
    [ "$uid" != 0 ] || fail "$c runs as root"
done
check "every container runs as uid $(docker exec "$RUN-api" id -u), not root"

# A target on this machine's loopback, reached by the workers through the host network.
mkdir -p "$WORK/target"
echo "deploy test target" >"$WORK/target/index.html"
TARGET_PORT=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/target" "$TARGET_PORT" \
    >/dev/null 2>&1 &
TARGET_PID=$!
monitors=()
for i in 1 2 3 4; do
    id=$(rpc "$API" MonitorService CreateMonitor \
        "{\"monitor\":{\"name\":\"deploy target $i\",\"url\":\"http://127.0.0.1:$TARGET_PORT/?m=$i\",\"intervalSeconds\":1}}" \
        | json 'j["monitor"]["id"]')
    monitors+=("$id")
done
workers_with_results() {
    for id in "${monitors[@]}"; do
        rpc "$API" MonitorService ListResults "{\"monitorId\":\"$id\",\"pageSize\":200}" \
            | json '"\n".join(r["worker"] for r in j.get("results", []) if r.get("outcome") == "OUTCOME_UP")'
    done | sort -u | grep -c deploy-worker
}
both_workers() { [ "$(workers_with_results)" = 2 ]; }
wait_for 60 "results from both workers" both_workers
state=$(rpc "$API" MonitorService GetMonitor "{\"id\":\"${monitors[0]}\"}" | json 'j["monitor"]["state"]')
[ "$state" = MONITOR_STATE_UP ] || fail "the monitor is $state"
check "4 monitors created through the API, checked by both workers; the target is up"

host_hostname=$(cat /etc/hostname 2>/dev/null || hostname)
# Every thread on the machine: the total in /proc/loadavg's "running/total".
host_tasks=$(awk '{split($4, n, "/"); print n[2]}' /proc/loadavg)
host_memory=$(awk '/^MemTotal:/ {print $2 * 1024}' /proc/meminfo)
host_root_size=$(python3 -c 'import os; s = os.statvfs("/"); print(s.f_blocks * s.f_frsize)')
for i in 1 2; do
    snapshot=$(rpc "$API" HostService GetHostSnapshot "{\"host\":\"deploy-host-$i\"}")
    reported=$(echo "$snapshot" | json '"%s %s %s %s" % (j["snapshot"]["hostname"],
        j["snapshot"]["tasks"]["pidsInUse"], j["snapshot"]["memory"]["totalBytes"],
        next(f["sizeBytes"] for f in j["snapshot"]["filesystems"] if f["mountPoint"] == "/"))')
    read -r name tasks memory root_size <<<"$reported"
    [ "$name" = "$host_hostname" ] || fail "deploy-host-$i reports hostname '$name', not '$host_hostname'"
    [ "$memory" = "$host_memory" ] || fail "deploy-host-$i reports $memory bytes of memory, not $host_memory"
    [ "$root_size" = "$host_root_size" ] || fail "deploy-host-$i reports / as $root_size bytes, not $host_root_size"
    # A container's own procfs would show a handful of tasks; the host's shows them all.
    [ "$tasks" -ge $((host_tasks / 2)) ] || fail "deploy-host-$i reports $tasks tasks; this host runs $host_tasks"
    check "deploy-host-$i reports this host: hostname $name, $tasks tasks (here: $host_tasks), memory and / as measured here"
done

say "docker stop: graceful, exit code 0, nothing lost"
docker stop -t 30 "$RUN-worker-1" "$RUN-worker-2" >/dev/null
pending=$(redis-cli -h 127.0.0.1 XPENDING "$PREFIX:stream" workers | head -n1)
[ "$pending" = 0 ] || fail "$pending tasks were taken and never finished"
docker stop -t 30 "$RUN-api" >/dev/null
for c in "${containers[@]}"; do
    code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
    [ "$code" = 0 ] || fail "$c exited with $code: $(docker logs --tail 5 "$c" 2>&1)"
    docker logs "$c" 2>&1 | grep -q "shutting down" || fail "$c did not log its shutdown"
done
stored=$(psql -h 127.0.0.1 -U postgres -d "$DB" -tAc "SELECT count(*) FROM check_results")
check "workers and API stopped with exit code 0; no task left unfinished; $stored results stored"

say "the image's default command: pulsar serve, its database in a volume"
SERVE=127.0.0.1:$(free_port)
serve_container() {
    docker run -d --name "$RUN-serve" --network host --label "$LABEL=$RUN" \
        -v "$RUN-data:/var/lib/pulsar" -e PULSAR_LISTEN="$SERVE" -e PULSAR_ADMIN_TOKEN="$TOKEN" \
        -e PULSAR_METRICS_LISTEN="127.0.0.1:$(free_port)" "$IMAGE" >/dev/null
    wait_for 90 "pulsar serve healthy" healthy "$RUN-serve"
}
serve_container
rpc "$SERVE" MonitorService CreateMonitor \
    "{\"monitor\":{\"name\":\"kept\",\"url\":\"http://127.0.0.1:$TARGET_PORT/\",\"intervalSeconds\":1}}" >/dev/null
docker stop -t 30 "$RUN-serve" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$RUN-serve")
[ "$code" = 0 ] || fail "pulsar serve exited with $code"
docker rm "$RUN-serve" >/dev/null
serve_container
kept=$(rpc "$SERVE" MonitorService ListMonitors '{}' | json 'len(j.get("monitors", []))')
[ "$kept" = 1 ] || fail "a new container on the same volume holds $kept monitors, not 1"
docker stop -t 30 "$RUN-serve" >/dev/null
docker rm "$RUN-serve" >/dev/null
docker volume rm "$RUN-data" >/dev/null
check "serve wrote its database to a fresh volume as the non-root user, stopped with exit 0, and a new container kept its monitor"
