"""CloudWatch Logs for the AWS stand-in (aws_standin.py): FilterLogEvents
over the events a test put (AwsStandin.put_log_event), JSON 1.1 with
X-Amz-Target as AWS answers it: startTime/endTime, nextToken pages of
standin.page_size, and filterPattern's terms, "quoted phrases", ?either
?or and -exclusions (JSON patterns are refused, as an unsupported stand-in
feature, so that a test cannot pass by accident)."""
import json
import shlex

from aws_standin import AwsError


def terms_match(pattern, message):
    """CloudWatch's term patterns: every plain term, one of the ?terms, no -term."""
    if not pattern or not pattern.strip():
        return True
    if pattern.strip().startswith(("{", "[")):
        raise AwsError(400, "InvalidParameterException", "the stand-in filters terms only")
    plain, either, never = [], [], []
    for t in shlex.split(pattern):
        (either if t.startswith("?") else never if t.startswith("-") else plain).append(t.lstrip("?-"))
    return (all(t in message for t in plain) and not any(t in message for t in never)
            and (not either or any(t in message for t in either)))


def filter_log_events(standin, body):
    group = body.get("logGroupName")
    if group not in standin.log_events:
        raise AwsError(400, "ResourceNotFoundException", "The specified log group does not exist.")
    start, end = body.get("startTime", 0), body.get("endTime", float("inf"))
    found = [e for e in sorted(standin.log_events[group], key=lambda e: (e["timestamp"], e["eventId"]))
             if start <= e["timestamp"] <= end and terms_match(body.get("filterPattern"), e["message"])]
    offset = int(body.get("nextToken") or 0)
    page = found[offset:offset + standin.page_size]
    answer = {"events": page, "searchedLogStreams": []}
    if offset + standin.page_size < len(found):
        answer["nextToken"] = str(offset + standin.page_size)
    return answer


def handle(standin, req, request_id):
    target = req.header("X-Amz-Target", "")
    req.action = target.rsplit(".", 1)[-1] or "(no target)"
    if target != "Logs_20140328.FilterLogEvents":
        raise AwsError(400, "UnknownOperationException", f"this stand-in has no logs action '{target}'")
    with standin.lock:
        answer = filter_log_events(standin, json.loads(req.body or b"{}"))
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(answer).encode()
