#!/usr/bin/env bash
# Compares `pulsar probe` with `curl -w` in the same run, against the same loopback server
# (pulsar-probe's test server, DELAY_MS injected into TLS, time to first byte and download).
# curl's cumulative times are made non-cumulative the way pulsar defines its phases:
#   dns = namelookup, connect = connect - namelookup, tls = appconnect - connect,
#   ttfb = starttransfer - (appconnect or connect), download = total - starttransfer.
# Usage: scripts/probe-vs-curl.sh [CHECKS=50] [DELAY_MS=50]
set -euo pipefail
cd "$(dirname "$0")/.."
checks=${1:-50}
delay_ms=${2:-50}

cargo build --release --quiet -p pulsar-server
cargo build --release --quiet -p pulsar-examples --example probe_test_server
work=$(mktemp -d)
mkfifo "$work/stdin"
target/release/examples/probe_test_server "$work/ca.pem" "$delay_ms" <"$work/stdin" >"$work/urls" &
server=$!
exec 3>"$work/stdin" # the server runs until this closes
trap 'exec 3>&-; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q '^https=' "$work/urls" 2>/dev/null && break; sleep 0.1; done

for scheme in http https; do
  url=$(sed -n "s/^$scheme=//p" "$work/urls")
  # -4 for both: the server listens on 127.0.0.1, and localhost comes from /etc/hosts.
  target/release/pulsar probe --json -4 --ca-file "$work/ca.pem" --count "$checks" \
    --interval 20ms "$url" | grep -v '^{"summary"' >"$work/pulsar-$scheme.jsonl"
  for _ in $(seq "$checks"); do
    curl -4 -s -o /dev/null --cacert "$work/ca.pem" \
      -w '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total} %{http_version}\n' \
      "$url"
    sleep 0.02
  done >"$work/curl-$scheme.txt"
  python3 - "$scheme" "$delay_ms" "$work/pulsar-$scheme.jsonl" "$work/curl-$scheme.txt" <<'PY'
import json, statistics, sys
scheme, delay, pulsar_file, curl_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
phases = ["dns", "connect", "tls", "ttfb", "download", "total"]
pulsar = {p: [] for p in phases}
versions = set()
for line in open(pulsar_file):
    c = json.loads(line)
    versions.add(c["http_version"])
    for p in phases:
        if c[p + "_ms"] is not None:
            pulsar[p].append(c[p + "_ms"])
curl = {p: [] for p in phases}
for line in open(curl_file):
    n, c, a, s, t, v = line.split()
    n, c, a, s, t = (float(x) * 1000 for x in (n, c, a, s, t))
    start = a if a > 0 else c
    for p, val in zip(phases, [n, c - n, a - c if a > 0 else None, s - start, t - s, t]):
        if val is not None:
            curl[p].append(val)
print(f"\n{scheme}: {len(pulsar['total'])} checks each, {delay} ms injected into tls/ttfb/download; "
      f"pulsar {'/'.join(sorted(versions))}, curl HTTP/{v}")
print(f"{'phase':<10}{'pulsar p50':>12}{'curl p50':>12}{'diff':>10}")
for p in phases:
    if pulsar[p] and curl[p]:
        a, b = statistics.median(pulsar[p]), statistics.median(curl[p])
        print(f"{p:<10}{a:>12.3f}{b:>12.3f}{a - b:>+10.3f}")
PY
done
