# Part of scripts/deploy-test.sh (sourced): docker-compose.yml validated, then brought up
# whole, with stand-in PostgreSQL and Redis images built from the same Debian base and
# tagged as the file's POSTGRES_VERSION and REDIS_VERSION name them.

say "docker-compose.yml: docker-compose config"
COMPOSE_API=127.0.0.1:$(free_port)
cat >"$WORK/compose.env" <<EOF
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
PULSAR_ADMIN_TOKEN=$TOKEN
PULSAR_IMAGE=$IMAGE
PULSAR_PORT=$COMPOSE_API
POSTGRES_VERSION=15-pulsar-standin
REDIS_VERSION=7-pulsar-standin
EOF
compose config -q
check "valid ($(docker-compose version --short))"
grep -v '^PULSAR_ADMIN_TOKEN=' "$WORK/compose.env" >"$WORK/no-token.env"
if docker-compose -f docker-compose.yml --env-file "$WORK/no-token.env" config -q \
    2>"$WORK/no-token.err"; then
    fail "the compose file accepted a missing PULSAR_ADMIN_TOKEN"
fi
grep -q "set PULSAR_ADMIN_TOKEN in .env" "$WORK/no-token.err" \
    || fail "a missing token is not explained: $(cat "$WORK/no-token.err")"
check "refused without PULSAR_ADMIN_TOKEN, saying so"

say "docker-compose up, with stand-in postgres and redis images"
for service in postgres redis; do
    tag=$(grep -E "^${service^^}_VERSION=" "$WORK/compose.env" | cut -d= -f2)
    docker build --quiet -f "scripts/deploy/$service.Dockerfile" --build-arg BASE="$BASE_IMAGE" \
        -t "$service:$tag" scripts/deploy >/dev/null
    check "stand-in $service:$tag built from $BASE_IMAGE with Debian's $service"
done
compose up -d --no-build 2>&1 | sed 's/^/    /'

one() { compose ps -q "$1" | head -n1; }
wait_for 120 "the compose api healthy" healthy "$(one api)"
mapfile -t compose_workers < <(compose ps -q worker)
[ "${#compose_workers[@]}" = 2 ] || fail "${#compose_workers[@]} workers are running, not 2"
for c in "${compose_workers[@]}"; do
    wait_for 90 "compose worker $c healthy" healthy "$c"
done
migrated=$(docker inspect -f '{{.State.ExitCode}}' "$(one migrate)")
[ "$migrated" = 0 ] || fail "migrate exited with $migrated"
check "postgres and redis healthy, migrate exited 0, then the api and 2 workers are healthy"

curl -sSf "http://$COMPOSE_API/" | grep -q '<div id="root">' || fail "no dashboard on $COMPOSE_API"
check "the dashboard is served on the published port ($COMPOSE_API)"

# The workers reach the api by its service name, as they would any site.
compose_monitor=$(rpc "$COMPOSE_API" MonitorService CreateMonitor \
    '{"monitor":{"name":"compose api","url":"http://api:8080/healthz","intervalSeconds":1}}' \
    | json 'j["monitor"]["id"]')
compose_workers_checked() {
    rpc "$COMPOSE_API" MonitorService ListResults "{\"monitorId\":\"$compose_monitor\",\"pageSize\":200}" \
        | json 'len({r["worker"] for r in j.get("results", []) if r.get("outcome") == "OUTCOME_UP"})'
}
both_compose_workers() { [ "$(compose_workers_checked)" = 2 ]; }
wait_for 60 "compose results from both workers" both_compose_workers
check "a monitor of http://api:8080/healthz is checked by both workers"

reports_this_host() {
    rpc "$COMPOSE_API" HostService ListHosts '{}' | json '[h["host"] for h in j.get("hosts", [])]' \
        | grep -q "'$host_hostname'"
}
wait_for 30 "the compose workers reporting host $host_hostname" reports_this_host
check "the workers report this host, under its own name ($host_hostname)"

compose stop -t 30 2>&1 | sed 's/^/    /'
for c in "$(one api)" "${compose_workers[@]}"; do
    code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
    [ "$code" = 0 ] || fail "compose container $c exited with $code"
done
check "docker-compose stop: the api and both workers exited 0"
compose down -v --remove-orphans 2>&1 | sed 's/^/    /'
left=$(docker volume ls -q --filter "label=com.docker.compose.project=$RUN" | wc -l)
[ "$left" = 0 ] || fail "$left compose volumes are left"
check "docker-compose down -v removed its containers, network and volumes"
