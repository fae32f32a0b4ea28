#!/bin/bash
# Runs the handler on events/event.json without the runtime: tests/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source function/function.sh
response="$(handler "$(cat events/event.json)")"
case "$response" in
*'"statusCode": 200'*) echo "ok: $response" ;;
*) echo "FAIL: $response" >&2; exit 1 ;;
esac
