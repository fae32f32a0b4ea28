#!/bin/sh
# Builds the bootstrap and runs it once through lamb: tests/test.sh
# Exits 77 ("skipped") when cc, make or lamb is missing.
set -eu
cd "$(dirname "$0")/.."
for tool in cc make lamb; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIPPED: $tool is not installed" >&2
		exit 77
	fi
done
make -s -C function
response="$(lamb local invoke -e events/event.json)"
case "$response" in
*'"statusCode": 200'*) echo "ok: $response" ;;
*) echo "FAIL: $response" >&2; exit 1 ;;
esac
