"""The CloudFormation part of the AWS stand-in (see aws_standin.py): the
Query API (POST /, Action=...&Version=2010-05-15) for change sets, stacks
and their events, with XML answers in AWS's shapes. Change sets are
computed and executed in background threads, as AWS does, so callers
must poll; resources are records (aws_standin_resources.py), and a
failure rolls the stack back with the events AWS emits."""
import base64
import json
import re
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import aws_standin
import aws_standin_resources as resources
import aws_standin_template as T
from aws_standin import ACCOUNT, AwsError

XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
NAME_RE = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
NO_CHANGES = ("The submitted information didn't contain changes. Submit different information to create "
              "a change set.")


def invalid(message):
    return AwsError(400, "ValidationError", message)


class Stack:
    def __init__(self, standin, name, region):
        self.standin, self.name, self.region = standin, name, region
        self.id = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/{uuid.uuid4()}"
        self.status, self.reason = "REVIEW_IN_PROGRESS", None
        self.created, self.updated, self.deleted = time.time(), None, None
        self.template_body, self.original, self.processed = None, None, {"Resources": {}}
        self.params, self.tags, self.capabilities, self.description = {}, [], [], None
        self.resources = {}  # lid -> resources.Resource
        self.outputs = []    # (key, value, description, export name)
        self.events = []     # oldest first: dicts
        self.change_sets = {}  # name -> ChangeSet
        self.change_set_id = None
        self._last_stamp = 0

    def event(self, lid, status, reason=None, physical=None, rtype=None):
        now = max(time.time(), self._last_stamp + 0.001)
        self._last_stamp = now
        stamp = aws_standin.amz_time(now)
        stack_event = lid == self.name and rtype is None
        self.events.append({
            "EventId": str(uuid.uuid4()) if stack_event else f"{lid}-{status}-{stamp}",
            "StackId": self.id, "StackName": self.name, "LogicalResourceId": lid,
            "PhysicalResourceId": self.id if stack_event else (physical or ""),
            "ResourceType": "AWS::CloudFormation::Stack" if stack_event else rtype,
            "Timestamp": stamp, "ResourceStatus": status, "ResourceStatusReason": reason})

    def set_status(self, status, reason=None):
        self.status, self.reason = status, reason
        self.event(self.name, status, reason)

    def live(self):
        return self.status != "DELETE_COMPLETE"

    def pseudo(self):
        return {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::StackName": self.name,
                "AWS::StackId": self.id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
                "AWS::NotificationARNs": []}

    def resolver(self, template, params):
        return T.Resolver(template, params, self.pseudo(), {k: r.physical for k, r in self.resources.items()},
                          lambda lid, attr: resources.attribute(self, lid, attr))


class ChangeSet:
    def __init__(self, stack, name, cstype, body, original, processed, error, params, form):
        self.stack, self.name, self.type = stack, name, cstype
        self.id = f"arn:aws:cloudformation:{stack.region}:{ACCOUNT}:changeSet/{name}/{uuid.uuid4()}"
        self.template_body, self.original, self.processed, self.error = body, original, processed, error
        self.params = params
        self.tags = [(t["Key"], t.get("Value", "")) for t in member_list(form, "Tags")]
        self.capabilities = member_list(form, "Capabilities")
        self.description = form.get("Description")
        self.status, self.exec_status, self.reason = "CREATE_PENDING", "UNAVAILABLE", None
        self.created = time.time()
        self.changes = []  # dicts: Action, LogicalResourceId, PhysicalResourceId, ResourceType, Replacement


# ---- request helpers -------------------------------------------------------

def form_of(req):
    form = {k: v[0] for k, v in req.query.items()}
    if req.method == "POST":
        parsed = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        form.update({k: v[0] for k, v in parsed.items()})
    return form


def action_name(req):
    return form_of(req).get("Action") or "(no Action)"


def member_list(form, prefix):
    """Query-API lists: Prefix.member.N (strings) or Prefix.member.N.Field
    (dicts), in N order."""
    items = {}
    for k, v in form.items():
        if k.startswith(prefix + ".member."):
            n, _, field = k[len(prefix) + 8:].partition(".")
            if n.isdigit():
                items.setdefault(int(n), {})[field] = v
    return [items[n].get("", items[n]) if "" in items[n] else items[n] for n in sorted(items)]


def need(form, key, member):
    v = form.get(key)
    if not v:
        raise invalid(f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
                      "Member must not be null")
    return v


def find_stack(standin, name_or_id):
    with standin.lock:
        for s in reversed(standin.stacks):
            if (s.id == name_or_id) or (s.name == name_or_id and s.live()):
                return s
    return None


def existing_stack(standin, name, message="Stack with id {} does not exist"):
    s = find_stack(standin, name)
    if s is None:
        raise invalid(message.format(name))
    return s


def find_change_set(standin, form):
    ref = need(form, "ChangeSetName", "changeSetName")
    if ref.startswith("arn:"):
        for s in standin.stacks:
            for cs in s.change_sets.values():
                if cs.id == ref:
                    return cs
    else:
        s = find_stack(standin, need(form, "StackName", "stackName"))
        if s and ref in s.change_sets:
            return s.change_sets[ref]
    raise AwsError(404, "ChangeSetNotFound", f"ChangeSet [{ref}] does not exist")


# ---- XML -------------------------------------------------------------------

def el(name, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value).lower()
    return f"<{name}>{escape(str(value))}</{name}>"


def members(name, items):
    return f"<{name}>" + "".join(f"<member>{x}</member>" for x in items) + f"</{name}>"


def answer(action, result, request_id):
    inner = f"  <{action}Result>\n{result}\n  </{action}Result>\n" if result is not None else ""
    return (f'<{action}Response xmlns="{XMLNS}">\n{inner}  <ResponseMetadata>\n'
            f"    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n").encode()


def params_xml(template, params):
    declared = (template or {}).get("Parameters") or {}
    return members("Parameters", (el("ParameterKey", k) + el("ParameterValue", "****" if (declared.get(k) or {})
                                  .get("NoEcho") in (True, "true") else v) for k, v in params.items()))


def tags_xml(tags):
    return members("Tags", (el("Key", k) + el("Value", v) for k, v in tags))


def page(standin, items, form, key):
    """One page of items and the NextToken element (tokens: item keys)."""
    start = 0
    token = form.get("NextToken")
    if token:
        want = base64.urlsafe_b64decode(token.encode()).decode()
        start = next((i for i, x in enumerate(items) if key(x) == want), len(items))
    chunk = items[start:start + standin.page_size]
    rest = items[start + len(chunk):]
    nxt = el("NextToken", base64.urlsafe_b64encode(key(rest[0]).encode()).decode()) if rest else ""
    return chunk, nxt


# ---- parameters ------------------------------------------------------------

def as_text(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return ",".join(as_text(x) for x in v)
    return str(v)


def resolve_params(template, form, stack):
    declared = template.get("Parameters") or {}
    given = [g for g in member_list(form, "Parameters") if isinstance(g, dict)]
    unknown = [g.get("ParameterKey") for g in given if g.get("ParameterKey") not in declared]
    if unknown:
        raise invalid(f"Parameters: [{', '.join(map(str, unknown))}] do not exist in the template")
    values = {}
    for g in given:
        k = g["ParameterKey"]
        if g.get("UsePreviousValue") == "true":
            if stack is None or k not in stack.params:
                raise invalid(f"Invalid input for parameter key {k}. Cannot specify usePreviousValue as true "
                              "for a parameter key not in the previous template")
            values[k] = stack.params[k]
        else:
            values[k] = g.get("ParameterValue", "")
    missing = []
    for k, d in declared.items():
        d = d or {}
        if k not in values:
            if "Default" in d:
                values[k] = as_text(d["Default"])
            else:
                missing.append(k)
                continue
        allowed = [as_text(x) for x in d.get("AllowedValues") or []]
        if allowed and values[k] not in allowed:
            raise invalid(f"Parameter '{k}' must be one of AllowedValues")
        if d.get("AllowedPattern") and not re.fullmatch(d["AllowedPattern"], values[k]):
            raise invalid(f"Parameter '{k}' must match pattern {d['AllowedPattern']}")
        if d.get("Type") == "Number" and not re.fullmatch(r"-?\d+(\.\d+)?", values[k]):
            raise invalid(f"Parameter '{k}' must be a number.")
    if missing:
        raise invalid(f"Parameters: [{', '.join(missing)}] must have values")
    return {k: values[k] for k in declared}


# ---- actions ---------------------------------------------------------------

def template_body(standin, form, stack):
    if form.get("TemplateBody"):
        return form["TemplateBody"]
    if form.get("TemplateURL"):
        loc = resources.s3_url(standin, form["TemplateURL"])
        if loc is None:
            raise invalid("TemplateURL must be a supported URL.")
        if loc not in standin.objects:
            raise invalid("S3 error: The specified key does not exist.")
        return standin.objects[loc].decode("utf-8", "replace")
    if form.get("UsePreviousTemplate") == "true" and stack is not None and stack.template_body:
        return stack.template_body
    raise invalid("Either Template URL or Template Body must be specified.")


def create_change_set(standin, req, form):
    name = need(form, "StackName", "stackName")
    csname = need(form, "ChangeSetName", "changeSetName")
    cstype = form.get("ChangeSetType", "UPDATE")
    for value, what in ((name, "stackName"), (csname, "changeSetName")):
        if not NAME_RE.match(value):
            raise invalid(f"1 validation error detected: Value '{value}' at '{what}' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*")
    stack = find_stack(standin, name)
    if cstype == "CREATE":
        if stack and stack.status != "REVIEW_IN_PROGRESS":
            raise invalid(f"Stack [{name}] already exists and cannot be created again with the changeSet [{csname}].")
    elif cstype == "UPDATE":
        if stack is None:
            raise invalid(f"Stack [{name}] does not exist")
        if stack.status.endswith("_IN_PROGRESS") or stack.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
                                                                      "CREATE_FAILED", "DELETE_FAILED"):
            raise invalid(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")
    else:
        raise invalid(f"1 validation error detected: Value '{cstype}' at 'changeSetType' failed to satisfy "
                      "constraint: Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]")
    if stack and csname in stack.change_sets:
        raise AwsError(400, "AlreadyExistsException", f"ChangeSet [{csname}] already exists")
    body = template_body(standin, form, stack)
    try:
        original = T.parse(body)
    except T.TemplateError as e:
        raise invalid(str(e))
    params = resolve_params(original, form, stack)
    if (standin.refuse_empty_updates and cstype == "UPDATE" and body == stack.template_body
            and params == stack.params):
        raise invalid("No updates are to be performed.")  # as moto's server answers
    processed = error = None
    try:
        processed = T.process(original)
    except T.TemplateError as e:
        if not T.transforms(original):
            raise invalid(str(e))
        error = str(e)  # a transform's failure shows in the change set
    caps = member_list(form, "Capabilities")
    want = processed and T.required_capability(processed)
    if want and want not in caps and not (want == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in caps):
        raise AwsError(400, "InsufficientCapabilitiesException", f"Requires capabilities : [{want}]")
    if stack is None:
        stack = Stack(standin, name, req.region or standin.region)
        standin.stacks.append(stack)
        stack.set_status("REVIEW_IN_PROGRESS", "User Initiated")
    cs = ChangeSet(stack, csname, cstype, body, original, processed, error, params, form)
    stack.change_sets[csname] = cs
    standin.spawn(compute_change_set, standin, cs)
    return el("Id", cs.id) + el("StackId", stack.id)


def active(template, resolver):
    """The template's resources whose Condition holds."""
    return {lid: r for lid, r in template["Resources"].items()
            if "Condition" not in r or resolver.conditions.get(r["Condition"])}


def compute_change_set(standin, cs):
    if not standin.sleep(0.05):
        return
    with standin.lock:
        cs.status = "CREATE_IN_PROGRESS"
    if not standin.sleep(0.1):
        return
    with standin.lock:
        if cs.status != "CREATE_IN_PROGRESS":
            return
        stack = cs.stack
        if cs.error:
            cs.status, cs.reason = "FAILED", cs.error
            return
        try:
            new = active(cs.processed, stack.resolver(cs.processed, cs.params))
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as e:
            cs.status, cs.reason = "FAILED", f"Template error: cannot evaluate the conditions: {e!r}"
            return
        changed = {k for k in set(cs.params) | set(stack.params) if cs.params.get(k) != stack.params.get(k)}
        for lid, r in new.items():
            old = stack.resources.get(lid)
            if old is None:
                cs.changes.append({"Action": "Add", "LogicalResourceId": lid, "ResourceType": r["Type"]})
            elif old.type != r["Type"] or old.raw != r.get("Properties") or T.references(old.raw) & changed:
                cs.changes.append({"Action": "Modify", "LogicalResourceId": lid, "ResourceType": r["Type"],
                                   "PhysicalResourceId": old.physical,
                                   "Replacement": resources.replacement(old, r)})
        for lid, old in stack.resources.items():
            if lid not in new:
                cs.changes.append({"Action": "Remove", "LogicalResourceId": lid, "ResourceType": old.type,
                                   "PhysicalResourceId": old.physical})
        if (cs.type == "UPDATE" and not cs.changes and cs.processed == stack.processed
                and cs.params == stack.params and (cs.tags == stack.tags or not cs.tags)):
            cs.status, cs.reason = "FAILED", NO_CHANGES
            return
        cs.status, cs.exec_status = "CREATE_COMPLETE", "AVAILABLE"


def describe_change_set(standin, req, form):
    cs = find_change_set(standin, form)
    chunk, nxt = page(standin, cs.changes, form, lambda c: c["LogicalResourceId"])
    changes = []
    for c in chunk:
        rc = "".join(el(k, c.get(k)) for k in ("Action", "LogicalResourceId", "PhysicalResourceId",
                                                "ResourceType", "Replacement"))
        scope = members("Scope", [] if c["Action"] != "Modify" else ["Properties"])
        changes.append(el("Type", "Resource") + f"<ResourceChange>{rc}{scope}<Details/></ResourceChange>")
    return "".join([
        el("ChangeSetName", cs.name), el("ChangeSetId", cs.id), el("StackId", cs.stack.id),
        el("StackName", cs.stack.name), el("Description", cs.description), params_xml(cs.original, cs.params),
        el("CreationTime", aws_standin.amz_time(cs.created)), el("ExecutionStatus", cs.exec_status),
        el("Status", cs.status), el("StatusReason", cs.reason), "<NotificationARNs/>",
        members("Capabilities", (escape(c) for c in cs.capabilities)), tags_xml(cs.tags),
        members("Changes", changes), nxt, el("IncludeNestedStacks", False)])


def execute_change_set(standin, req, form):
    cs = find_change_set(standin, form)
    if cs.exec_status != "AVAILABLE":
        raise AwsError(400, "InvalidChangeSetStatus", f"ChangeSet [{cs.id}] cannot be executed in its current "
                       f"execution status of [{cs.exec_status}]")
    stack = cs.stack
    creating = stack.status == "REVIEW_IN_PROGRESS"
    cs.exec_status = "EXECUTE_IN_PROGRESS"
    for other in stack.change_sets.values():
        if other is not cs and other.exec_status == "AVAILABLE":
            other.exec_status = "OBSOLETE"
    stack.change_set_id = cs.id
    stack.set_status("CREATE_IN_PROGRESS" if creating else "UPDATE_IN_PROGRESS", "User Initiated")
    if not creating:
        stack.updated = time.time()
    standin.spawn(resources.execute, standin, cs, creating, form.get("DisableRollback") == "true")
    return ""


def delete_change_set(standin, req, form):
    cs = find_change_set(standin, form)
    if cs.exec_status == "EXECUTE_IN_PROGRESS":
        raise AwsError(400, "InvalidChangeSetStatus", f"ChangeSet [{cs.id}] cannot be deleted in its current "
                       "execution status of [EXECUTE_IN_PROGRESS]")
    del cs.stack.change_sets[cs.name]
    cs.status = "DELETE_COMPLETE"
    return ""


def stack_xml(s):
    outputs = members("Outputs", (el("OutputKey", k) + el("OutputValue", v) + el("Description", d)
                                  + el("ExportName", e) for k, v, d, e in s.outputs))
    return "".join([
        el("StackId", s.id), el("StackName", s.name), el("ChangeSetId", s.change_set_id),
        el("Description", s.description), params_xml(s.original, s.params),
        el("CreationTime", aws_standin.amz_time(s.created)),
        el("DeletionTime", s.deleted and aws_standin.amz_time(s.deleted)),
        el("LastUpdatedTime", s.updated and aws_standin.amz_time(s.updated)),
        el("StackStatus", s.status), el("StackStatusReason", s.reason), el("DisableRollback", False),
        "<NotificationARNs/>", members("Capabilities", (escape(c) for c in s.capabilities)), outputs,
        tags_xml(s.tags), el("EnableTerminationProtection", False),
        "<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>"])


def describe_stacks(standin, req, form):
    if form.get("StackName"):
        stacks = [existing_stack(standin, form["StackName"])]
        nxt = ""
    else:
        stacks, nxt = page(standin, [s for s in reversed(standin.stacks) if s.live()], form, lambda s: s.id)
    return members("Stacks", (stack_xml(s) for s in stacks)) + nxt


def describe_stack_events(standin, req, form):
    s = existing_stack(standin, need(form, "StackName", "stackName"), "Stack [{}] does not exist")
    chunk, nxt = page(standin, list(reversed(s.events)), form, lambda e: e["EventId"])
    return members("StackEvents", ("".join(el(k, v) for k, v in e.items()) for e in chunk)) + nxt


def list_stacks(standin, req, form):
    wanted = set(member_list(form, "StackStatusFilter"))
    stacks = [s for s in reversed(standin.stacks) if not wanted or s.status in wanted]
    chunk, nxt = page(standin, stacks, form, lambda s: s.id)
    return members("StackSummaries", (
        el("StackId", s.id) + el("StackName", s.name) + el("CreationTime", aws_standin.amz_time(s.created))
        + el("StackStatus", s.status) + el("DeletionTime", s.deleted and aws_standin.amz_time(s.deleted))
        for s in chunk)) + nxt


def list_stack_resources(standin, req, form):
    s = existing_stack(standin, need(form, "StackName", "stackName"))
    chunk, nxt = page(standin, list(s.resources.values()), form, lambda r: r.lid)
    return members("StackResourceSummaries", (
        el("LogicalResourceId", r.lid) + el("PhysicalResourceId", r.physical) + el("ResourceType", r.type)
        + el("LastUpdatedTimestamp", aws_standin.amz_time(r.updated)) + el("ResourceStatus", r.status)
        for r in chunk)) + nxt


def delete_stack(standin, req, form):
    s = find_stack(standin, need(form, "StackName", "stackName"))
    if s is None or s.status in ("DELETE_COMPLETE", "DELETE_IN_PROGRESS"):
        return None
    if s.status.endswith("_IN_PROGRESS") and s.status != "REVIEW_IN_PROGRESS":
        raise invalid(f"Stack [{s.name}] cannot be deleted while in status {s.status}")
    s.set_status("DELETE_IN_PROGRESS", "User Initiated")
    standin.spawn(resources.delete_stack, standin, s)
    return None


def get_template(standin, req, form):
    if form.get("ChangeSetName"):
        cs = find_change_set(standin, form)
        body, processed = cs.template_body, cs.processed
    else:
        s = existing_stack(standin, need(form, "StackName", "stackName"))
        body, processed = s.template_body, s.processed
    if form.get("TemplateStage") == "Processed" and processed is not None:
        body = json.dumps(processed, indent=2)
    return el("TemplateBody", body) + members("StagesAvailable", ["Original", "Processed"])


ACTIONS = {
    "CreateChangeSet": create_change_set, "DescribeChangeSet": describe_change_set,
    "ExecuteChangeSet": execute_change_set, "DeleteChangeSet": delete_change_set,
    "DescribeStacks": describe_stacks, "DescribeStackEvents": describe_stack_events,
    "ListStacks": list_stacks, "ListStackResources": list_stack_resources,
    "DeleteStack": delete_stack, "GetTemplate": get_template,
}


def handle(standin, req, request_id):
    form = form_of(req)
    req.action = form.get("Action") or "(no Action)"
    fn = ACTIONS.get(req.action)
    if fn is None:
        raise AwsError(400, "InvalidAction", f"The action {req.action} is not valid for this web service.")
    if form.get("Version") != "2010-05-15":
        raise AwsError(400, "InvalidParameterValue" if form.get("Version") else "MissingParameter",
                       "The Version parameter must be 2010-05-15")
    with standin.lock:
        result = fn(standin, req, form)
    return 200, {"Content-Type": "text/xml"}, answer(req.action, result, request_id)
