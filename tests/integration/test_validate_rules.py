"""lamb validate's schema and name checks (issue 14): each rule trips on a
template written for it, at the exact line and column, with its rule id and,
for a name, the closest valid one; warnings never fail the run; --json and
-q; the project's own templates and samples give no error."""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run, project  # noqa: E402

HEAD = ["AWSTemplateFormatVersion: '2010-09-09'",
        "Transform: AWS::Serverless-2016-10-31"]


def function(name="Fn", extra=(), events=()):
    lines = [f"  {name}:",
             "    Type: AWS::Serverless::Function",
             "    Properties:",
             "      Runtime: python3.12",
             "      Handler: app.handler",
             "      CodeUri: src/"]
    lines += [f"      {e}" for e in extra]
    if events:
        lines.append("      Events:")
        lines += [f"        {e}" for e in events]
    return lines


def validate(lines, *args):
    """Runs lamb validate on the template of lines (src/ exists); returns
    (exit status, stderr)."""
    files = {"template.yaml": "\n".join(lines) + "\n", "src/app.py": "def handler(e, c):\n    return 1\n"}
    with project(files) as d:
        r = run("validate", *args, cwd=d, timeout=20)
    return r.returncode, r.stderr if "--json" not in args else r.stdout


class Rules(unittest.TestCase):
    def assertFinding(self, lines, where, text, rule, status=1):
        code, err = validate(lines)
        self.assertEqual(code, status, err)
        want = f"template.yaml:{where}: {'error' if status else 'warning'}: "
        found = [l for l in err.splitlines() if l.startswith(want) and l.endswith(f"[{rule}]")]
        self.assertTrue(found, f"no {want}... [{rule}] in:\n{err}")
        self.assertIn(text, found[0])
        return found[0]

    def test_unknown_resource_type(self):
        lines = HEAD + ["Resources:", "  Fn:", "    Type: AWS::Serverless::Functon"]
        self.assertFinding(lines, "5:11", "unknown resource type 'AWS::Serverless::Functon'; "
                           "did you mean `AWS::Serverless::Function`?", "unknown-type")

    def test_unknown_property_typo_transposition_case(self):
        lines = HEAD + ["Resources:"] + function(extra=["MemorySise: 512", "Tiemout: 3", "handler: x"])
        self.assertFinding(lines, "10:7", "unknown property 'MemorySise' in resource 'Fn' "
                           "(AWS::Serverless::Function); did you mean `MemorySize`?", "unknown-property")
        self.assertFinding(lines, "11:7", "did you mean `Timeout`?", "unknown-property")
        self.assertFinding(lines, "12:7", "did you mean `Handler`?", "unknown-property")

    def test_unknown_property_deep_in_cloudformation(self):
        lines = HEAD + ["Resources:",
                        "  Q:",
                        "    Type: AWS::SQS::Queue",
                        "    Properties:",
                        "      RedrivePolicy: {deadLetterTargetArn: x, maxReceiveCount: 3}",
                        "  T:",
                        "    Type: AWS::DynamoDB::Table",
                        "    Properties:",
                        "      KeySchema: [{AttributeName: id, KeyType: HASH}]",
                        "      AttributeDefinitions:",
                        "        - AttributeName: id",
                        "          AttributeTyp: S"]
        self.assertFinding(lines, "14:11", "unknown property 'AttributeTyp' in an item of "
                           "'AttributeDefinitions'; did you mean `AttributeType`?", "unknown-property")

    def test_unknown_event_property_per_event_type(self):
        lines = HEAD + ["Resources:"] + function(events=[
            "Hello:", "  Type: Api", "  Properties:", "    Paht: /hello", "    Method: get", "    Path: /h",
            "Q:", "  Type: SQS", "  Properties: {Queue: arn:aws:sqs:us-east-1:1:q, BatchSise: 5}",
            "S:", "  Type: Schedule", "  Properties: {Schedule: rate(1 day), Enabeld: true}",
            "K:", "  Type: Kinesis", "  Properties: {Stream: arn:s, StartingPosition: LATEST, Filters: x}"])
        self.assertFinding(lines, "14:13", "unknown property 'Paht' in the Api event 'Hello'; "
                           "did you mean `Path`?", "unknown-property")
        self.assertFinding(lines, "19:58", "did you mean `BatchSize`?", "unknown-property")
        self.assertFinding(lines, "22:47", "did you mean `Enabled`?", "unknown-property")
        self.assertFinding(lines, "25:65", "unknown property 'Filters' in the Kinesis event 'K'",
                           "unknown-property")

    # each event type the issue lists, with what it requires
    EVENTS = {
        "Api": ["Path: /a", "Method: get"], "HttpApi": ["Path: /h", "Method: get"],
        "Schedule": ["Schedule: rate(1 day)"], "ScheduleV2": ["ScheduleExpression: rate(1 day)"],
        "SQS": ["Queue: arn:aws:sqs:us-east-1:1:q"], "SNS": ["Topic: arn:aws:sns:us-east-1:1:t"],
        "S3": ["Bucket: !Ref Bucket", "Events: s3:ObjectCreated:*"],
        "DynamoDB": ["Stream: arn:s", "StartingPosition: LATEST"],
        "Kinesis": ["Stream: arn:s", "StartingPosition: LATEST"],
        "EventBridgeRule": ["Pattern: {source: [a]}"], "CloudWatchEvent": ["Pattern: {source: [a]}"],
        "CloudWatchLogs": ["LogGroupName: g", "FilterPattern: x"],
        "Cognito": ["UserPool: !Ref Pool", "Trigger: PreSignUp"], "IoTRule": ["Sql: SELECT 1"],
        "MSK": ["Stream: arn:k", "Topics: [t]", "StartingPosition: LATEST"],
        "MQ": ["Broker: arn:b", "Queues: [q]", "SourceAccessConfigurations: [{Type: BASIC_AUTH, URI: arn:s}]"],
        "SelfManagedKafka": ["Topics: [t]", "KafkaBootstrapServers: ['h:9092']",
                             "SourceAccessConfigurations: [{Type: BASIC_AUTH, URI: arn:s}]"],
        "DocumentDB": ["Cluster: arn:c", "DatabaseName: d", "StartingPosition: LATEST",
                       "SourceAccessConfigurations: [{Type: BASIC_AUTH, URI: arn:s}]"],
    }

    def test_unknown_property_in_every_event_type(self):
        events, where = [], {}
        for t, props in self.EVENTS.items():
            events += [f"E{t}:", f"  Type: {t}", "  Properties:"] + [f"    {p}" for p in props] + ["    Bogus: 1"]
            where[t] = len(HEAD) + 1 + 7 + len(events)  # the line of its Bogus
        lines = HEAD + ["Resources:"] + function(events=events) + [
            "  Bucket:", "    Type: AWS::S3::Bucket", "  Pool:", "    Type: AWS::Cognito::UserPool"]
        code, err = validate(lines)
        self.assertEqual(code, 1, err)
        for t in self.EVENTS:
            with self.subTest(event=t):
                self.assertIn(f"template.yaml:{where[t]}:13: error: unknown property 'Bogus' in the {t} "
                              f"event 'E{t}' [unknown-property]", err)
        self.assertEqual(err.count(": error: "), len(self.EVENTS), err)

    def test_pull_event_objects_as_cloudformation_reads_them(self):
        """What an SQS/Kinesis/... event hands its EventSourceMapping
        unchanged is checked as CloudFormation will; DestinationConfig,
        which SAM reshapes (OnFailure's Type), is left to SAM."""
        lines = HEAD + ["Resources:"] + function(events=[
            "Q:", "  Type: SQS", "  Properties:", "    Queue: arn:aws:sqs:us-east-1:1:q",
            "    ScalingConfig: {MaximumConcurency: 2}",
            "    FilterCriteria: {Filters: [{Patern: '{}'}]}",
            "K:", "  Type: Kinesis", "  Properties:", "    Stream: arn:s", "    StartingPosition: LATEST",
            "    DestinationConfig: {OnFailure: {Type: SQS, Destination: arn:q}}"])
        self.assertFinding(lines, "15:29", "unknown property 'MaximumConcurency' in 'ScalingConfig'; "
                           "did you mean `MaximumConcurrency`?", "unknown-property")
        self.assertFinding(lines, "16:41", "did you mean `Pattern`?", "unknown-property")
        code, err = validate(lines)
        self.assertEqual(err.count("[unknown-property]"), 2, err)

    def test_unknown_event_type(self):
        lines = HEAD + ["Resources:"] + function(events=["E:", "  Type: Sqs",
                                                          "  Properties: {Queue: arn:aws:sqs:us-east-1:1:q}"])
        self.assertFinding(lines, "11:9", "event 'E' has unknown Type 'Sqs'; did you mean `SQS`?", "bad-value")
        code, err = validate(lines)
        self.assertEqual(err.count("unknown Type"), 1, err)

    def test_wrong_type_and_intrinsics_allowed(self):
        lines = HEAD + ["Parameters:", "  Mem: {Type: Number, Default: 256}", "Resources:"] + function(extra=[
            "MemorySize: lots", "Timeout: !Ref Mem", "Layers: arn:aws:lambda:us-east-1:1:layer:x:1",
            "Environment: {Variables: {A: !Sub '${Mem}'}}"])
        self.assertFinding(lines, "12:19", "MemorySize must be a whole number, not 'lots'", "wrong-type")
        self.assertFinding(lines, "14:15", "Layers must be a list, not a string", "wrong-type")
        code, err = validate(lines)
        self.assertNotIn("Timeout", err)

    def test_missing_required_and_globals_fill_in(self):
        lines = HEAD + ["Resources:",
                        "  Role:",
                        "    Type: AWS::IAM::Role",
                        "    Properties:",
                        "      Path: /"]
        self.assertFinding(lines, "7:7", "resource 'Role' (AWS::IAM::Role) is missing required property "
                           "'AssumeRolePolicyDocument'", "missing-property")
        # an Api event needs Path and Method; Globals may give a required property
        lines = HEAD + ["Globals:", "  Function: {Runtime: python3.12}", "Resources:",
                        "  Fn:", "    Type: AWS::Serverless::Function",
                        "    Properties: {Handler: app.handler, CodeUri: src/}",
                        "  Ev:", "    Type: AWS::Events::Rule",
                        "    Properties: {ScheduleExpression: rate(1 day), Targets: [{Arn: x}]}"]
        self.assertFinding(lines, "11:61", "is missing required property 'Id'", "missing-property")

    def test_required_in_sams_own_structures_globals_counted(self):
        """SAM refuses a DeadLetterQueue without TargetArn; a Domain whose
        DomainName comes from Globals (merged key by key) is complete."""
        lines = HEAD + ["Globals:", "  Api:", "    Domain: {DomainName: example.com}", "Resources:"] + function(
            extra=["DeadLetterQueue: {Type: SQS}"]) + [
            "  Api:", "    Type: AWS::Serverless::Api", "    Properties:", "      StageName: prod",
            "      Domain: {CertificateArn: arn:aws:acm:us-east-1:1:certificate/x}"]
        self.assertFinding(lines, "13:24", "'DeadLetterQueue' is missing required property 'TargetArn'",
                           "missing-property")
        code, err = validate(lines)
        self.assertEqual(err.count("[missing-property]"), 1, err)

    def test_deployment_preference_needs_a_type_when_enabled(self):
        lines = HEAD + ["Parameters:", "  Off: {Type: String, Default: 'false'}", "Resources:"] \
            + function("A", extra=["AutoPublishAlias: live", "DeploymentPreference: {Alarms: []}"]) \
            + function("B", extra=["AutoPublishAlias: live", "DeploymentPreference: {Enabled: false}"]) \
            + function("C", extra=["AutoPublishAlias: live", "DeploymentPreference: {Enabled: !Ref Off}"]) \
            + function("D", extra=["AutoPublishAlias: live", "DeploymentPreference: {Type: AllAtOnce}"])
        self.assertFinding(lines, "13:29", "resource 'A' (AWS::Serverless::Function): 'DeploymentPreference' "
                           "is missing required property 'Type'", "missing-property")
        code, err = validate(lines)
        self.assertEqual(err.count("[missing-property]"), 1, err)

    def test_value_not_allowed(self):
        lines = HEAD + ["Resources:"] + function(
            extra=["Architectures: [x86-64]", "PackageType: zip"],
            events=["Hello:", "  Type: Api", "  Properties: {Path: /, Method: pots}",
                    "Any:", "  Type: HttpApi", "  Properties: {Path: /a, Method: ANY}"])
        self.assertFinding(lines, "10:22", "unknown architecture 'x86-64' (x86_64 or arm64); "
                           "did you mean `x86_64`?", "bad-value")
        self.assertFinding(lines, "11:20", "did you mean `Zip`?", "bad-value")
        self.assertFinding(lines, "15:41", "Method 'pots' is not an HTTP method", "bad-value")
        code, err = validate(lines)
        self.assertNotIn("ANY", err)
        self.assertEqual(err.count("x86-64"), 1, err)

    def test_runtime_checked_where_condition_is_false(self):
        lines = HEAD + ["Parameters:", "  Stage: {Type: String, Default: dev}",
                        "Conditions:", "  IsProd: !Equals [!Ref Stage, prod]", "Resources:",
                        "  Fn:", "    Type: AWS::Serverless::Function", "    Condition: IsProd",
                        "    Properties:", "      Runtime: python3.99", "      Handler: a.b", "      CodeUri: src/"]
        self.assertFinding(lines, "12:16", "'python3.99' is not an allowed value of 'Runtime'", "bad-value")

    def test_unknown_getatt_attribute(self):
        lines = HEAD + ["Resources:"] + function() + ["Outputs:", "  A:", "    Value: !GetAtt Fn.Nope",
                                                       "  B:", "    Value: !GetAtt Fn.Arn",
                                                       "  C:", "    Value: !GetAtt Fn.arn"]
        # no close name: the attributes it has are the fix
        line = self.assertFinding(lines, "12:12", "Fn has no attribute 'Nope' (AWS::Serverless::Function; "
                                  "it has ", "unknown-attribute")
        self.assertIn(", Arn, ", line)
        self.assertNotIn("*", line)
        self.assertFinding(lines, "16:12", "did you mean `Arn`?", "unknown-attribute")

    def test_ref_sub_dependson_to_nothing(self):
        lines = HEAD + ["Parameters:", "  Stage: {Type: String, Default: dev}", "Resources:"] + function() + [
            "  Q:", "    Type: AWS::SQS::Queue", "    DependsOn: [Fnn]",
            "    Properties: {QueueName: !Sub '${Stag}-q', Tags: [{Key: a, Value: !Ref Stge}]}"]
        self.assertFinding(lines, "14:17", "DependsOn undefined resource 'Fnn'; did you mean `Fn`?",
                           "unknown-ref")
        self.assertFinding(lines, "15:29", "'Stag'; did you mean `Stage`?", "unknown-ref")
        self.assertFinding(lines, "15:70", "'Stge'; did you mean `Stage`?", "unknown-ref")

    def test_unknown_condition_and_mapping(self):
        lines = HEAD + ["Conditions:", "  IsProd: !Equals [a, b]", "Mappings:", "  Sizes: {a: {b: 1}}",
                        "Resources:",
                        "  Q:", "    Type: AWS::SQS::Queue", "    Condition: IsProdd",
                        "    Properties:",
                        "      DelaySeconds: !If [IsPord, 1, !FindInMap [Sizs, a, b]]"]
        self.assertFinding(lines, "10:16", "undefined condition 'IsProdd'; did you mean `IsProd`?",
                           "unknown-condition")
        self.assertFinding(lines, "12:26", "did you mean `IsProd`?", "unknown-condition")
        self.assertFinding(lines, "12:49", "Fn::FindInMap of undefined mapping 'Sizs'; did you mean `Sizes`?",
                           "unknown-mapping")

    def test_schedule_expressions(self):
        lines = HEAD + ["Resources:"] + function(events=[
            "A: {Type: Schedule, Properties: {Schedule: cron(0 12 * * *)}}",
            "B: {Type: Schedule, Properties: {Schedule: cron(0 12 * * ? *)}}",
            "C: {Type: Schedule, Properties: {Schedule: cron(0 12 1 * MON *)}}",
            "D: {Type: Schedule, Properties: {Schedule: rate(1 minutes)}}",
            "E: {Type: Schedule, Properties: {Schedule: rate(5 minute)}}",
            "F: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}",
            "G: {Type: ScheduleV2, Properties: {ScheduleExpression: at(2030-01-01T00:00:00)}}",
            "I: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(5 minute)}}",
            "H: {Type: Schedule, Properties: {Schedule: every day}}"])
        self.assertFinding(lines, "11:52", "cron() takes six fields", "bad-schedule")
        self.assertFinding(lines, "13:52", "'?' in exactly one of day-of-month and day-of-week", "bad-schedule")
        self.assertFinding(lines, "14:52", "rate(1 minutes) must be singular: rate(1 minute)", "bad-schedule")
        self.assertFinding(lines, "15:52", "rate(5 minute) must be plural: rate(5 minutes)", "bad-schedule")
        self.assertFinding(lines, "19:52", "is rate(...) or cron(...), not 'every day'", "bad-schedule")
        code, err = validate(lines)
        self.assertEqual(err.count("[bad-schedule]"), 5, err)

    def test_cron_fields_within_their_ranges(self):
        lines = HEAD + ["Resources:"] + function(events=[
            "A: {Type: Schedule, Properties: {Schedule: cron(60 12 * * ? *)}}",
            "B: {Type: Schedule, Properties: {Schedule: cron(0 12 ? FOO MON *)}}",
            "C: {Type: Schedule, Properties: {Schedule: cron(0/0 12 ? * MON *)}}",
            "D: {Type: Schedule, Properties: {Schedule: cron(0 12 ? * 3#6 *)}}",
            "E: {Type: ScheduleV2, Properties: {ScheduleExpression: cron(0 24 * * ? *)}}",
            "F: {Type: Schedule, Properties: {Schedule: cron(0/15 8-17 ? * MON-FRI *)}}",
            "G: {Type: Schedule, Properties: {Schedule: cron(15 10 ? * 6L 2019-2022)}}",
            "H: {Type: Schedule, Properties: {Schedule: 'cron(0 0 LW jan,Dec ? 2199)'}}",
            "I: {Type: Schedule, Properties: {Schedule: cron(59 23 1W * ? *)}}",
            "J: {Type: Schedule, Properties: {Schedule: cron(0 0 ? * 3#2 *)}}"])
        self.assertFinding(lines, "11:52", "cron()'s minutes field takes 0-59, not 60", "bad-schedule")
        self.assertFinding(lines, "12:52", "cron()'s month field has 'FOO', which is no month name",
                           "bad-schedule")
        self.assertFinding(lines, "13:52", "takes 1-59 as a step, not 0 (in '0/0')", "bad-schedule")
        self.assertFinding(lines, "14:52", "takes 1-5 after '#', not 6 (in '3#6')", "bad-schedule")
        self.assertFinding(lines, "15:64", "cron()'s hours field takes 0-23, not 24", "bad-schedule")
        code, err = validate(lines)
        self.assertEqual(err.count("[bad-schedule]"), 5, err)

    def test_openapi_definition_names_missing_function(self):
        uri = ("arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
               "${Fnn.Arn}/invocations")
        lines = HEAD + ["Resources:"] + function() + [
            "  Api:", "    Type: AWS::Serverless::Api", "    Properties:", "      StageName: prod",
            "      DefinitionBody:", "        openapi: '3.0.1'", "        paths:", "          /hi:",
            "            get:", "              x-amazon-apigateway-integration:",
            "                type: aws_proxy", "                httpMethod: POST",
            f"                uri: !Sub '{uri}'"]
        self.assertFinding(lines, "22:22", "function 'Fnn'", "openapi-function")
        code, err = validate(lines)
        self.assertIn("did you mean `Fn`?", err)

    def test_allowed_pattern_matches_the_whole_value(self):
        lines = HEAD + ["Parameters:", "  Env: {Type: String, Default: abc1, AllowedPattern: '[a-z]+'}",
                        "Resources:", "  Q:", "    Type: AWS::SQS::Queue",
                        "    Properties: {QueueName: !Ref Env}"]
        code, err = validate(lines)
        self.assertEqual(code, 1, err)
        self.assertIn("template.yaml:4:32: error: parameter 'Env': value 'abc1' does not match "
                      "AllowedPattern '[a-z]+'", err)

    def test_warnings_never_fail(self):
        lines = HEAD + ["Parameters:", "  Unused: {Type: String, Default: x}",
                        "Conditions:", "  Never: !Equals [a, b]",
                        "Mappings:", "  M: {a: {b: c}}",
                        "Globals:", "  Function: {SnapStart: {ApplyOn: PublishedVersions}}",
                        "Resources:"] + function("A", extra=["Runtime: python3.9", "FunctionUrlConfig: {AuthType: NONE}",
                                                             "SnapStart: {ApplyOn: PublishedVersions}"]) \
            + function("B", extra=["Runtime: python3.9", "FunctionUrlConfig: {AuthType: NONE}"])
        lines = [l for l in lines if l != "      Runtime: python3.12"]
        self.assertFinding(lines, "4:3", "parameter 'Unused' is defined but never used", "unused-parameter", 0)
        self.assertFinding(lines, "6:3", "condition 'Never' is defined but never used", "unused-condition", 0)
        self.assertFinding(lines, "8:3", "mapping 'M' is defined but never used", "unused-mapping", 0)
        self.assertFinding(lines, "19:7", "SnapStart on python3.9: Lambda has SnapStart for python3.12 and "
                           "later only; lamb local runs it anyway", "not-emulated", 0)
        code, err = validate(lines)
        self.assertEqual(len([l for l in err.splitlines() if "SnapStart" in l]), 1, err)  # once
        self.assertNotIn("FunctionUrlConfig", err)  # start-api serves Function URLs
        self.assertEqual(err.count("Runtime 'python3.9' is deprecated"), 1, err)
        self.assertIn("[deprecated-runtime]", err)

    def test_not_emulated_authorizers_and_images(self):
        lines = HEAD + ["Resources:",
                        "  Api:", "    Type: AWS::Serverless::HttpApi", "    Properties:",
                        "      Auth:", "        Authorizers:",
                        "          Jwt: {JwtConfiguration: {issuer: https://x, audience: [a]},"
                        " IdentitySource: $request.header.Authorization}",
                        "  Rest:", "    Type: AWS::Serverless::Api", "    Properties:", "      StageName: prod",
                        "      Auth: {Authorizers: {Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:1:userpool/x}}}",
                        "  Img:", "    Type: AWS::Serverless::Function", "    Properties:",
                        "      PackageType: Image", "      ImageUri: 1.dkr.ecr.us-east-1.amazonaws.com/x:latest"]
        self.assertFinding(lines, "9:11", "a JWT authorizer: deployed as written", "not-emulated", 0)
        self.assertFinding(lines, "14:28", "a Cognito authorizer: deployed as written", "not-emulated", 0)
        self.assertFinding(lines, "18:20", "PackageType: Image: deployed as written", "not-emulated", 0)

    def test_snapstart_on_python312_says_nothing(self):
        lines = HEAD + ["Resources:"] + function("P", extra=["SnapStart: {ApplyOn: PublishedVersions}"])
        code, err = validate(lines)
        self.assertEqual(code, 0, err)
        self.assertNotIn("SnapStart", err)

    def test_snapstart_outside_python_is_not_emulated(self):
        lines = HEAD + ["Resources:"] + function("J", extra=["SnapStart: {ApplyOn: PublishedVersions}"])
        lines = [l.replace("Runtime: python3.12", "Runtime: nodejs20.x") for l in lines]
        self.assertFinding(lines, "10:7", "SnapStart on nodejs20.x: deployed as written; lamb local runs SnapStart "
                           "for Python runtimes only", "not-emulated", 0)

    def test_template_keys_with_the_name_meant(self):
        """What no resource schema describes: sections, resource attributes
        (an error for CloudFormation, which refuses them; a warning for SAM,
        whose transform drops them), parameter and output keys, Globals,
        a parameter's Type."""
        lines = HEAD + ["Parameters:", "  Stage: {Type: Strin, Defualt: dev}",
                        "Globals:", "  Function: {MemorySise: 128}", "  Functon: {}",
                        "Resource: {}",
                        "Resources:",
                        "  Q:", "    Type: AWS::SQS::Queue", "    Propertes: {}", "    Description: kept",
                        "  Fn:", "    Type: AWS::Serverless::Function", "    Condtion: x",
                        "    Properties: {Runtime: python3.12, Handler: a.b, CodeUri: src/}",
                        "Outputs:", "  O:", "    Value: !Ref Stage", "    Valeu: 1", "    Export: {Nam: x}"]
        self.assertFinding(lines, "4:24", "unknown key 'Defualt' in parameter 'Stage'; did you mean `Default`?",
                           "unknown-property")
        self.assertFinding(lines, "4:17", "unknown Type 'Strin'", "bad-value")
        self.assertFinding(lines, "6:14", "did you mean `MemorySize`?", "unknown-property")
        self.assertFinding(lines, "7:3", "did you mean `Function`?", "unknown-property")
        self.assertFinding(lines, "8:1", "unknown top-level section 'Resource'; did you mean `Resources`?",
                           "unknown-property")
        self.assertFinding(lines, "12:5", "unknown attribute 'Propertes' in resource 'Q'; "
                           "did you mean `Properties`?", "unknown-property")
        self.assertFinding(lines, "21:5", "unknown key 'Valeu' in output 'O'; did you mean `Value`?",
                           "unknown-property")
        self.assertFinding(lines, "22:13", "the Export of output 'O' has no Name", "missing-property")
        self.assertFinding(lines, "22:14", "unknown key 'Nam' in the Export of output 'O'; did you mean `Name`?",
                           "unknown-property")
        code, err = validate(lines)
        self.assertIn("template.yaml:16:5: warning: unknown resource attribute 'Condtion'; "
                      "did you mean `Condition`? [unknown-property]", err)
        self.assertNotIn("Description", err)
        self.assertNotIn("template.yaml:12:5: warning", err)  # the error replaces the loader's warning

    def test_not_emulated_authorizers_in_api_gateways_own_words(self):
        """An Authorizer resource or an OpenAPI security scheme that is
        Cognito or JWT: lamb serves its routes open, and says so once."""
        lines = HEAD + ["Resources:",
                        "  Rest:", "    Type: AWS::ApiGateway::RestApi", "    Properties: {Name: r}",
                        "  Pool:", "    Type: AWS::ApiGateway::Authorizer",
                        "    Properties: {RestApiId: !Ref Rest, Name: p, Type: COGNITO_USER_POOLS,"
                        " ProviderARNs: [arn:aws:cognito-idp:us-east-1:1:userpool/x], IdentitySource: "
                        "method.request.header.Authorization}",
                        "  Http:", "    Type: AWS::ApiGatewayV2::Api", "    Properties:",
                        "      Body:", "        openapi: '3.0.1'", "        components:",
                        "          securitySchemes:", "            jwt:",
                        "              type: oauth2",
                        "              x-amazon-apigateway-authorizer:",
                        "                type: jwt",
                        "                jwtConfiguration: {issuer: 'https://x', audience: [a]}",
                        "  Other:", "    Type: AWS::ApiGatewayV2::Authorizer",
                        "    Properties: {ApiId: !Ref Http, Name: o, AuthorizerType: JWT,"
                        " IdentitySource: [$request.header.Authorization],"
                        " JwtConfiguration: {Issuer: 'https://x', Audience: [a]}}"]
        self.assertFinding(lines, "9:55", "a Cognito authorizer: deployed as written", "not-emulated", 0)
        self.assertFinding(lines, "20:23", "a JWT authorizer: deployed as written", "not-emulated", 0)
        code, err = validate(lines)
        self.assertEqual(err.count("a JWT authorizer"), 1, err)

    def test_emulated_properties_give_no_warning(self):
        lines = HEAD + ["Resources:"] + function(extra=[
            "FunctionUrlConfig: {AuthType: NONE}", "TenancyConfig: {TenantIsolationMode: PER_TENANT}",
            "LoggingConfig: {LogFormat: JSON}"])
        code, err = validate(lines)
        self.assertEqual((code, err.count("warning")), (0, 0), err)

    def test_transform_warning_only_for_sam(self):
        """A plain CloudFormation template needs no SAM transform; one with a
        SAM resource and no Transform is warned about."""
        plain = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:", "  Q:", "    Type: AWS::SQS::Queue"]
        code, err = validate(plain)
        self.assertEqual((code, err.count("warning")), (0, 0), err)
        sam = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"] + function()
        code, err = validate(sam)
        self.assertIn("template.yaml:1:1: warning: no 'Transform: AWS::Serverless-2016-10-31'", err)

    def test_dependson_takes_names(self):
        lines = HEAD + ["Resources:", "  Q:", "    Type: AWS::SQS::Queue", "    DependsOn: !Ref Q"]
        self.assertFinding(lines, "6:16", "DependsOn takes resource names, not an intrinsic function",
                           "wrong-type")

    def test_json_and_quiet(self):
        lines = HEAD + ["Parameters:", "  Unused: {Type: String, Default: x}", "Resources:"] \
            + function(extra=["MemorySise: 512"])
        code, out = validate(lines, "--json")
        self.assertEqual(code, 1)
        found = {d["rule"]: d for d in json.loads(out)}
        self.assertEqual(found["unknown-property"], {
            "rule": "unknown-property", "severity": "error", "file": "template.yaml", "line": 12,
            "column": 7, "suggestion": "MemorySize",
            "message": "unknown property 'MemorySise' in resource 'Fn' (AWS::Serverless::Function); "
                       "did you mean `MemorySize`?"})
        self.assertEqual(found["unused-parameter"]["severity"], "warning")
        self.assertIsNone(found["unused-parameter"]["suggestion"])
        code, err = validate(lines, "-q")
        self.assertEqual(code, 1)
        self.assertNotIn("warning", err)
        self.assertIn("[unknown-property]", err)
        code, out = validate(lines, "--json", "-q")
        self.assertEqual([d["severity"] for d in json.loads(out)], ["error"])

    def test_own_templates_and_samples_give_no_error(self):
        root = lambtest.SOURCE_ROOT
        samples = os.path.join(root, "sample-functions")
        for s in sorted(os.listdir(samples)):
            if os.path.isfile(os.path.join(samples, s, "template.yaml")):
                with self.subTest(sample=s):
                    r = run("-C", os.path.join(samples, s), "validate", "-q", timeout=20)
                    self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_bench_templates_give_no_error(self):
        """The templates the benchmarks write: the Python ones' TEMPLATE
        strings (each runtime and API kind they use), template-load's
        generated one (its awk program, at 3 functions)."""
        root = lambtest.SOURCE_ROOT
        found = 0
        for name in sorted(os.listdir(os.path.join(root, "bench"))):
            with open(os.path.join(root, "bench", name), errors="replace") as f:
                text = f.read()
            for body in re.findall(r'"""\\?\n(AWSTemplateFormatVersion.*?)"""', text, re.S):
                for api in ("Api", "HttpApi"):
                    found += 1
                    tmpl = body.replace("{runtime}", "python3.12").replace("{handler}", "app.handler") \
                        .replace("{api}", api)
                    with self.subTest(bench=name, api=api):
                        code, err = self.validate_text(tmpl)
                        self.assertEqual((code, [l for l in err.splitlines() if ": error: " in l]), (0, []), err)
            gen = re.search(r"awk -v n=\"\$1\" '(.*?)'\n}", text, re.S)
            if gen:
                found += 1
                out = subprocess.run(["awk", "-v", "n=3", gen.group(1)], capture_output=True, text=True,
                                     check=True).stdout
                with self.subTest(bench=name, generated=True):
                    code, err = self.validate_text(out, layer=True)
                    self.assertEqual((code, [l for l in err.splitlines() if ": error: " in l]), (0, []), err)
        self.assertGreaterEqual(found, 9)

    def validate_text(self, text, layer=False):
        files = {"template.yaml": text, "src/app.py": "def handler(e, c):\n    return 1\n",
                 "fn/app.py": "def handler(e, c):\n    return 1\n", "app.py": "def handler(e, c):\n    return 1\n"}
        if layer:
            files["layer/python/x.py"] = "X = 1\n"
        with project(files) as d:
            r = run("validate", cwd=d, timeout=20)
        return r.returncode, r.stderr


if __name__ == "__main__":
    lambtest.main()
