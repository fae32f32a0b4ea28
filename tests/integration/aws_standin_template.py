"""Templates for the AWS stand-in's CloudFormation (see aws_standin.py):
parsing (YAML with the short intrinsic tags, or JSON), the checks
CloudFormation makes before it accepts one, the SAM transform (roughly
the resources AWS's translator emits, with its error messages), the
capabilities a template needs, and resolving intrinsics at execution."""
import base64
import copy
import hashlib
import json
import re

import yaml

SAM = "AWS::Serverless-2016-10-31"
TOP_KEYS = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
            "Transform", "Resources", "Outputs", "Rules", "Globals"}
IAM_TYPES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
             "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::Policy": None,
             "AWS::IAM::InstanceProfile": "InstanceProfileName", "AWS::IAM::AccessKey": None}
LAMBDA_ASSUME = {"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
                                                         "Principal": {"Service": ["lambda.amazonaws.com"]}}]}
BASIC_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


class TemplateError(Exception):
    """A template CloudFormation refuses; the message is AWS's."""


class CfnLoader(yaml.SafeLoader):
    """YAML as CloudFormation reads it: !Ref and friends, no timestamps."""


CfnLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _short_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _short_tag)


def parse(text):
    """The template as a dict; TemplateError as CloudFormation words it."""
    if text.lstrip().startswith("{"):
        try:
            t = json.loads(text)
        except ValueError as e:
            raise TemplateError(f"Template format error: JSON not well-formed. (line {e.lineno}, column {e.colno})")
    else:
        try:
            t = yaml.load(text, Loader=CfnLoader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise TemplateError("Template format error: YAML not well-formed." + where)
    if not isinstance(t, dict):
        raise TemplateError("Template format error: YAML not well-formed.")
    extra = sorted(k for k in t if k not in TOP_KEYS)
    if extra:
        raise TemplateError(f"Template format error: Invalid template property or properties [{', '.join(extra)}]")
    for key in ("Parameters", "Mappings", "Conditions", "Outputs", "Globals", "Metadata"):
        if key in t and not isinstance(t[key], dict):
            raise TemplateError(f"Template format error: {key} must be an object")
    for name, p in (t.get("Parameters") or {}).items():
        if not isinstance(p, dict) or "Type" not in p:
            raise TemplateError("Template format error: Every Parameters object must contain a Type member.")
    for name, o in (t.get("Outputs") or {}).items():
        if not isinstance(o, dict) or "Value" not in o:
            raise TemplateError("Template format error: Every Outputs member must contain a Value object")
    if not isinstance(t.get("Resources"), dict) or not t["Resources"]:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for lid, r in t["Resources"].items():
        if not isinstance(r, dict) or not isinstance(r.get("Type"), str):
            raise TemplateError(f"Template format error: [/Resources/{lid}] Every Resources object must "
                                "contain a Type member.")
    return t


def transforms(t):
    tr = t.get("Transform") or []
    return [tr] if isinstance(tr, str) else list(tr)


# ---- references ------------------------------------------------------------

def references(v):
    """The names a value refers to through Ref, Fn::GetAtt and Fn::Sub."""
    out = set()
    if isinstance(v, list):
        for x in v:
            out |= references(x)
    elif isinstance(v, dict):
        for k, a in v.items():
            if k == "Ref" and isinstance(a, str):
                out.add(a)
            elif k == "Fn::GetAtt":
                parts = a.split(".", 1) if isinstance(a, str) else a
                if parts and isinstance(parts[0], str):
                    out.add(parts[0])
            elif k == "Fn::Sub":
                text, local = (a, {}) if isinstance(a, str) else (a[0], a[1] if len(a) > 1 else {})
                names = {n.split(".")[0] for n in re.findall(r"\$\{([^!}][^}]*)\}", str(text))}
                out |= names - set(local or {})
                out |= references(local)
            else:
                out |= references(a)
    return out


def check_references(t):
    """Every Ref/GetAtt/Sub/DependsOn names a parameter, resource or pseudo
    parameter, as CloudFormation checks before accepting a template."""
    known = set(t.get("Parameters") or {}) | set(t["Resources"])
    for block in ("Resources", "Outputs"):
        missing = set()
        for body in (t.get(block) or {}).values():
            refs = references(body)
            if block == "Resources" and isinstance(body, dict):
                dep = body.get("DependsOn") or []
                refs |= {dep} if isinstance(dep, str) else set(dep)
            missing |= {r for r in refs if not r.startswith("AWS::") and r not in known}
        if missing:
            raise TemplateError(f"Template format error: Unresolved resource dependencies "
                                f"[{', '.join(sorted(missing))}] in the {block} block of the template")


def dependencies(t):
    """The resources each resource depends on (Ref/GetAtt/Sub/DependsOn)."""
    res = t["Resources"]
    out = {}
    for lid, body in res.items():
        dep = body.get("DependsOn") or []
        refs = references(body.get("Properties") or {}) | ({dep} if isinstance(dep, str) else set(dep))
        out[lid] = {r for r in refs if r in res and r != lid}
    return out


def creation_order(t):
    """Resources in an order that creates dependencies first (template order
    otherwise)."""
    deps, done, order = dependencies(t), set(), []

    def visit(lid, seen=()):
        if lid in done or lid in seen:
            return
        for d in sorted(deps[lid], key=list(deps).index):
            visit(d, seen + (lid,))
        done.add(lid)
        order.append(lid)
    for lid in deps:
        visit(lid)
    return order


def required_capability(t):
    """CAPABILITY_IAM / CAPABILITY_NAMED_IAM when the template creates IAM
    resources (named ones need the latter), else None."""
    need = None
    for body in t["Resources"].values():
        typ = body.get("Type")
        if typ in IAM_TYPES:
            need = need or "CAPABILITY_IAM"
            if IAM_TYPES[typ] and IAM_TYPES[typ] in (body.get("Properties") or {}):
                need = "CAPABILITY_NAMED_IAM"
    return need


# ---- the SAM transform -----------------------------------------------------

def s3_location(value, prop, lid, errors, keys=("S3Bucket", "S3Key", "S3ObjectVersion")):
    """CodeUri/ContentUri/DefinitionUri as S3 {bucket, key}, or an error
    recorded as the translator words it."""
    if isinstance(value, dict) and "Bucket" in value and "Key" in value:
        loc = {keys[0]: value["Bucket"], keys[1]: value["Key"]}
        if value.get("Version"):
            loc[keys[2]] = value["Version"]
        return loc
    m = re.fullmatch(r"s3://([^/?]+)/([^?]+)(?:\?versionId=(.+))?", value) if isinstance(value, str) else None
    if m:
        loc = {keys[0]: m.group(1), keys[1]: m.group(2)}
        if m.group(3):
            loc[keys[2]] = m.group(3)
        return loc
    errors.append(f"Resource with id [{lid}] is invalid. '{prop}' is not a valid S3 Uri of the form "
                  "'s3://bucket/key' with optional versionId query parameter.")
    return None


def merge_globals(g, p):
    if isinstance(g, dict) and isinstance(p, dict):
        out = dict(g)
        for k, v in p.items():
            out[k] = merge_globals(g[k], v) if k in g else v
        return out
    return p


def short_hash(v):
    return hashlib.sha1(json.dumps(v, sort_keys=True, default=str).encode()).hexdigest()[:10]


FUNCTION_PROPS = ("Handler", "Runtime", "MemorySize", "Timeout", "Environment", "Layers", "Architectures",
                  "Description", "FunctionName", "VpcConfig", "ReservedConcurrentExecutions", "EphemeralStorage",
                  "PackageType", "ImageConfig", "KmsKeyArn", "FileSystemConfigs", "LoggingConfig", "SnapStart")


class SamTransform:
    def __init__(self, t):
        self.t = copy.deepcopy(t)
        self.globals = self.t.pop("Globals", None) or {}
        self.out, self.errors, self.apis = {}, [], {}  # apis: id -> {"kind", "paths", "stage"}

    def run(self):
        self.t["Transform"] = [x for x in transforms(self.t) if x != SAM] or None
        if self.t["Transform"] is None:
            del self.t["Transform"]
        for lid, r in self.t["Resources"].items():
            typ = r["Type"]
            kind = typ.rpartition("::")[2]
            props = merge_globals(self.globals.get(kind) or {}, r.get("Properties") or {})
            fn = {"AWS::Serverless::Function": self.function, "AWS::Serverless::LayerVersion": self.layer,
                  "AWS::Serverless::Api": self.api, "AWS::Serverless::HttpApi": self.api,
                  "AWS::Serverless::SimpleTable": self.table}.get(typ)
            if fn:
                fn(lid, props, r)
            else:
                self.out[lid] = r
        self.finish_apis()
        if self.errors:
            raise TemplateError(f"Transform {SAM} failed with: Invalid Serverless Application Specification "
                                f"document. Number of errors found: {len(self.errors)}. " + " ".join(self.errors))
        self.t["Resources"] = self.out
        return self.t

    def add(self, lid, typ, props, src=None, **extra):
        r = {"Type": typ, "Properties": props, **extra}
        for k in ("DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"):
            if src and k in src:
                r[k] = src[k]
        self.out[lid] = r

    def function(self, lid, p, src):
        if p.get("PackageType") == "Image":
            code = {"ImageUri": p.get("ImageUri")}
        elif "InlineCode" in p and "CodeUri" in p:
            self.errors.append(f"Resource with id [{lid}] is invalid. Only one of 'InlineCode' or 'CodeUri' "
                               "can be set.")
            return
        elif "InlineCode" in p:
            code = {"ZipFile": p["InlineCode"]}
        elif "CodeUri" in p:
            code = s3_location(p["CodeUri"], "CodeUri", lid, self.errors)
        else:
            self.errors.append(f"Resource with id [{lid}] is invalid. Either 'InlineCode' or 'CodeUri' must be set.")
            return
        props = {"Code": code, **{k: p[k] for k in FUNCTION_PROPS if k in p}}
        if "Tracing" in p:
            props["TracingConfig"] = {"Mode": p["Tracing"]}
        props["Tags"] = [{"Key": "lambda:createdBy", "Value": "SAM"}] + [
            {"Key": k, "Value": v} for k, v in (p.get("Tags") or {}).items()]
        if "Role" in p:
            props["Role"] = p["Role"]
        else:
            props["Role"] = {"Fn::GetAtt": [lid + "Role", "Arn"]}
            self.role(lid, p)
        self.add(lid, "AWS::Lambda::Function", props, src)
        for name, ev in (p.get("Events") or {}).items():
            self.event(lid, name, ev if isinstance(ev, dict) else {})
        if p.get("AutoPublishAlias"):
            version = f"{lid}Version{short_hash(props)}"
            self.add(version, "AWS::Lambda::Version", {"FunctionName": {"Ref": lid}}, DeletionPolicy="Retain")
            self.add(f"{lid}Alias{p['AutoPublishAlias']}", "AWS::Lambda::Alias",
                     {"Name": p["AutoPublishAlias"], "FunctionName": {"Ref": lid},
                      "FunctionVersion": {"Fn::GetAtt": [version, "Version"]}})
        url = p.get("FunctionUrlConfig")
        if isinstance(url, dict):
            self.add(lid + "Url", "AWS::Lambda::Url", {"AuthType": url.get("AuthType", "AWS_IAM"),
                                                       "TargetFunctionArn": {"Ref": lid}})
            if url.get("AuthType") == "NONE":
                self.permission(lid + "UrlPublicPermissions", lid, "*", action="lambda:InvokeFunctionUrl")

    def role(self, lid, p):
        managed, inline = [BASIC_ROLE], []
        pols = p.get("Policies") or []
        for i, pol in enumerate([pols] if isinstance(pols, (str, dict)) else pols):
            if isinstance(pol, str):
                managed.append(pol if pol.startswith("arn:") else "arn:aws:iam::aws:policy/" + pol)
            elif isinstance(pol, dict) and "Statement" in pol:
                inline.append({"PolicyName": f"{lid}RolePolicy{i}", "PolicyDocument": pol})
            elif isinstance(pol, dict):  # a SAM policy template: its statements, roughly
                inline.append({"PolicyName": f"{lid}RolePolicy{i}", "PolicyDocument": {
                    "Statement": [{"Effect": "Allow", "Action": [next(iter(pol), "")], "Resource": "*"}]}})
        props = {"AssumeRolePolicyDocument": LAMBDA_ASSUME, "ManagedPolicyArns": managed,
                 "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]}
        if inline:
            props["Policies"] = inline
        for k in ("PermissionsBoundary", "RolePath"):
            if k in p:
                props[k.replace("RolePath", "Path")] = p[k]
        self.add(lid + "Role", "AWS::IAM::Role", props)

    def permission(self, pid, fn, principal, source_arn=None, action="lambda:InvokeFunction"):
        props = {"Action": action, "FunctionName": {"Ref": fn}, "Principal": principal}
        if source_arn:
            props["SourceArn"] = source_arn
        self.add(pid, "AWS::Lambda::Permission", props)

    def event(self, lid, name, ev):
        typ, p = ev.get("Type"), ev.get("Properties") or {}
        if typ in ("Api", "HttpApi"):
            ref = p.get("RestApiId" if typ == "Api" else "ApiId")
            api = ref["Ref"] if isinstance(ref, dict) and "Ref" in ref else (
                "ServerlessRestApi" if typ == "Api" else "ServerlessHttpApi")
            info = self.apis.setdefault(api, {"kind": typ, "paths": {}, "implicit": ref is None})
            path, method = p.get("Path", "/"), str(p.get("Method", "any")).lower()
            info["paths"].setdefault(path, {})[method] = lid
            stage = "Prod" if typ == "Api" else ""
            arn = {"Fn::Sub": ["arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/"
                               "${__Stage__}/" + ("*" if method == "any" else method.upper()) + path,
                               {"__ApiId__": {"Ref": api}, "__Stage__": "*"}]}
            self.permission(f"{lid}{name}Permission{stage}", lid, "apigateway.amazonaws.com", arn)
        elif typ in ("Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule"):
            rule = {k: p[k] for k in ("ScheduleExpression", "Schedule", "Pattern", "EventBusName") if k in p}
            if "Schedule" in rule:
                rule["ScheduleExpression"] = rule.pop("Schedule")
            if "Pattern" in rule:
                rule["EventPattern"] = rule.pop("Pattern")
            rule["Targets"] = [{"Arn": {"Fn::GetAtt": [lid, "Arn"]}, "Id": f"{lid}{name}LambdaTarget"}]
            self.add(f"{lid}{name}", "AWS::Events::Rule", rule)
            self.permission(f"{lid}{name}Permission", lid, "events.amazonaws.com",
                            {"Fn::GetAtt": [f"{lid}{name}", "Arn"]})
        elif typ in ("SQS", "Kinesis", "DynamoDB", "MSK", "MQ"):
            source = p.get("Queue") or p.get("Stream") or p.get("Broker")
            props = {"FunctionName": {"Ref": lid}, "EventSourceArn": source}
            props.update({k: p[k] for k in ("BatchSize", "Enabled", "StartingPosition") if k in p})
            self.add(f"{lid}{name}", "AWS::Lambda::EventSourceMapping", props)
        elif typ == "SNS":
            self.add(f"{lid}{name}", "AWS::SNS::Subscription", {"Endpoint": {"Fn::GetAtt": [lid, "Arn"]},
                                                               "Protocol": "lambda", "TopicArn": p.get("Topic")})
            self.permission(f"{lid}{name}Permission", lid, "sns.amazonaws.com", p.get("Topic"))
        else:
            self.permission(f"{lid}{name}Permission", lid, f"{str(typ).lower()}.amazonaws.com")

    def api(self, lid, p, src):
        http = src["Type"] == "AWS::Serverless::HttpApi"
        if not http and "StageName" not in p:
            self.errors.append(f"Resource with id [{lid}] is invalid. Property 'StageName' is required.")
            return
        info = self.apis.setdefault(lid, {"kind": "HttpApi" if http else "Api", "paths": {}})
        info.update(implicit=False, props=p, src=src)

    def finish_apis(self):
        for lid, info in self.apis.items():
            p = info.get("props") or {}
            if not info.get("implicit", True) and "props" not in info:
                continue  # an event names an Api that is not a SAM one: left to CloudFormation
            body = p.get("DefinitionBody") or self.definition(info)
            props = {"Body": body}
            if "DefinitionUri" in p:
                loc = s3_location(p["DefinitionUri"], "DefinitionUri", lid, self.errors, ("Bucket", "Key", "Version"))
                props = {"BodyS3Location": loc}
            if info["kind"] == "HttpApi":
                self.add(lid, "AWS::ApiGatewayV2::Api", props, info.get("src"))
                stage = p.get("StageName", "$default")
                sid = lid + ("ApiGatewayDefaultStage" if stage == "$default" else f"{stage}Stage")
                self.add(sid, "AWS::ApiGatewayV2::Stage", {"ApiId": {"Ref": lid}, "StageName": stage,
                                                           "AutoDeploy": True})
            else:
                props["Name"] = p.get("Name", {"Ref": "AWS::StackName"})
                self.add(lid, "AWS::ApiGateway::RestApi", props, info.get("src"))
                dep = f"{lid}Deployment{short_hash(props)}"
                self.add(dep, "AWS::ApiGateway::Deployment", {"RestApiId": {"Ref": lid}, "StageName": "Stage",
                                                              "Description": f"RestApi deployment id: {dep}"})
                stage = p.get("StageName", "Prod")
                self.add(f"{lid}{stage}Stage", "AWS::ApiGateway::Stage",
                         {"DeploymentId": {"Ref": dep}, "RestApiId": {"Ref": lid}, "StageName": stage})

    @staticmethod
    def definition(info):
        paths = {}
        for path, methods in info["paths"].items():
            for method, fn in methods.items():
                uri = {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                                  f"functions/${{{fn}.Arn}}/invocations"}
                key = "x-amazon-apigateway-any-method" if method == "any" else method
                paths.setdefault(path, {})[key] = {"x-amazon-apigateway-integration": {
                    "httpMethod": "POST", "type": "aws_proxy", "uri": uri}}
        if info["kind"] == "HttpApi":
            return {"openapi": "3.0.1", "info": {"title": {"Ref": "AWS::StackName"}}, "paths": paths}
        return {"swagger": "2.0", "info": {"title": {"Ref": "AWS::StackName"}}, "paths": paths}

    def layer(self, lid, p, src):
        loc = s3_location(p.get("ContentUri"), "ContentUri", lid, self.errors)
        props = {"Content": loc, "LayerName": p.get("LayerName", lid)}
        props.update({k: p[k] for k in ("CompatibleRuntimes", "CompatibleArchitectures", "Description",
                                        "LicenseInfo") if k in p})
        self.add(lid, "AWS::Lambda::LayerVersion", props, src, DeletionPolicy="Retain")

    def table(self, lid, p, src):
        key = p.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        props = {"AttributeDefinitions": [{"AttributeName": key.get("Name"),
                                           "AttributeType": str(key.get("Type", "S"))[0]}],
                 "KeySchema": [{"AttributeName": key.get("Name"), "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
        if "TableName" in p:
            props["TableName"] = p["TableName"]
        self.add(lid, "AWS::DynamoDB::Table", props, src)


def process(t):
    """The template as CloudFormation executes it: SAM expanded, references
    checked. TemplateError otherwise."""
    tr = transforms(t)
    unknown = [x for x in tr if x != SAM]
    if unknown:
        raise TemplateError(f"Template format error: Unsupported transform {unknown[0]} (this stand-in "
                            f"knows only {SAM})")
    try:
        if tr:
            t = SamTransform(t).run()
        check_references(t)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as e:
        # a value of the wrong shape somewhere: refused, as AWS would
        if tr:
            raise TemplateError(f"Transform {SAM} failed with: Invalid Serverless Application Specification "
                                f"document. Number of errors found: 1. Structure of the template is invalid ({e}).")
        raise TemplateError(f"Template format error: a value has the wrong type ({e})")
    return t


def translate(text):
    """A template's text as CloudFormation would execute it (SAM expanded),
    or TemplateError with the message AWS gives: an offline stand-in for
    aws-sam-translator's check that a packaged template is deployable."""
    return process(parse(text))


# ---- intrinsics at execution -----------------------------------------------

class Resolver:
    """Evaluates intrinsics with the stack's parameters, pseudo parameters
    and the resources created so far (refs: lid -> physical id; attrs:
    (lid, name) -> value)."""

    def __init__(self, template, params, pseudo, refs, attrs):
        self.t, self.params, self.pseudo, self.refs, self.attrs = template, params, pseudo, refs, attrs
        self.conditions = {}
        for name, c in (template.get("Conditions") or {}).items():
            self.conditions[name] = bool(self.resolve(c))

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            v = self.params[name]
            ptype = ((self.t.get("Parameters") or {}).get(name) or {}).get("Type", "")
            return v.split(",") if "List" in ptype else v
        return self.refs.get(name, name)

    def getatt(self, lid, attr):
        return self.attrs(lid, attr)

    def sub(self, text, local):
        def repl(m):
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name:
                return str(self.getatt(*name.split(".", 1)))
            v = self.ref(name)
            return ",".join(v) if isinstance(v, list) else str(v)
        return re.sub(r"\$\{([^}]+)\}", repl, text)

    def resolve(self, v):
        if isinstance(v, list):
            return [x for x in (self.resolve(x) for x in v) if x is not NOVALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            k, a = next(iter(v.items()))
            fn = self.FUNCTIONS.get(k)
            if fn:
                return fn(self, a)
        out = {k: self.resolve(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x is not NOVALUE}

    def _ref(self, a):
        return NOVALUE if a == "AWS::NoValue" else self.ref(a)

    def _getatt(self, a):
        lid, attr = a.split(".", 1) if isinstance(a, str) else a
        return self.getatt(lid, self.resolve(attr))

    def _sub(self, a):
        text, local = (a, {}) if isinstance(a, str) else (a[0], self.resolve(a[1]) if len(a) > 1 else {})
        return self.sub(text, local)

    def _join(self, a):
        sep, items = a
        return str(sep).join(str(x) for x in self.resolve(items))

    def _if(self, a):
        return self.resolve(a[1] if self.conditions.get(a[0]) else a[2])

    FUNCTIONS = {
        "Ref": _ref, "Fn::GetAtt": _getatt, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::If": _if,
        "Fn::Select": lambda s, a: s.resolve(a[1])[int(s.resolve(a[0]))],
        "Fn::Split": lambda s, a: str(s.resolve(a[1])).split(a[0]),
        "Fn::Base64": lambda s, a: base64.b64encode(str(s.resolve(a)).encode()).decode(),
        "Fn::GetAZs": lambda s, a: [s.pseudo["AWS::Region"] + z for z in "abc"],
        "Fn::FindInMap": lambda s, a: s.t["Mappings"][s.resolve(a[0])][s.resolve(a[1])][s.resolve(a[2])],
        "Fn::Equals": lambda s, a: s.resolve(a[0]) == s.resolve(a[1]),
        "Fn::Not": lambda s, a: not s.resolve(a[0]),
        "Fn::And": lambda s, a: all(s.resolve(x) for x in a),
        "Fn::Or": lambda s, a: any(s.resolve(x) for x in a),
        "Condition": lambda s, a: s.conditions.get(a, False),
        "Fn::ImportValue": lambda s, a: str(s.resolve(a)),
    }


NOVALUE = object()
