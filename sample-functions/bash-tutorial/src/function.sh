# The function the bootstrap runs: handler EVENT prints the response (JSON) on stdout.
# Anything meant for the log goes to stderr; a non-zero status reports a function error.

handler() {
	local event="$1"
	echo "handling $(printf '%s' "$event" | wc -c) bytes of event" >&2
	case "$event" in
	*'"fail"'*) echo "asked to fail" >&2; return 3 ;;
	esac
	printf '{"message":"hello from bash","event":%s}' "$event"
}
