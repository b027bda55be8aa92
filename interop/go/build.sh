#!/usr/bin/env bash
# Builds the Go interop peers (host + plugin) for one or all go-plugin versions,
# and the kv example peers, into interop/go/bin/<version|kv>/{host,plugin}
# (kv also debug-plugin).
#   usage: interop/go/build.sh [all|v1.0.1|v1.2.2|v1.8.0|kv]
# Needs Go and access to the module proxy; go.mod/go.sum are complete, so no
# `go mod tidy` is ever needed here. Silent on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
versions=(v1.0.1 v1.2.2 v1.8.0 kv)

case "${1:-all}" in
  all) selected=("${versions[@]}") ;;
  v1.0.1 | v1.2.2 | v1.8.0 | kv) selected=("$1") ;;
  *)
    echo "usage: $0 [all|v1.0.1|v1.2.2|v1.8.0|kv]" >&2
    exit 2
    ;;
esac

for v in "${selected[@]}"; do
  out=$here/bin/$v
  mkdir -p "$out"
  cmds=(host plugin)
  # kv also has a plugin that runs in go-plugin's test mode (for reattach tests).
  [[ $v == kv ]] && cmds+=(debug-plugin)
  for cmd in "${cmds[@]}"; do
    # go reports module downloads on stderr; show its output only on failure.
    if ! log=$(cd "$here/$v" && go build -trimpath -buildvcs=false -o "$out/$cmd" "./cmd/$cmd" 2>&1); then
      printf '%s\n' "$log" >&2
      exit 1
    fi
  done
done
