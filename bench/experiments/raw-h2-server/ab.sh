#!/usr/bin/env bash
# The interleaved A/B of findings §21: the Go host harness (go-plugin v1.8.0)
# against the Go plugin, the bundled TS hello world (a node:http2 server when this was written; protocol/h2 since 6c90eb9, findings §23) and
# the spike, each round: 5,000 sequential calls, then 2 s at 64 in flight.
# Needs `npm run build`, `tsc -p bench` and a bench run's cache (gobench, helloworld.mjs).
#   bench/experiments/raw-h2-server/ab.sh <node binary> [rounds]
set -euo pipefail
node_bin=${1:?usage: ab.sh <node binary> [rounds]}
rounds=${2:-3}
cd "$(dirname "$0")/../../.."
summary() {
  node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));
    const r=j.rates?j.rates[0].per_sec.toFixed(0):"-";
    console.log(`p50 ${j.p50_us?.toFixed(0)??"-"} µs, p99 ${j.p99_us?.toFixed(0)??"-"} µs, ${r} calls/s, plugin HWM ${Math.round(j.plugin_hwm_kb/1024)} MB`)'
}
for r in $(seq 1 "$rounds"); do
  for v in go bundle spike; do
    case $v in
      go) cmd=(interop/go/bin/v1.8.0/plugin) ;;
      bundle) cmd=("$node_bin" --max-semi-space-size=4 bench/dist/cache/helloworld.mjs) ;;
      spike) cmd=("$node_bin" --max-semi-space-size=4 bench/experiments/raw-h2-server/plugin.mjs) ;;
    esac
    echo "round $r $v sequential: $(bench/dist/cache/gobench latency -n 5000 -- "${cmd[@]}" 2>/dev/null | tail -1 | summary)"
    echo "round $r $v 64 in flight: $(bench/dist/cache/gobench throughput -c 64 -duration 2s -- "${cmd[@]}" 2>/dev/null | tail -1 | summary)"
  done
done
