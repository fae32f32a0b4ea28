"""The AWS stand-in (aws_standin.py) driven by AWS's own clients: boto3,
the AWS CLI and curl's --aws-sigv4 (libcurl's signer, the one lamb uses).
They sign as AWS expects, so these tests show that the stand-in checks
SigV4 as AWS does and answers in shapes AWS's clients parse."""
import hashlib
import os
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
        self.addCleanup(self.aws.stop)
        self.addCleanup(close_clients)
        self.s3 = client(self.aws, "s3")


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


if __name__ == "__main__":
    main()
