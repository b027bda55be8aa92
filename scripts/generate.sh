#!/usr/bin/env bash
# Regenerates every piece of generated code from the .proto files:
#   TypeScript (protoc-gen-es) into each package's src/generated or test/generated,
#   Go (protoc-gen-go, messages only) into interop/go/shared/pb.
# Needs: npm install (buf, protoc-gen-es) and Go. Output is deterministic, so
# `npm run generate && git diff --exit-code` proves the committed code is current.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# GEN_OUT_ROOT: write the output under another tree (the freshness test compares it with ours).
out=${GEN_OUT_ROOT:-$root}
bin=$root/node_modules/.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen_ts() { # <proto dir> <out dir>
  rm -rf "${out:?}/$2"
  cat >"$tmp/buf.gen.yaml" <<YAML
version: v2
plugins:
  - local: $bin/protoc-gen-es
    out: $out/$2
    opt: [target=ts, import_extension=js]
YAML
  "$bin/buf" generate "$1" --template "$tmp/buf.gen.yaml"
}

gen_ts packages/go-plugin/proto packages/go-plugin/src/generated
gen_ts packages/quorum/proto packages/quorum/src/generated
gen_ts interop/proto interop/ts/src/generated
# The kv example's own service, for the TS host that runs the Go kv plugin.
gen_ts interop/go/kv/proto interop/ts/src/generated/kv
# Test fixtures: descriptors the packer's pack-time decoding must carry over exactly.
gen_ts packages/cli/test/proto packages/cli/test/generated

# Go: the pinned protoc-gen-go, built from the module proxy (see interop/go/shared/go.mod).
(cd interop/go/shared && go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)
pb=interop/go/shared/pb
rm -rf "${out:?}/$pb"
mod=qplugin.dev/interop/shared/pb
gen_go() { # <proto dir> <file> <go package dir>
  cat >"$tmp/buf.gen.go.yaml" <<YAML
version: v2
plugins:
  - local: $tmp/protoc-gen-go
    out: $out/$pb/$3
    opt: [paths=source_relative, "M$2=$mod/$3;$3"]
YAML
  "$bin/buf" generate "$1" --path "$1/$2" --template "$tmp/buf.gen.go.yaml"
}
gen_go packages/quorum/proto init.proto initpb
gen_go packages/quorum/proto helloworld.proto helloworldpb
gen_go packages/quorum/proto security.proto securitypb
gen_go packages/quorum/proto account.proto accountpb
gen_go packages/quorum/proto qlight_token_manager.proto qlightpb
gen_go interop/proto interop.proto interoppb

# The kv peers (interop/go/kv) keep their messages in their own module.
kvpb=interop/go/kv/kvpb
rm -rf "${out:?}/$kvpb"
cat >"$tmp/buf.gen.kv.yaml" <<YAML
version: v2
plugins:
  - local: $tmp/protoc-gen-go
    out: $out/$kvpb
    opt: [paths=source_relative, "Mkv.proto=qplugin.dev/interop/kv/kvpb;kvpb"]
YAML
"$bin/buf" generate interop/go/kv/proto --template "$tmp/buf.gen.kv.yaml"
