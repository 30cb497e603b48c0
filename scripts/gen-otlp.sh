#!/usr/bin/env sh
# Regenerates worker/otlp/gen/ from worker/otlp/proto/ with buf + protoc-gen-es, then
# checks that the output has no eval / new Function, which workerd forbids.
#
# Only needed when the .proto files change; the generated code is committed. The two
# generators are fetched on demand at pinned versions rather than kept as dev
# dependencies, because protoc-gen-es needs Node 22 or newer while Flywheel itself
# runs on Node 20.19: regenerating needs Node 22+ and the npm registry.
set -eu
cd "$(dirname "$0")/.."
BUF_VERSION=1.75.0
PROTOC_GEN_ES_VERSION=2.17.0 # keep equal to the @bufbuild/protobuf version in package.json

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 22 ]; then
  echo "scripts/gen-otlp.sh needs Node 22 or newer (protoc-gen-es $PROTOC_GEN_ES_VERSION requires it); this is Node $(node -v)." >&2
  exit 1
fi

npx --yes -p "@bufbuild/buf@$BUF_VERSION" -p "@bufbuild/protoc-gen-es@$PROTOC_GEN_ES_VERSION" -- \
  buf generate --template worker/otlp/buf.gen.yaml
if grep -rnE '\beval\(|new Function|Function\(' worker/otlp/gen; then
  echo "generated OTLP code uses eval/new Function, which workerd forbids" >&2
  exit 1
fi
echo "worker/otlp/gen regenerated"
