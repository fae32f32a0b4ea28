"""The Lambda part of the AWS stand-in (see aws_standin.py): the REST API
calls lamb makes. Layers: GetLayerVersionByArn, whose Content.Location is
a URL served without a signature (as a presigned one is: the token in it
is the credential), and PublishLayerVersion. Functions, those
CloudFormation made (AWS::Lambda::Function records) and any added with
add_function: Invoke (RequestResponse, LogType Tail), UpdateFunctionCode,
Get/UpdateFunctionConfiguration (Layers). Nothing runs: Invoke answers
through standin.invoke_handler(name, payload) -> (payload bytes,
function error or None, log text); by default it echoes the event.
Errors as Lambda's: X-Amzn-ErrorType and {"Type": "User", "message"}."""
import base64
import hashlib
import json
import re
import time
import urllib.parse
import uuid

from aws_standin import ACCOUNT, AwsError

PRESIGNED = "/_presigned/"


def not_found(message):
    return AwsError(404, "ResourceNotFoundException", message)


def echo(name, payload):
    return payload, None, f"echo from {name}\n"


def layer_arn(region, name, version):
    return f"arn:aws:lambda:{region}:{ACCOUNT}:layer:{name}:{version}"


def add_layer(standin, name, zip_bytes, region=None, runtimes=()):
    """A new version of layer name holding zip_bytes; returns its ARN."""
    with standin.lock:
        region = region or standin.region
        version = 1 + sum(1 for v in standin.layers.values() if v["name"] == name and v["region"] == region)
        arn = layer_arn(region, name, version)
        standin.layers[arn] = {"name": name, "version": version, "region": region, "content": zip_bytes,
                               "runtimes": list(runtimes), "created": time.time()}
        return arn


def content_url(standin, data):
    token = uuid.uuid4().hex
    standin.presigned[token] = data
    return (f"{standin.url}{PRESIGNED}{token}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600"
            f"&X-Amz-Signature={hashlib.sha256(token.encode()).hexdigest()}")


def serve_presigned(standin, raw_path):
    """(status, headers, body) for a content URL; counted in standin.downloads."""
    token = raw_path[len(PRESIGNED):]
    with standin.lock:
        data = standin.presigned.get(token)
        if data is None:
            return 403, {"Content-Type": "application/xml"}, (
                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
        standin.downloads.append(token)
        return 200, {"Content-Type": "application/zip"}, data


def layer_json(standin, arn, v):
    return {"LayerArn": arn.rsplit(":", 1)[0], "LayerVersionArn": arn, "Version": v["version"],
            "Description": "", "CreatedDate": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(v["created"])),
            "CompatibleRuntimes": v["runtimes"],
            "Content": {"Location": content_url(standin, v["content"]), "CodeSize": len(v["content"]),
                        "CodeSha256": base64.b64encode(hashlib.sha256(v["content"]).digest()).decode()}}


def get_layer_version_by_arn(standin, req, _name):
    if req.param("find") != "LayerVersion" or not req.param("Arn"):
        raise AwsError(400, "InvalidParameterValueException", "find=LayerVersion and Arn are required")
    arn = req.param("Arn")
    v = standin.layers.get(arn)
    if v is None:
        raise not_found("The resource you requested does not exist.")
    return layer_json(standin, arn, v)


def publish_layer_version(standin, req, name):
    body = json.loads(req.body or b"{}")
    content = body.get("Content") or {}
    if "ZipFile" not in content:
        raise AwsError(400, "InvalidParameterValueException", "Content.ZipFile is required here")
    arn = add_layer(standin, name, base64.b64decode(content["ZipFile"]), req.region,
                    body.get("CompatibleRuntimes") or ())
    return layer_json(standin, arn, standin.layers[arn])


def functions(standin):
    """name -> record: CloudFormation's live functions, then add_function's."""
    found = {}
    for s in standin.stacks:
        if s.status.startswith("DELETE_COMPLETE"):
            continue
        for r in s.resources.values():
            if r.type == "AWS::Lambda::Function":
                found[r.physical] = r
    return found


def function(standin, name):
    name = urllib.parse.unquote(name)
    short = name.rsplit(":function:", 1)[-1].split(":")[0]
    fns = functions(standin)
    if short not in fns and short not in standin.extra_functions:
        raise not_found(f"Function not found: arn:aws:lambda:{standin.region}:{ACCOUNT}:function:{short}")
    return short, fns.get(short)


def code_of(standin, name, record):
    """The function's zip: the last UpdateFunctionCode's, else the S3 object CloudFormation gave it."""
    if name in standin.function_code:
        return standin.function_code[name]
    code = (record.props.get("Code") if record else None) or {}
    return standin.objects.get((code.get("S3Bucket"), code.get("S3Key")), b"")


def config(standin, name, record):
    layers = standin.function_layers.get(name)
    if layers is None:
        layers = list((record.props.get("Layers") if record else None) or [])
    return {"FunctionName": name, "FunctionArn": f"arn:aws:lambda:{standin.region}:{ACCOUNT}:function:{name}",
            "Layers": [{"Arn": a, "CodeSize": 0} for a in layers],
            "CodeSha256": base64.b64encode(hashlib.sha256(code_of(standin, name, record)).digest()).decode(),
            "LastUpdateStatus": "Successful", "State": "Active"}


def update_function_code(standin, req, name):
    name, record = function(standin, name)
    body = json.loads(req.body or b"{}")
    if "ZipFile" not in body:
        raise AwsError(400, "InvalidParameterValueException", "ZipFile is required here")
    standin.function_code[name] = base64.b64decode(body["ZipFile"])
    standin.code_updates.append(name)
    return config(standin, name, record)


def get_function_configuration(standin, req, name):
    name, record = function(standin, name)
    return config(standin, name, record)


def update_function_configuration(standin, req, name):
    name, record = function(standin, name)
    body = json.loads(req.body or b"{}")
    if "Layers" in body:
        standin.function_layers[name] = list(body["Layers"])
    return config(standin, name, record)


def invoke(standin, req, name):
    name, _ = function(standin, name)
    payload, error, log = standin.invoke_handler(name, req.body)
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
    if error:
        headers["X-Amz-Function-Error"] = error
    if req.header("X-Amz-Log-Type") == "Tail":
        rid = str(uuid.uuid4())
        text = f"START RequestId: {rid} Version: $LATEST\n{log}END RequestId: {rid}\n"
        headers["X-Amz-Log-Result"] = base64.b64encode(text.encode()[-4096:]).decode()
    standin.invocations.append((name, req.body))
    return 200, headers, payload


ROUTES = [
    ("GET", r"/2018-10-31/layers", "GetLayerVersionByArn", get_layer_version_by_arn),
    ("POST", r"/2018-10-31/layers/([^/]+)/versions", "PublishLayerVersion", publish_layer_version),
    ("POST", r"/2015-03-31/functions/([^/]+)/invocations", "Invoke", invoke),
    ("PUT", r"/2015-03-31/functions/([^/]+)/code", "UpdateFunctionCode", update_function_code),
    ("GET", r"/2015-03-31/functions/([^/]+)/configuration", "GetFunctionConfiguration",
     get_function_configuration),
    ("PUT", r"/2015-03-31/functions/([^/]+)/configuration", "UpdateFunctionConfiguration",
     update_function_configuration),
]


def handle(standin, req, request_id):
    for method, pattern, action, fn in ROUTES:
        m = re.fullmatch(pattern, req.raw_path)
        if m and req.method == method:
            req.action = action
            with standin.lock:
                out = fn(standin, req, m.group(1) if m.groups() else None)
            if isinstance(out, tuple):
                return out
            return 200, {"Content-Type": "application/json"}, json.dumps(out).encode()
    req.action = f"{req.method} {req.raw_path}"
    raise AwsError(404, "UnknownOperationException", "Unknown operation")


def error_answer(e, request_id):
    return e.status, {"Content-Type": "application/json", "X-Amzn-ErrorType": e.code}, json.dumps(
        {"Type": "User" if e.sender else "Service", "message": e.message}).encode()
