#!/bin/sh
# Runs the R handler on events/event.json without the runtime: tests/test.sh
# Exits 77 ("skipped") when Rscript is not installed.
set -eu
cd "$(dirname "$0")/.."
if ! command -v Rscript >/dev/null; then
	echo "SKIPPED: Rscript is not installed (Debian: apt-get install r-base-core)" >&2
	exit 77
fi
response="$(LC_ALL=C.UTF-8 LAMBDA_TASK_ROOT=function Rscript --vanilla function/handler.R events/event.json)"
case "$response" in
*'"statusCode": 200'*'\"mean\": 2.5'*) echo "ok: $response" ;;
*) echo "FAIL: $response" >&2; exit 1 ;;
esac
