#!/usr/bin/env sh
# Regenerates worker/otlp/gen/ from worker/otlp/proto/ with buf + protoc-gen-es
# (both from node_modules, so it works offline), then checks that the output
# has no eval / new Function, which workerd forbids.
set -eu
cd "$(dirname "$0")/.."
npx buf generate --template worker/otlp/buf.gen.yaml
if grep -rnE '\beval\(|new Function|Function\(' worker/otlp/gen; then
  echo "generated OTLP code uses eval/new Function, which workerd forbids" >&2
  exit 1
fi
echo "worker/otlp/gen regenerated"
