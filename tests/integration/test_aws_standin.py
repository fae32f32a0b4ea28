"""The AWS stand-in (aws_standin.py) driven by AWS's own clients: boto3,
the AWS CLI and curl's --aws-sigv4 (libcurl's signer, the one lamb uses).
They sign as AWS expects, so these tests show that the stand-in checks
SigV4 as AWS does and answers in shapes AWS's clients parse."""
import hashlib
import hmac
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lambtest import main  # noqa: E402

try:
    import boto3
    import botocore
    import botocore.config
    from botocore.exceptions import ClientError
except ImportError:
    print("boto3 is not installed (Debian: python3-boto3; scripts/install-deps): skipped")
    sys.exit(77)

from aws_standin import AwsStandin  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


CLIENTS = []


def client(aws, service, key=None, secret=None, token=None, attempts=None):
    """A boto3 client for the stand-in (closed at the end of the test)."""
    cfg = botocore.config.Config(retries={"max_attempts": attempts, "mode": "standard"} if attempts else None,
                                 s3={"addressing_style": "path"})
    c = boto3.client(service, endpoint_url=aws.url, region_name=aws.region,
                     aws_access_key_id=key or aws.access_key,
                     aws_secret_access_key=secret or aws.secret_key,
                     aws_session_token=token, config=cfg)
    CLIENTS.append(c)
    return c


def close_clients():
    while CLIENTS:
        c = CLIENTS.pop()
        if hasattr(c, "close"):
            c.close()


def code(cm):
    return cm.exception.response["Error"]["Code"]


class StandinCase(unittest.TestCase):
    def setUp(self):
        self.aws = AwsStandin().start()
        self.addCleanup(self.check_no_internal_errors)
        self.addCleanup(self.aws.stop)
        self.addCleanup(close_clients)
        self.s3 = client(self.aws, "s3")

    def check_no_internal_errors(self):
        """No request met a bug in the stand-in (a 5xx nobody injected)."""
        self.assertEqual([r for r in self.aws.requests if r["status"] >= 500 and r["fault"] is None], [])


class S3Test(StandinCase):
    def test_bucket_and_objects(self):
        self.s3.create_bucket(Bucket="art")
        self.s3.head_bucket(Bucket="art")
        r = self.s3.put_object(Bucket="art", Key="p/a b+c.zip", Body=b"zip bytes")
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(b"zip bytes").hexdigest())
        self.assertEqual(self.aws.objects[("art", "p/a b+c.zip")], b"zip bytes")
        self.assertEqual(self.s3.head_object(Bucket="art", Key="p/a b+c.zip")["ContentLength"], 9)
        self.assertEqual(self.s3.get_object(Bucket="art", Key="p/a b+c.zip")["Body"].read(), b"zip bytes")
        self.s3.put_object(Bucket="art", Key="q", Body=b"")
        listed = self.s3.list_objects_v2(Bucket="art", Prefix="p/")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["p/a b+c.zip"])
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket="art", Key="missing")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket="art", Key="missing")
        self.assertEqual(code(cm), "NoSuchKey")
        with self.assertRaises(ClientError) as cm:
            self.s3.put_object(Bucket="nobucket", Key="k", Body=b"x")
        self.assertEqual(code(cm), "NoSuchBucket")
        self.s3.delete_object(Bucket="art", Key="q")
        self.assertNotIn(("art", "q"), self.aws.objects)
        self.assertIn(("s3", "PutObject", "/art/p/a%20b%2Bc.zip"), self.aws.calls)
        self.assertEqual({r["region"] for r in self.aws.requests}, {"us-east-1"})

    def test_list_pages(self):
        for i in range(7):
            self.aws.put_object("art", f"k{i}", b"%d" % i)
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket="art", PaginationConfig={"PageSize": 3})
        keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(keys, [f"k{i}" for i in range(7)])
        self.assertEqual(self.aws.actions("s3").count("ListObjectsV2"), 3)

    def test_wrong_secret_and_unknown_key(self):
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", secret="not-the-secret").list_buckets()
        self.assertEqual(code(cm), "SignatureDoesNotMatch")
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", key="AKIAUNKNOWN000000000").list_buckets()
        self.assertEqual(code(cm), "InvalidAccessKeyId")

    def test_session_token(self):
        ak, sk, token = self.aws.add_session_credential()
        client(self.aws, "s3", ak, sk, token).create_bucket(Bucket="tok")
        self.assertIn("tok", self.aws.buckets)
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", ak, sk).list_buckets()
        self.assertEqual(code(cm), "InvalidAccessKeyId")
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", ak, sk, "x" + token).list_buckets()
        self.assertEqual(code(cm), "InvalidToken")

    def test_faults_are_retried(self):
        self.aws.create_bucket("art")
        self.aws.fail_next(2, "SlowDown")
        self.s3.put_object(Bucket="art", Key="k", Body=b"x")
        self.assertEqual([s for r in self.aws.requests for s in [r["status"]]], [503, 503, 200])
        self.aws.fail_next(1, "reset")
        self.assertEqual(self.s3.get_object(Bucket="art", Key="k")["Body"].read(), b"x")
        self.aws.fail_next(5, 500)
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", attempts=2).get_object(Bucket="art", Key="k")
        self.assertEqual(code(cm), "InternalError")
        self.assertEqual(self.aws.actions()[-2:], ["GetObject", "GetObject"])

    def test_clock_skew(self):
        self.aws.clock_offset = 16 * 60  # the stand-in's clock is 16 minutes ahead
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "s3", attempts=1).list_buckets()
        self.assertEqual(code(cm), "RequestTimeTooSkewed")
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "cloudformation", attempts=1).describe_stacks()
        self.assertEqual(code(cm), "SignatureDoesNotMatch")
        self.assertIn("Signature expired", str(cm.exception))
        self.aws.clock_offset = 14 * 60
        client(self.aws, "s3", attempts=1).list_buckets()

    def curl(self, *args, service="s3"):
        """curl signing with --aws-sigv4: (status, body)."""
        cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", f"aws:amz:us-east-1:{service}",
               "--user", f"{self.aws.access_key}:{self.aws.secret_key}", *args]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        body, _, status = out.rpartition("\n")
        return int(status), body

    def test_libcurl_signing_and_payload_checks(self):
        self.aws.create_bucket("art")
        with tempfile.NamedTemporaryFile() as f:
            data = os.urandom(300000)  # large: curl sends Expect: 100-continue
            f.write(data)
            f.flush()
            url = self.aws.url + "/art/dir/f%20one.zip"
            status, body = self.curl("-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-T", f.name, url)
            self.assertEqual(status, 200, body)
            self.assertEqual(self.aws.objects[("art", "dir/f one.zip")], data)
            sha = hashlib.sha256(data).hexdigest()
            self.assertEqual(self.curl("-H", f"x-amz-content-sha256: {sha}", "-T", f.name, url)[0], 200)
            status, body = self.curl("-H", f"x-amz-content-sha256: {'0' * 64}", "-T", f.name, url)
            self.assertEqual(status, 400)
            self.assertIn("<Code>XAmzContentSHA256Mismatch</Code>", body)
            status, body = self.curl("-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                     "-H", "Content-MD5: " + "A" * 22 + "==", "-T", f.name, url)
            self.assertIn("<Code>BadDigest</Code>", body)
            # every x-amz-* header must be signed, as S3 wants: curl signs those it is given
            status, body = self.curl("-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-H", "x-amz-meta-a: b",
                                     "-T", f.name, url)
            self.assertEqual(status, 200, body)
            self.assertEqual(self.s3.head_object(Bucket="art", Key="dir/f one.zip")["Metadata"], {"a": "b"})
            # S3 wants the payload hash header, as AWS does
            status, body = self.curl("-T", f.name, url)
            self.assertEqual(status, 400)
            self.assertIn("x-amz-content-sha256", body)
        # a chunked body (curl -T - reads stdin)
        cmd = ["curl", "-sS", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
               f"{self.aws.access_key}:{self.aws.secret_key}", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
               "-T", "-", self.aws.url + "/art/streamed"]
        subprocess.run(cmd, input=b"streamed " * 1000, check=True, timeout=30)
        self.assertEqual(self.aws.objects[("art", "streamed")], b"streamed " * 1000)
        status, body = self.curl("-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", self.aws.url + "/art/streamed")
        self.assertEqual((status, body), (200, "streamed " * 1000))

    def chunked_put(self, path, chunks, tamper=False):
        """A PUT with a signed aws-chunked body (STREAMING-AWS4-HMAC-SHA256-
        PAYLOAD): botocore signs the headers, the chunks are signed here
        from its seed signature as AWS's documentation describes."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        sizes = [len(c) for c in chunks] + [0]
        length = sum(len("%x" % n) + len(";chunk-signature=") + 64 + 4 + n for n in sizes)
        req = AWSRequest("PUT", self.aws.url + path, headers={
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
            "X-Amz-Decoded-Content-Length": str(sum(sizes)), "Content-Length": str(length)})
        SigV4Auth(Credentials(self.aws.access_key, self.aws.secret_key), "s3", self.aws.region).add_auth(req)
        date = req.headers["X-Amz-Date"]
        scope = f"{date[:8]}/{self.aws.region}/s3/aws4_request"
        key = ("AWS4" + self.aws.secret_key).encode()
        for part in (date[:8], self.aws.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        prev = req.headers["Authorization"].rpartition("Signature=")[2]
        body = b""
        for data in chunks + [b""]:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, prev, hashlib.sha256(b"").hexdigest(),
                             hashlib.sha256(data).hexdigest()])
            prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            sent = data[:-1] + b"!" if tamper and data else data
            body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), prev.encode(), sent)
        conn = http.client.HTTPConnection("127.0.0.1", self.aws.port, timeout=30)
        try:
            conn.request("PUT", path, body=body, headers=dict(req.headers.items()))
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def test_signed_aws_chunked_upload(self):
        self.aws.create_bucket("art")
        chunks = [b"a" * 65536, b"b" * 1000]
        self.assertEqual(self.chunked_put("/art/chunked", chunks), (200, ""))
        self.assertEqual(self.aws.objects[("art", "chunked")], b"".join(chunks))
        status, body = self.chunked_put("/art/tampered", chunks, tamper=True)
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertNotIn(("art", "tampered"), self.aws.objects)

    def test_unsigned_amz_header_refused(self):
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        req = AWSRequest("GET", self.aws.url + "/", headers={})
        S3SigV4Auth(Credentials(self.aws.access_key, self.aws.secret_key), "s3", self.aws.region).add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.aws.port, timeout=30)
        self.addCleanup(conn.close)
        conn.request("GET", "/", headers=dict(req.headers.items()))
        r = conn.getresponse()
        self.assertEqual((r.status, r.read().count(b"ListAllMyBucketsResult")), (200, 2))
        conn.request("GET", "/", headers={**dict(req.headers.items()), "x-amz-meta-late": "1"})
        r = conn.getresponse()
        self.assertEqual(r.status, 403)
        self.assertIn(b"headers present in the request which were not signed: x-amz-meta-late", r.read())

    def test_runs_as_a_script(self):
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "aws_standin.py"), "--bucket", "pre"],
                             stdout=subprocess.PIPE, text=True)
        try:
            url = p.stdout.readline().strip()
            self.assertRegex(url, r"^http://127\.0\.0\.1:\d+$")
            aws = AwsStandin()
            aws.url = url
            self.assertEqual(client(aws, "s3").list_buckets()["Buckets"][0]["Name"], "pre")
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)
            p.stdout.close()


PLAIN = """AWSTemplateFormatVersion: 2010-09-09
Description: plain CloudFormation
Parameters:
  Memory:
    Type: Number
    Default: 128
  Stage:
    Type: String
Resources:
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: 2012-10-17, Statement: []}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      MemorySize: !Ref Memory
      Role: !GetAtt FnRole.Arn
      Code: {S3Bucket: art, S3Key: fn.zip}
Outputs:
  FnArn:
    Value: !GetAtt Fn.Arn
  Where:
    Value: !Sub "${Stage} in ${AWS::Region}"
"""

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: {code}
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Hi:
          Type: Api
          Properties: {{Path: /hi, Method: get}}
Outputs:
  Url:
    Value: !Sub "https://${{ServerlessRestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/Prod/hi"
"""


class CloudFormationTest(StandinCase):
    def setUp(self):
        super().setUp()
        self.aws.put_object("art", "fn.zip", b"PK zip")
        self.cf = client(self.aws, "cloudformation")

    def change_set(self, name, body=PLAIN, cstype="CREATE", stack="st", caps=("CAPABILITY_IAM",), **kw):
        """Creates a change set and polls until it settles; returns it."""
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in kw.pop("params", {"Stage": "dev"}).items()]
        r = self.cf.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType=cstype,
                                      TemplateBody=body, Capabilities=list(caps), Parameters=params, **kw)
        deadline = time.time() + 20
        while time.time() < deadline:
            d = self.cf.describe_change_set(ChangeSetName=r["Id"])
            if d["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                return d
            time.sleep(0.03)
        self.fail("change set never settled")

    def wait_stack(self, stack="st"):
        deadline = time.time() + 20
        while time.time() < deadline:
            s = self.cf.describe_stacks(StackName=stack)["Stacks"][0]
            if not s["StackStatus"].endswith("_IN_PROGRESS"):
                return s
            time.sleep(0.03)
        self.fail("stack never settled")

    def events(self, stack="st"):
        pages = self.cf.get_paginator("describe_stack_events").paginate(StackName=stack)
        return [e for p in pages for e in p["StackEvents"]]

    def test_create_execute_events(self):
        self.aws.delay = 3  # slower steps, to see the events arrive
        r = self.cf.create_change_set(StackName="st", ChangeSetName="one", ChangeSetType="CREATE",
                                      TemplateBody=PLAIN, Capabilities=["CAPABILITY_IAM"],
                                      Parameters=[{"ParameterKey": "Stage", "ParameterValue": "dev"}],
                                      Tags=[{"Key": "team", "Value": "lamb"}])
        self.assertEqual(self.cf.describe_stacks(StackName="st")["Stacks"][0]["StackStatus"], "REVIEW_IN_PROGRESS")
        self.assertEqual(self.cf.describe_change_set(ChangeSetName=r["Id"])["Status"], "CREATE_PENDING")
        self.cf.get_waiter("change_set_create_complete").wait(ChangeSetName="one", StackName="st",
                                                              WaiterConfig={"Delay": 1})
        d = self.cf.describe_change_set(ChangeSetName="one", StackName="st")
        self.assertEqual((d["Status"], d["ExecutionStatus"]), ("CREATE_COMPLETE", "AVAILABLE"))
        self.assertEqual([(c["Type"], c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"],
                           c["ResourceChange"]["ResourceType"]) for c in d["Changes"]],
                         [("Resource", "Add", "FnRole", "AWS::IAM::Role"),
                          ("Resource", "Add", "Fn", "AWS::Lambda::Function")])
        self.cf.execute_change_set(ChangeSetName="one", StackName="st")
        seen = set()
        while True:  # the events arrive one by one while the stack is created
            s = self.cf.describe_stacks(StackName="st")["Stacks"][0]
            seen.add(len(self.events()))
            if not s["StackStatus"].endswith("_IN_PROGRESS"):
                break
            time.sleep(0.01)
        self.assertGreater(len(seen), 2)
        self.assertEqual(s["StackStatus"], "CREATE_COMPLETE")
        self.assertEqual(s["StackId"], r["StackId"])
        outputs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        self.assertRegex(outputs["FnArn"], r"^arn:aws:lambda:us-east-1:\d{12}:function:st-Fn-\w+$")
        self.assertEqual(outputs["Where"], "dev in us-east-1")
        self.assertEqual({p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]},
                         {"Memory": "128", "Stage": "dev"})
        self.assertEqual(s["Tags"], [{"Key": "team", "Value": "lamb"}])
        events = self.events()
        self.assertEqual([(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)], [
            ("st", "REVIEW_IN_PROGRESS"), ("st", "CREATE_IN_PROGRESS"),
            ("FnRole", "CREATE_IN_PROGRESS"), ("FnRole", "CREATE_IN_PROGRESS"), ("FnRole", "CREATE_COMPLETE"),
            ("Fn", "CREATE_IN_PROGRESS"), ("Fn", "CREATE_IN_PROGRESS"), ("Fn", "CREATE_COMPLETE"),
            ("st", "CREATE_COMPLETE")])
        self.assertEqual(len({e["EventId"] for e in events}), len(events))
        self.assertNotIn("ResourceStatusReason", events[-3])
        self.assertEqual(events[-4]["ResourceStatusReason"], "Resource creation Initiated")
        self.assertEqual(events[0]["PhysicalResourceId"], s["StackId"])
        self.assertTrue(all(e["Timestamp"].tzinfo for e in events))
        self.assertIn(("cloudformation", "ExecuteChangeSet", "/"), self.aws.calls)
        self.assertEqual(self.aws.stack("st").status, "CREATE_COMPLETE")

    def test_update_with_and_without_changes(self):
        self.change_set("one")
        self.cf.execute_change_set(ChangeSetName="one", StackName="st")
        self.wait_stack()
        d = self.change_set("two", cstype="UPDATE", params={"Stage": "dev", "Memory": "256"})
        self.assertEqual(d["Status"], "CREATE_COMPLETE")
        rc = [c["ResourceChange"] for c in d["Changes"]]
        self.assertEqual([(c["Action"], c["LogicalResourceId"], c["Replacement"]) for c in rc],
                         [("Modify", "Fn", "False")])
        self.assertTrue(rc[0]["PhysicalResourceId"].startswith("st-Fn-"))
        self.cf.execute_change_set(ChangeSetName="two", StackName="st")
        s = self.wait_stack()
        self.assertEqual(s["StackStatus"], "UPDATE_COMPLETE")
        self.assertIn("LastUpdatedTime", s)
        statuses = [e["ResourceStatus"] for e in self.events() if e["LogicalResourceId"] == "st"]
        self.assertEqual(statuses[:3], ["UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS"])
        d = self.change_set("three", cstype="UPDATE", params={"Stage": "dev", "Memory": "256"})
        self.assertEqual((d["Status"], d["ExecutionStatus"]), ("FAILED", "UNAVAILABLE"))
        self.assertEqual(d["StatusReason"], "The submitted information didn't contain changes. "
                                            "Submit different information to create a change set.")
        with self.assertRaises(ClientError) as cm:
            self.cf.execute_change_set(ChangeSetName="three", StackName="st")
        self.assertEqual(code(cm), "InvalidChangeSetStatus")

    def test_refusals(self):
        self.change_set("one")
        self.assertEqual(self.change_set("two")["Status"], "CREATE_COMPLETE")  # still in review: allowed
        self.cf.execute_change_set(ChangeSetName="one", StackName="st")
        self.wait_stack()
        d = self.cf.describe_change_set(ChangeSetName="two", StackName="st")
        self.assertEqual(d["ExecutionStatus"], "OBSOLETE")
        with self.assertRaises(ClientError) as cm:
            self.change_set("again")
        self.assertEqual(code(cm), "ValidationError")
        self.assertIn("Stack [st] already exists and cannot be created again with the changeSet [again].",
                      str(cm.exception))
        with self.assertRaises(ClientError) as cm:
            self.change_set("up", cstype="UPDATE", stack="other")
        self.assertEqual(code(cm), "ValidationError")
        with self.assertRaises(ClientError) as cm:
            self.change_set("p", stack="other", params={})
        self.assertIn("Parameters: [Stage] must have values", str(cm.exception))
        with self.assertRaises(ClientError) as cm:
            self.cf.describe_stacks(StackName="nope")
        self.assertEqual(code(cm), "ValidationError")
        self.assertIn("Stack with id nope does not exist", str(cm.exception))
        with self.assertRaises(ClientError) as cm:
            self.change_set("bad", stack="other", body="Resources:\n  X:\n    Properties: {}\n")
        self.assertIn("Every Resources object must contain a Type member", str(cm.exception))
        with self.assertRaises(ClientError) as cm:
            self.change_set("ref", stack="other", body=PLAIN.replace("!Ref Memory", "!Ref Nothing"))
        self.assertIn("Unresolved resource dependencies [Nothing]", str(cm.exception))
        with self.assertRaises(ClientError) as cm:  # a value of the wrong shape: refused, not a crash
            self.change_set("shape", stack="other", body="Outputs: 3\n" + PLAIN.partition("Outputs:")[0])
        self.assertEqual(code(cm), "ValidationError")
        self.assertIn("Template format error", str(cm.exception))
        self.assertIsNone(self.aws.stack("other"))  # refused before any stack was made
        d = self.change_set("shape", stack="sam", params={},
                            body=SAM.format(code="s3://art/fn.zip").replace("Events:", "Events: [1, 2]\n      X:"))
        self.assertEqual(d["Status"], "FAILED")
        self.assertIn("Transform AWS::Serverless-2016-10-31 failed with", d["StatusReason"])
        # the Query API's error shape, and libcurl's signing for a non-S3 service
        status, body = S3Test.curl(self, "-d", "Action=Frobnicate&Version=2010-05-15", self.aws.url + "/",
                                   service="cloudformation")
        self.assertEqual(status, 400)
        self.assertIn("<Type>Sender</Type>", body)
        self.assertIn("<Code>InvalidAction</Code>", body)
        status, body = S3Test.curl(self, "-d", "Action=DescribeStacks&Version=2010-05-15", self.aws.url + "/",
                                   service="cloudformation")
        self.assertEqual(status, 200, body)
        self.assertIn('<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">', body)

    def test_sam_local_code_uri_fails(self):
        d = self.change_set("one", body=SAM.format(code="hello/"), params={})
        self.assertEqual((d["Status"], d["ExecutionStatus"]), ("FAILED", "UNAVAILABLE"))
        self.assertEqual(d["StatusReason"], "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless "
                         "Application Specification document. Number of errors found: 1. Resource with id "
                         "[HelloFunction] is invalid. 'CodeUri' is not a valid S3 Uri of the form "
                         "'s3://bucket/key' with optional versionId query parameter.")

    def test_sam_needs_capability_iam(self):
        with self.assertRaises(ClientError) as cm:
            self.change_set("one", body=SAM.format(code="s3://art/fn.zip"), params={}, caps=())
        self.assertEqual(code(cm), "InsufficientCapabilitiesException")
        self.assertIn("Requires capabilities : [CAPABILITY_IAM]", str(cm.exception))

    def test_sam_deploys_from_template_url(self):
        self.aws.put_object("art", "packaged.yaml", SAM.format(code="s3://art/fn.zip").encode())
        for url in (f"{self.aws.url}/art/packaged.yaml", "https://art.s3.amazonaws.com/packaged.yaml",
                    "https://s3.us-east-1.amazonaws.com/art/packaged.yaml"):
            self.cf.create_change_set(StackName="sam", ChangeSetName="c1", ChangeSetType="CREATE",
                                      TemplateURL=url, Capabilities=["CAPABILITY_IAM"])
            self.cf.delete_change_set(ChangeSetName="c1", StackName="sam")
        self.cf.create_change_set(StackName="sam", ChangeSetName="c2", ChangeSetType="CREATE",
                                  TemplateURL=f"{self.aws.url}/art/packaged.yaml", Capabilities=["CAPABILITY_IAM"])
        self.cf.get_waiter("change_set_create_complete").wait(ChangeSetName="c2", StackName="sam",
                                                              WaiterConfig={"Delay": 1})
        d = self.cf.describe_change_set(ChangeSetName="c2", StackName="sam")
        added = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["ResourceType"] for c in d["Changes"]}
        self.assertEqual(added["HelloFunction"], "AWS::Lambda::Function")
        self.assertEqual(added["HelloFunctionRole"], "AWS::IAM::Role")
        self.assertEqual(added["ServerlessRestApi"], "AWS::ApiGateway::RestApi")
        self.assertEqual(added["HelloFunctionHiPermissionProd"], "AWS::Lambda::Permission")
        self.cf.execute_change_set(ChangeSetName="c2", StackName="sam")
        s = self.wait_stack("sam")
        self.assertEqual(s["StackStatus"], "CREATE_COMPLETE")
        self.assertRegex(s["Outputs"][0]["OutputValue"],
                         r"^https://\w{10}\.execute-api\.us-east-1\.amazonaws\.com/Prod/hi$")
        with self.assertRaises(ClientError) as cm:
            self.cf.create_change_set(StackName="sam", ChangeSetName="c3", TemplateURL=f"{self.aws.url}/art/nothing")
        self.assertIn("S3 error", str(cm.exception))

    def test_missing_code_object_rolls_back(self):
        d = self.change_set("one", body=PLAIN.replace("fn.zip", "missing.zip"))
        self.cf.execute_change_set(ChangeSetName=d["ChangeSetId"])
        s = self.wait_stack()
        self.assertEqual(s["StackStatus"], "ROLLBACK_COMPLETE")
        events = self.events()
        failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], ["Fn"])
        self.assertIn("S3 Error Code: NoSuchKey", failed[0]["ResourceStatusReason"])
        self.assertTrue(failed[0]["ResourceStatusReason"].startswith(
            'Resource handler returned message: "Error occurred while GetObject.'))
        stack_events = [(e["ResourceStatus"], e.get("ResourceStatusReason"))
                        for e in events if e["LogicalResourceId"] == "st"]
        self.assertEqual(stack_events[:2], [
            ("ROLLBACK_COMPLETE", None),
            ("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Fn]. Rollback requested by user.")])
        self.assertIn(("FnRole", "DELETE_COMPLETE"), [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events])
        with self.assertRaises(ClientError) as cm:
            self.change_set("two", cstype="UPDATE")
        self.assertIn("is in ROLLBACK_COMPLETE state and can not be updated", str(cm.exception))
        self.cf.delete_stack(StackName="st")
        self.cf.get_waiter("stack_delete_complete").wait(StackName="st", WaiterConfig={"Delay": 1})
        with self.assertRaises(ClientError) as cm:
            self.cf.describe_stacks(StackName="st")
        self.assertIn("Stack with id st does not exist", str(cm.exception))
        self.assertEqual(self.cf.describe_stacks(StackName=s["StackId"])["Stacks"][0]["StackStatus"], "DELETE_COMPLETE")

    def test_update_failure_rolls_back_and_delete(self):
        self.change_set("one")
        self.cf.execute_change_set(ChangeSetName="one", StackName="st")
        before = self.wait_stack()
        d = self.change_set("two", cstype="UPDATE", params={"Stage": "dev", "Memory": "100000"})
        self.cf.execute_change_set(ChangeSetName=d["ChangeSetId"])
        s = self.wait_stack()
        self.assertEqual(s["StackStatus"], "UPDATE_ROLLBACK_COMPLETE")
        self.assertEqual(s["Parameters"], before["Parameters"])
        failed = [e for e in self.events() if e["ResourceStatus"] == "UPDATE_FAILED"]
        self.assertIn("#/MemorySize: failed validation constraint for keyword [maximum]",
                      failed[0]["ResourceStatusReason"])
        self.cf.delete_stack(StackName="st")
        s = self.wait_stack(s["StackId"])
        self.assertEqual(s["StackStatus"], "DELETE_COMPLETE")
        self.assertEqual(self.cf.describe_stacks()["Stacks"], [])
        gone = [e["LogicalResourceId"] for e in self.events(s["StackId"]) if e["ResourceStatus"] == "DELETE_COMPLETE"]
        self.assertEqual(gone, ["st", "FnRole", "Fn"])

    def test_event_pages_faults_and_session_tokens(self):
        self.aws.page_size = 2
        self.change_set("one")
        self.cf.execute_change_set(ChangeSetName="one", StackName="st")
        self.wait_stack()
        events = self.events()
        self.assertEqual(len(events), 9)
        self.assertEqual(len({e["EventId"] for e in events}), 9)
        self.assertGreaterEqual(self.aws.actions().count("DescribeStackEvents"), 5)
        self.aws.page_size = 1
        d = self.cf.describe_change_set(ChangeSetName="one", StackName="st")
        rest = self.cf.describe_change_set(ChangeSetName="one", StackName="st", NextToken=d["NextToken"])
        self.assertEqual([c["ResourceChange"]["LogicalResourceId"] for c in d["Changes"] + rest["Changes"]],
                         ["FnRole", "Fn"])
        self.assertNotIn("NextToken", rest)
        self.aws.fail_next(2, "Throttling", service="cloudformation")
        self.assertEqual(self.cf.describe_stacks(StackName="st")["Stacks"][0]["StackStatus"], "CREATE_COMPLETE")
        self.assertEqual([r["status"] for r in self.aws.requests[-3:]], [400, 400, 200])
        ak, sk, token = self.aws.add_session_credential()
        self.assertEqual(len(client(self.aws, "cloudformation", ak, sk, token).describe_stacks()["Stacks"]), 1)
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "cloudformation", ak, sk).describe_stacks()
        self.assertEqual(code(cm), "InvalidClientTokenId")
        with self.assertRaises(ClientError) as cm:
            client(self.aws, "cloudformation", secret="wrong").describe_stacks()
        self.assertEqual(code(cm), "SignatureDoesNotMatch")


class AwsCliTest(StandinCase):
    def test_s3_cp_and_describe_stacks(self):
        if not shutil.which("aws"):
            self.skipTest("the AWS CLI is not installed (Debian: awscli; scripts/install-deps)")
        self.aws.create_bucket("art")
        with tempfile.TemporaryDirectory() as home:
            env = {"PATH": os.environ["PATH"], "HOME": home, "AWS_ACCESS_KEY_ID": self.aws.access_key,
                   "AWS_SECRET_ACCESS_KEY": self.aws.secret_key, "AWS_DEFAULT_REGION": "eu-central-1"}
            src = os.path.join(home, "f.zip")
            with open(src, "wb") as f:
                f.write(b"zip" * 1000)

            def aws(*args):
                r = subprocess.run(["aws", "--endpoint-url", self.aws.url, *args], env=env,
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                return r.stdout
            aws("s3", "cp", src, "s3://art/dir/f.zip")
            self.assertEqual(self.aws.objects[("art", "dir/f.zip")], b"zip" * 1000)
            self.assertIn(" 3000 f.zip", aws("s3", "ls", "s3://art/dir/"))
            described = aws("cloudformation", "describe-stacks", "--output", "json")
            self.assertEqual(described.split(), ["{", '"Stacks":', "[]", "}"])
        self.assertEqual({r["region"] for r in self.aws.requests}, {"eu-central-1"})
        self.assertIn(("cloudformation", "DescribeStacks", "/"), self.aws.calls)


if __name__ == "__main__":
    main()
