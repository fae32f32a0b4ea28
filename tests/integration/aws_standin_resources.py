"""Resources for the AWS stand-in's CloudFormation (see aws_standin.py):
what executing a change set and deleting a stack do, step by step with
AWS's events. A resource is a record with a physical id; the checks that
fail it are the ones lamb's packaging can get wrong: a Lambda function's
or layer's code object missing from this stand-in's S3, MemorySize or
Timeout out of range. An AWS::S3::Bucket becomes a bucket in this S3."""
import copy
import random
import re
import string
import time
import urllib.parse
import uuid

import aws_standin_template as T
from aws_standin import ACCOUNT

STEP = 0.025  # seconds between a resource's events


class Failure(Exception):
    """A resource that could not be created or updated; the reason is AWS's."""


class Resource:
    def __init__(self, lid, rtype, raw, props, physical, status):
        self.lid, self.type, self.raw, self.props, self.physical = lid, rtype, raw, props, physical
        self.status, self.updated = status, time.time()


def rand(n, chars=string.ascii_uppercase + string.digits):
    return "".join(random.choice(chars) for _ in range(n))


def s3_url(standin, url):
    """(bucket, key) for a TemplateURL on this stand-in or in AWS's forms."""
    u = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(u.path)
    host = u.hostname or ""
    m = re.fullmatch(r"(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", host)
    if m and len(path) > 1:
        return m.group(1), path[1:]
    if (re.fullmatch(r"s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com", host) or
            (host == "127.0.0.1" and u.port == standin.port)):
        bucket, _, key = path[1:].partition("/")
        if bucket and key:
            return bucket, key
    return None


def attribute(stack, lid, attr):
    r = stack.resources.get(lid)
    phys = r.physical if r else lid
    region = stack.region
    rtype = r.type if r else ""
    if rtype == "AWS::Lambda::Function" and attr == "Arn":
        return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{phys}"
    if rtype == "AWS::IAM::Role":
        return f"arn:aws:iam::{ACCOUNT}:role/{phys}" if attr == "Arn" else "AROA" + phys.upper()[:17]
    if rtype == "AWS::S3::Bucket":
        return {"Arn": f"arn:aws:s3:::{phys}", "DomainName": f"{phys}.s3.amazonaws.com"}.get(attr, phys)
    if rtype == "AWS::ApiGateway::RestApi" and attr == "RootResourceId":
        return phys[:6] + "root"
    if rtype == "AWS::SQS::Queue":
        name = phys.rsplit("/", 1)[-1]
        return {"Arn": f"arn:aws:sqs:{region}:{ACCOUNT}:{name}", "QueueName": name}.get(attr, phys)
    if attr == "Version":
        return "1"
    if attr == "Arn":
        service = rtype.split("::")[1].lower() if "::" in rtype else "unknown"
        return f"arn:aws:{service}:{region}:{ACCOUNT}:{lid.lower()}/{phys}"
    return phys


def physical_id(stack, lid, rtype, props):
    generated = f"{stack.name}-{lid}-{rand(12)}"[:64]
    if rtype == "AWS::Lambda::Function":
        return props.get("FunctionName") or generated
    if rtype == "AWS::IAM::Role":
        return props.get("RoleName") or generated
    if rtype == "AWS::S3::Bucket":
        return props.get("BucketName") or generated.lower()
    if rtype in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
        return rand(10, string.ascii_lowercase + string.digits)
    if rtype in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
        return props.get("StageName") or "Prod"
    if rtype == "AWS::Lambda::LayerVersion":
        name = props.get("LayerName") or generated
        return f"arn:aws:lambda:{stack.region}:{ACCOUNT}:layer:{name}:1"
    if rtype == "AWS::SQS::Queue":
        return f"https://sqs.{stack.region}.amazonaws.com/{ACCOUNT}/{props.get('QueueName') or generated}"
    if rtype == "AWS::ApiGateway::Deployment":
        return rand(6, string.ascii_lowercase + string.digits)
    return generated


def replacement(old, new):
    """Replacement for a Modify: True when the type or a name changes."""
    if old.type != new["Type"]:
        return "True"
    props = new.get("Properties") or {}
    names = {k for k in set(old.raw or {}) | set(props) if k.endswith("Name")}
    return "True" if any((old.raw or {}).get(k) != props.get(k) for k in names) else "False"


def handler_message(text, code="InvalidRequest", service="Lambda", status=400):
    return (f'Resource handler returned message: "{text} (Service: {service}, Status Code: {status}, '
            f'Request ID: {uuid.uuid4()})" (RequestToken: {uuid.uuid4()}, HandlerErrorCode: {code})')


def check_code(standin, bucket, key):
    if bucket not in standin.buckets:
        raise Failure(handler_message("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error "
                                      "Message: The specified bucket does not exist"))
    if (bucket, key) not in standin.objects:
        raise Failure(handler_message("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error "
                                      "Message: The specified key does not exist."))


def number(props, name):
    try:
        return int(props[name]) if name in props else None
    except (TypeError, ValueError):
        return None


def check(standin, lid, rtype, props):
    """Raises Failure when AWS would refuse the resource."""
    if rtype == "AWS::Lambda::Function":
        for name, low, high in (("MemorySize", 128, 10240), ("Timeout", 1, 900)):
            v = number(props, name)
            if v is not None and not low <= v <= high:
                word = "minimum" if v < low else "maximum"
                raise Failure(f"Properties validation failed for resource {lid} with message: "
                              f"#/{name}: failed validation constraint for keyword [{word}]")
        code = props.get("Code") or {}
        if "S3Bucket" in code:
            check_code(standin, code["S3Bucket"], code.get("S3Key"))
        elif not code.get("ZipFile") and not code.get("ImageUri"):
            raise Failure(f"Properties validation failed for resource {lid} with message: "
                          "#/Code: required key [S3Bucket] not found")
    elif rtype == "AWS::Lambda::LayerVersion":
        content = props.get("Content") or {}
        check_code(standin, content.get("S3Bucket"), content.get("S3Key"))


def provision(standin, stack, lid, rtype, raw, resolver, old):
    """Creates or updates one resource record; Failure when AWS would not."""
    props = resolver.resolve(copy.deepcopy(raw or {}))
    check(standin, lid, rtype, props)
    replace = old is None or replacement(old, {"Type": rtype, "Properties": raw}) == "True"
    physical = physical_id(stack, lid, rtype, props) if replace else old.physical
    if rtype == "AWS::S3::Bucket":
        standin.create_bucket(physical)
    if rtype == "AWS::Lambda::LayerVersion":  # GetLayerVersionByArn serves it (aws_standin_lambda.py)
        content = props.get("Content") or {}
        standin.layers[physical] = {
            "name": physical.split(":")[6], "version": int(physical.rsplit(":", 1)[1]), "region": stack.region,
            "content": standin.objects.get((content.get("S3Bucket"), content.get("S3Key")), b""),
            "runtimes": list(props.get("CompatibleRuntimes") or []), "created": time.time()}
    return Resource(lid, rtype, raw, props, physical, "CREATE_COMPLETE" if old is None else "UPDATE_COMPLETE")


def step(standin, stack, lid, status, reason=None, physical=None, rtype=None):
    """One event, then a pause outside the lock; False when stopping."""
    with standin.lock:
        stack.event(lid, status, reason, physical, rtype)
    return standin.sleep(STEP)


def remove(standin, stack, lid, template):
    """Deletes one resource with its events (DeletionPolicy from template)."""
    r = stack.resources.get(lid)
    if r is None:
        return True
    if not step(standin, stack, lid, "DELETE_IN_PROGRESS", None, r.physical, r.type):
        return False
    with standin.lock:
        del stack.resources[lid]
        policy = ((template or {}).get("Resources", {}).get(lid) or {}).get("DeletionPolicy")
        done = "DELETE_SKIPPED" if policy == "Retain" else "DELETE_COMPLETE"
        if r.type == "AWS::S3::Bucket" and done == "DELETE_COMPLETE" and not any(
                b == r.physical for b, _ in standin.objects):
            standin.buckets.pop(r.physical, None)
    return step(standin, stack, lid, done, None, r.physical, r.type)


def apply(standin, stack, cs, change, resolver):
    """One Add or Modify with its events; returns None or the failure verb."""
    lid, rtype = change["LogicalResourceId"], change["ResourceType"]
    raw = cs.processed["Resources"][lid].get("Properties") or {}
    old = stack.resources.get(lid)
    verb = "CREATE" if old is None else "UPDATE"
    if not step(standin, stack, lid, f"{verb}_IN_PROGRESS", None, old and old.physical, rtype):
        return "stopped"
    try:
        with standin.lock:
            try:
                new = provision(standin, stack, lid, rtype, raw, resolver, old)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError) as e:
                raise Failure(f"Properties validation failed for resource {lid} with message: {e!r}")
    except Failure as e:
        if verb == "CREATE":
            step(standin, stack, lid, "CREATE_IN_PROGRESS", "Resource creation Initiated", None, rtype)
        step(standin, stack, lid, f"{verb}_FAILED", str(e), old and old.physical, rtype)
        return verb.lower()
    if verb == "CREATE" and not step(standin, stack, lid, "CREATE_IN_PROGRESS", "Resource creation Initiated",
                                     new.physical, rtype):
        return "stopped"
    with standin.lock:
        stack.resources[lid] = new
        resolver.refs[lid] = new.physical
    return None if step(standin, stack, lid, f"{verb}_COMPLETE", None, new.physical, rtype) else "stopped"


def execute(standin, cs, creating, disable_rollback):
    """Executes a change set: the resources in dependency order, then the
    stack's final status, or a rollback."""
    stack = cs.stack
    with standin.lock:
        before = dict(stack.resources)
        resolver = stack.resolver(cs.processed, cs.params)
        by_lid = {c["LogicalResourceId"]: c for c in cs.changes}
        order = [lid for lid in T.creation_order(cs.processed)
                 if by_lid.get(lid, {}).get("Action") in ("Add", "Modify")]
    if not standin.sleep(STEP):
        return
    failed = None
    for lid in order:
        verb = apply(standin, stack, cs, by_lid[lid], resolver)
        if verb == "stopped":
            return
        if verb:
            failed = (lid, verb)
            break
    if failed is None:
        finish(standin, stack, cs, creating, resolver)
    else:
        rollback(standin, stack, cs, creating, before, failed, disable_rollback)


def outputs(stack, template, resolver):
    try:
        return outputs_of(template, resolver)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as e:
        return [("Error", f"cannot evaluate the outputs: {e!r}", None, None)]


def outputs_of(template, resolver):
    out = []
    for key, o in (template.get("Outputs") or {}).items():
        if "Condition" in o and not resolver.conditions.get(o["Condition"]):
            continue
        value = resolver.resolve(o.get("Value"))
        export = resolver.resolve((o.get("Export") or {}).get("Name"))
        out.append((key, ",".join(map(str, value)) if isinstance(value, list) else value, o.get("Description"),
                    export))
    return out


def finish(standin, stack, cs, creating, resolver):
    removed = [c["LogicalResourceId"] for c in cs.changes if c["Action"] == "Remove"]
    with standin.lock:
        old_processed = stack.processed
        stack.template_body, stack.original, stack.processed = cs.template_body, cs.original, cs.processed
        stack.params, stack.capabilities = cs.params, cs.capabilities
        stack.tags = cs.tags or stack.tags
        stack.description = cs.original.get("Description")
        stack.outputs = outputs(stack, cs.processed, resolver)
        if not creating:
            stack.set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    for lid in reversed(removed):
        if not remove(standin, stack, lid, old_processed):
            return
    with standin.lock:
        stack.set_status("CREATE_COMPLETE" if creating else "UPDATE_COMPLETE")
        cs.exec_status = "EXECUTE_COMPLETE"


def rollback(standin, stack, cs, creating, before, failed, disable_rollback):
    lid, verb = failed
    with standin.lock:
        cs.exec_status = "EXECUTE_FAILED"
        if creating and disable_rollback:
            stack.set_status("CREATE_FAILED", f"The following resource(s) failed to {verb}: [{lid}]. ")
            return
        if creating:
            stack.set_status("ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to {verb}: [{lid}]. "
                             "Rollback requested by user.")
        else:
            stack.set_status("UPDATE_ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to {verb}: [{lid}]. ")
        modified = [k for k, r in stack.resources.items() if k in before and r is not before[k]]
        if verb == "update":
            modified.append(lid)
        added = [k for k in stack.resources if k not in before]
    for k in reversed(modified):
        old = before[k]
        if not step(standin, stack, k, "UPDATE_IN_PROGRESS", None, old.physical, old.type):
            return
        with standin.lock:
            stack.resources[k] = old
        if not step(standin, stack, k, "UPDATE_COMPLETE", None, old.physical, old.type):
            return
    if not creating:
        with standin.lock:
            stack.set_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    for k in reversed(added):
        if not remove(standin, stack, k, cs.processed):
            return
    if verb == "create" and not step(standin, stack, lid, "DELETE_COMPLETE", None, None,
                                                  cs.processed["Resources"][lid]["Type"]):
        return
    with standin.lock:
        if creating:
            stack.template_body, stack.original, stack.processed = cs.template_body, cs.original, cs.processed
            stack.params = cs.params
        stack.set_status("ROLLBACK_COMPLETE" if creating else "UPDATE_ROLLBACK_COMPLETE")


def delete_stack(standin, stack):
    if not standin.sleep(STEP):
        return
    with standin.lock:
        order = [lid for lid in T.creation_order(stack.processed)
                 if lid in stack.resources]
        order += [lid for lid in stack.resources if lid not in order]
    for lid in reversed(order):
        if not remove(standin, stack, lid, stack.processed):
            return
    with standin.lock:
        stack.deleted = time.time()
        stack.change_sets.clear()
        stack.set_status("DELETE_COMPLETE")
