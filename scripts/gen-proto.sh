#!/usr/bin/env bash
# Generates TypeScript types for the node protocol from its .proto (the schema is the one source).
# Usage: scripts/gen-proto.sh [outdir]   (default src/node/rpc/gen; the unit tests regenerate into a
# temporary directory and compare, so a stale checked-in copy fails the build).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/node/rpc/gen}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js \
  --keepCase --longs String --defaults --bytes Buffer --includeComments --grpcLib @grpc/grpc-js \
  --outDir "$tmp" src/node/rpc/kofn_node_v1.proto >/dev/null
# NodeNext ESM needs explicit .js suffixes on relative imports.
find "$tmp" -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\.[^']*)';#\1.js';#"
rm -rf "$out"
mkdir -p "$out"
cp -r "$tmp"/. "$out"/
