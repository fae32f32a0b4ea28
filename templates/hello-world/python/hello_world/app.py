"""{{name}}: answers GET /hello through API Gateway."""
import json


def lambda_handler(event, context):
    """event is an API Gateway proxy request; the return value its response."""
    params = event.get("queryStringParameters") or {}
    name = params.get("name", "world")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "hello " + name}),
    }
