# {{name}}: the handler the bootstrap calls with the event as $1. What it
# prints on stdout is the response; stderr goes to the function's log.
handler() {
	local event="$1"
	echo "handler: got ${#event} bytes of event" >&2
	printf '{"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{\\"message\\": \\"hello world\\"}"}'
}
