"""lamb package against the AWS stand-in (aws_standin.py, which checks
SigV4 strictly): artifacts uploaded once under content-hash keys, nothing
sent again when nothing changed, --force-upload, one edited function sent
alone, the template kept byte for byte except the locations (YAML and
JSON, Globals, the default '.', AWS::Lambda::* Code/Content mappings,
DefinitionUri), --output-template-file written whole or not at all, the
errors (no bucket, missing bucket, no credentials, no region, a wrong
secret), retries on 503/SlowDown, session tokens and profiles; and every
sample under sample-functions/ packages, its template accepted by AWS's
SAM translator where the samtranslator package is installed."""
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from aws_standin import AwsStandin  # noqa: E402

SAMPLES = os.path.join(lambtest.SOURCE_ROOT, "sample-functions")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
# a comment that stays
Parameters:
  Stage: {Type: String, Default: dev}
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
Resources:
  Zeta:   # declared first, kept first
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: zeta/      # trailing comment
      Environment:
        Variables:
          NAME: !Sub '${AWS::StackName}-${Stage}'
      Layers: [!Ref Shared]
  Alpha:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./alpha
      Description: !Join ['', [a, !Ref Stage]]
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "def handler(e, c): return 1"
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://elsewhere/code.zip
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: raw
      Handler: app.handler
      Runtime: python3.12
      Role: !GetAtt Role.Arn
  RawLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: layer
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionUri: api.yaml
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
Outputs:
  Url:
    Value: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
"""

FILES = {
    "template.yaml": TEMPLATE,
    "zeta/app.py": "def handler(e, c):\n    return 'zeta'\n",
    "alpha/app.py": "def handler(e, c):\n    return 'alpha'\n",
    "raw/app.py": "def handler(e, c):\n    return 'raw'\n",
    "layer/python/shared.py": "X = 1\n",
    "api.yaml": "openapi: '3.0.1'\ninfo: {title: t, version: '1'}\npaths: {}\n",
}

BUCKET = "artifacts"


def md5(data):
    return hashlib.md5(data).hexdigest()


class Package(unittest.TestCase):
    def setUp(self):
        self.aws = AwsStandin().start()
        self.addCleanup(self.aws.stop)
        self.aws.create_bucket(BUCKET)
        self.home = tempfile.TemporaryDirectory(prefix="lamb-test-home-")
        self.addCleanup(self.home.cleanup)
        self.dir = lambtest.project(FILES)
        self.addCleanup(self.dir.cleanup)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.aws.env())
        env["HOME"] = self.home.name
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def package(self, *args, env=None, cwd=None, timeout=120):
        return lambtest.run("package", "--s3-bucket", BUCKET, *args, cwd=cwd or self.dir.name,
                            env=env or self.env(), timeout=timeout)

    def ok(self, *args, **kw):
        r = self.package(*args, **kw)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def puts(self):
        return [a for a in self.aws.actions("s3") if a == "PutObject"]

    def test_upload_once_then_nothing(self):
        r = self.ok("--s3-prefix", "app")
        keys = sorted(k for (b, k) in self.aws.objects if b == BUCKET)
        # Zeta, Alpha, Raw, the layer (shared by Shared and RawLayer) and api.yaml
        self.assertEqual(len(keys), 5, keys)
        for k in keys:
            self.assertTrue(re.fullmatch(r"app/[0-9a-f]{32}", k), k)
            self.assertEqual(k[4:], md5(self.aws.objects[(BUCKET, k)]), "the key is the MD5 of the content")
        self.assertEqual(len(self.puts()), 5)
        api = [k for k in keys if self.aws.objects[(BUCKET, k)] == FILES["api.yaml"].encode()]
        self.assertEqual(len(api), 1, "api.yaml uploaded as it is")
        for k in keys:
            if k not in api:
                zipfile.ZipFile(io.BytesIO(self.aws.objects[(BUCKET, k)])).testzip()
        self.assertIn("Uploading to app/", r.stderr)

        # a second run sends nothing but HeadObject
        before = len(self.aws.calls)
        r = self.ok("--s3-prefix", "app")
        self.assertEqual(set(self.aws.actions("s3")[before:]), {"HeadObject"})
        self.assertEqual(r.stderr.count("exists, not uploaded"), 6, r.stderr)

        # --force-upload sends everything again, without asking first
        before = len(self.aws.calls)
        self.ok("--s3-prefix", "app", "--force-upload")
        self.assertEqual(self.aws.actions("s3")[before:], ["PutObject"] * 5)

    def test_edit_one_function(self):
        first = self.ok("-q")
        self.assertEqual(first.stderr, "")
        with open(os.path.join(self.dir.name, "alpha", "app.py"), "a") as f:
            f.write("# changed\n")
        before = len(self.aws.calls)
        r = self.ok()
        calls = self.aws.calls[before:]
        self.assertEqual([c for c in calls if c[1] == "PutObject"].__len__(), 1, calls)
        self.assertEqual(r.stderr.count("Uploading to"), 1, r.stderr)
        self.assertIn("(Alpha)", [ln for ln in r.stderr.splitlines() if "Uploading" in ln][0])
        self.assertNotEqual(first.stdout, r.stdout)

    def locations(self):
        """Key of each uploaded file, by what it holds."""
        out = {}
        for (b, k), data in self.aws.objects.items():
            if data == FILES["api.yaml"].encode():
                out["api"] = k
                continue
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            text = {n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in names}
            if "python/shared.py" in names:
                out["layer"] = k
            else:
                out[text["app.py"].decode().split("'")[1]] = k
        return out

    def test_template_kept_but_the_locations(self):
        r = self.ok()
        loc = self.locations()
        s3 = lambda k: f'"s3://{BUCKET}/{loc[k]}"'  # noqa: E731
        m = lambda k: '{"S3Bucket": "%s", "S3Key": "%s"}' % (BUCKET, loc[k])  # noqa: E731
        want = (TEMPLATE
                .replace("CodeUri: zeta/", "CodeUri: " + s3("zeta"))
                .replace("CodeUri: ./alpha", "CodeUri: " + s3("alpha"))
                .replace("ContentUri: layer", "ContentUri: " + s3("layer"))
                .replace("Code: raw", "Code: " + m("raw"))
                .replace("Content: layer", "Content: " + m("layer"))
                .replace("DefinitionUri: api.yaml", "DefinitionUri: " + s3("api")))
        self.assertEqual(r.stdout, want)

    def test_globals_default_and_json(self):
        files = {
            "template.json": (
                '{\n  "Transform": "AWS::Serverless-2016-10-31",\n'
                '  "Globals": {"Function": {"CodeUri": "src", "Runtime": "python3.12"}},\n'
                '  "Resources": {\n'
                '    "A": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.handler"}},\n'
                '    "B": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.handler",'
                ' "CodeUri": "."}}\n  }\n}\n'),
            "src/app.py": "def handler(e, c):\n    return 1\n",
        }
        with lambtest.project(files) as d:
            r = self.ok("-t", "template.json", cwd=d)
            import json
            doc = json.loads(r.stdout)
            a = doc["Resources"]["A"]["Properties"]
            b = doc["Resources"]["B"]["Properties"]
            self.assertTrue(a["CodeUri"].startswith(f"s3://{BUCKET}/"), a)
            self.assertTrue(b["CodeUri"].startswith(f"s3://{BUCKET}/"), b)
            self.assertEqual(list(a), ["CodeUri", "Handler"], "inserted first, the rest kept")
            self.assertEqual(doc["Globals"]["Function"]["CodeUri"], "src", "Globals left as written")
            self.assertNotEqual(a["CodeUri"], b["CodeUri"])

    def test_output_template_file(self):
        out = os.path.join(self.dir.name, "packaged.yaml")
        r = self.ok("--output-template-file", out)
        self.assertEqual(r.stdout, "")
        with open(out) as f:
            text = f.read()
        self.assertIn(f"s3://{BUCKET}/", text)
        self.assertIn("# a comment that stays", text)
        # a failure leaves the old file as it was and no temporary file
        r = lambtest.run("package", "--s3-bucket", "missing-bucket", "--force-upload",
                         "--output-template-file", out, cwd=self.dir.name, env=self.env())
        self.assertEqual(r.returncode, 1)
        self.assertIn("S3 bucket 'missing-bucket' does not exist", r.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), text)
        self.assertEqual([n for n in os.listdir(self.dir.name) if n.startswith("packaged")], ["packaged.yaml"])

    def test_errors_before_any_request(self):
        r = lambtest.run("package", cwd=self.dir.name, env=self.env())
        self.assertEqual(r.returncode, 1)
        self.assertIn("no S3 bucket: give --s3-bucket", r.stderr)
        r = self.package(env=self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile "
                      "'default' to ~/.aws/credentials (aws configure)", r.stderr)
        r = self.package(env=self.env(AWS_REGION=None, AWS_DEFAULT_REGION=None))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no AWS region: give --region or set AWS_REGION", r.stderr)
        self.assertEqual(self.aws.calls, [])
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, ".lamb")), "nothing was built")

    def test_missing_definition_file(self):
        os.unlink(os.path.join(self.dir.name, "api.yaml"))
        r = self.package()
        self.assertEqual(r.returncode, 1)
        # the template loader says it (or, where it does not read the file, package)
        line = TEMPLATE.splitlines().index("      DefinitionUri: api.yaml") + 1
        self.assertRegex(r.stderr, rf"template\.yaml:{line}:\d+: .*DefinitionUri.*'api.yaml'.*"
                         "(No such file or directory|does not exist)")
        self.assertEqual(self.aws.calls, [])

    def test_large_upload_streams(self):
        # incompressible, over curl's 1 MiB Expect: 100-continue threshold
        with open(os.path.join(self.dir.name, "zeta", "blob.bin"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))
        r = self.ok()
        big = [k for (b, k), v in self.aws.objects.items() if len(v) > 3 * 1024 * 1024]
        self.assertEqual(len(big), 1)
        self.assertEqual(big[0], md5(self.aws.objects[(BUCKET, big[0])]))
        self.assertRegex(r.stderr, r"Uploading to \w+  3\.\d MiB  \(Zeta\)")

    def test_state_machines(self):
        files = {
            "template.yaml": (
                "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                "  Sam:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
                "      DefinitionUri: sm/flow.asl.json\n"
                "  Cfn:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
                "      RoleArn: arn:aws:iam::123456789012:role/x\n"
                "      DefinitionS3Location: sm/flow.asl.json   # same file\n"),
            "sm/flow.asl.json": '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}\n',
        }
        with lambtest.project(files) as d:
            r = self.ok(cwd=d)
            key = md5(files["sm/flow.asl.json"].encode())
            self.assertEqual(list(self.aws.objects), [(BUCKET, key)])
            self.assertIn(f'DefinitionUri: "s3://{BUCKET}/{key}"\n', r.stdout)
            self.assertIn('DefinitionS3Location: {"Bucket": "%s", "Key": "%s"}   # same file' % (BUCKET, key),
                          r.stdout)
            os.unlink(os.path.join(d, "sm", "flow.asl.json"))
            r = self.package(cwd=d)
            self.assertEqual(r.returncode, 1)
            self.assertIn("template.yaml:6:22: DefinitionUri of 'Sam': 'sm/flow.asl.json' does not exist",
                          r.stderr)

    def test_missing_code(self):
        shutil.rmtree(os.path.join(self.dir.name, "alpha"))
        r = self.package()
        self.assertEqual(r.returncode, 1)
        line = TEMPLATE.splitlines().index("      CodeUri: ./alpha") + 1
        self.assertIn(f"template.yaml:{line}:16: function 'Alpha': code '", r.stderr)
        self.assertIn("alpha' does not exist", r.stderr)
        self.assertEqual(self.aws.calls, [])

    def test_wrong_secret(self):
        r = self.package(env=self.env(AWS_SECRET_ACCESS_KEY="not-the-secret"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("SignatureDoesNotMatch: The request signature we calculated does not match", r.stderr)
        self.assertEqual(self.puts(), [])
        r = self.package(env=self.env(AWS_ACCESS_KEY_ID="AKIAUNKNOWN"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("InvalidAccessKeyId", r.stderr)

    def test_retries(self):
        self.aws.fail_next(2, 503, service="s3")
        self.aws.fail_next(1, "SlowDown", service="s3")
        self.aws.fail_next(1, "reset", service="s3")
        self.ok("--s3-prefix", "r")
        self.assertEqual(len(self.aws.objects), 5)
        # more failures than attempts: the error is AWS's
        self.aws.fail_next(10, "SlowDown", service="s3")
        r = self.package("--force-upload", env=self.env(AWS_MAX_ATTEMPTS="2"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("SlowDown", r.stderr)
        self.aws.faults.clear()

    def test_prefix_is_encoded_and_signed_as_given(self):
        prefix = "my app/\u00e9+x/../y/"
        r = self.ok("--s3-prefix", prefix)
        keys = [k for (b, k) in self.aws.objects]
        self.assertEqual(len(keys), 5)
        for k in keys:
            self.assertTrue(k.startswith("my app/\u00e9+x/../y/"), k)
            self.assertIn(k + '"', r.stdout)

    def test_no_server(self):
        env = self.env(AWS_ENDPOINT_URL="http://127.0.0.1:1", AWS_MAX_ATTEMPTS="2")
        r = self.package(env=env, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"after 2 attempts: HEAD http://127\.0\.0\.1:1/artifacts/\w+: .*connect")

    def test_session_token_and_profile(self):
        ak, sk, token = self.aws.add_session_credential()
        r = self.ok(env=self.env(AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk, AWS_SESSION_TOKEN=token))
        self.assertIn("Uploading", r.stderr)
        self.assertEqual({q["access_key"] for q in self.aws.requests}, {ak})
        r = self.package("--force-upload", env=self.env(AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk))
        self.assertEqual(r.returncode, 1, "without its token the key is refused")
        # a profile of the credentials file, named by --profile
        os.makedirs(os.path.join(self.home.name, ".aws"))
        with open(os.path.join(self.home.name, ".aws", "credentials"), "w") as f:
            f.write(f"[dev]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\n"
                    f"aws_session_token = {token}\n")
        with open(os.path.join(self.home.name, ".aws", "config"), "w") as f:
            f.write(f"[profile dev]\nregion = {self.aws.region}\n")
        env = self.env(AWS_ACCESS_KEY_ID="AKIAWRONG", AWS_SECRET_ACCESS_KEY="wrong", AWS_REGION=None,
                       AWS_DEFAULT_REGION=None, AWS_ENDPOINT_URL=None)
        before = len(self.aws.requests)
        self.ok("--profile", "dev", "--endpoint-url", self.aws.url, "--force-upload", env=env)
        self.assertEqual({q["access_key"] for q in self.aws.requests[before:]}, {ak})
        r = self.package("--profile", "nope", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AWS profile 'nope' not found", r.stderr)


TRANSLATE = """
import json, sys, yaml
from samtranslator.translator.transform import transform
from samtranslator.public.exceptions import InvalidDocumentException

class Loader(yaml.SafeLoader):
    pass

def tag(loader, suffix, node):
    name = suffix if suffix in ("Ref", "Condition") else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        v = loader.construct_scalar(node)
        if suffix == "GetAtt":
            v = v.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        v = loader.construct_sequence(node, deep=True)
    else:
        v = loader.construct_mapping(node, deep=True)
    return {name: v}

Loader.add_multi_constructor("!", tag)
doc = yaml.load(open(sys.argv[1]), Loader=Loader)

class Reader:
    def get_managed_policy_map(self):
        return {}
    def load(self):
        return {}

try:
    out = transform(doc, {}, Reader())
except InvalidDocumentException as e:
    print("; ".join(str(c) for c in e.causes), file=sys.stderr)
    sys.exit(1)
print(json.dumps(sorted(out["Resources"])))
"""


class Samples(unittest.TestCase):
    """Every sample packages; its template passes the SAM translator."""

    def setUp(self):
        self.aws = AwsStandin().start()
        self.addCleanup(self.aws.stop)
        self.aws.create_bucket(BUCKET)
        self.tmp = tempfile.TemporaryDirectory(prefix="lamb-test-pkg-")
        self.addCleanup(self.tmp.cleanup)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.aws.env())
        env["HOME"] = self.tmp.name
        # offline, pip should fail at once rather than retry for a minute
        env.setdefault("PIP_RETRIES", "0")
        env.setdefault("PIP_TIMEOUT", "5")
        return env

    def translate(self, path):
        py = sys.executable
        check = subprocess.run([py, "-c", "import samtranslator, yaml"], capture_output=True)
        if check.returncode != 0:
            return None
        script = os.path.join(self.tmp.name, "translate.py")
        with open(script, "w") as f:
            f.write(TRANSLATE)
        env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")  # for AWS::Region
        return subprocess.run([py, script, path], capture_output=True, text=True, timeout=120, env=env)

    def test_every_sample(self):
        samples = sorted(d for d in os.listdir(SAMPLES) if os.path.isfile(os.path.join(SAMPLES, d, "template.yaml")))
        self.assertGreater(len(samples), 3)
        for s in samples:
            with self.subTest(sample=s):
                self.one(s)

    def one(self, sample):
        build = os.path.join(self.tmp.name, "build-" + sample)
        out = os.path.join(self.tmp.name, sample + ".yaml")
        r = lambtest.run("package", "--s3-bucket", BUCKET, "--s3-prefix", sample, "-b", build,
                         "--output-template-file", out, cwd=os.path.join(SAMPLES, sample),
                         env=self.env(), timeout=600)
        if r.returncode != 0 and re.search(r"pip install .* failed|No matching distribution|npm (ci|install)", r.stderr):
            self.skipTest(f"{sample}: its dependencies cannot be installed here (offline?): "
                          + r.stderr.strip().splitlines()[0])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            text = f.read()
        with open(os.path.join(SAMPLES, sample, "template.yaml")) as f:
            src = f.read()
        for uri in re.findall(r'(?:CodeUri|ContentUri): "s3://([^/]+)/(\S+)"', text):
            self.assertIn(tuple(uri), self.aws.objects)
        self.assertNotRegex(text, r"(CodeUri|ContentUri): (?!\"s3://)", "a local path left")
        # only location lines differ
        changed = [(a, b) for a, b in zip(src.splitlines(), text.splitlines()) if a != b]
        for a, b in changed:
            self.assertRegex(b, r"^\s*(CodeUri|ContentUri): \"s3://", (a, b))
        # the stand-in's own SAM expansion (always there) wants S3 locations
        import aws_standin_template
        aws_standin_template.translate(text)
        with self.assertRaises(aws_standin_template.TemplateError):
            aws_standin_template.translate(src)
        t = self.translate(out)
        if t is None:
            return  # said once, in test_translator_present
        self.assertEqual(t.returncode, 0, f"{sample}: the SAM translator refused the packaged template: "
                         + t.stderr[-2000:])
        # and refuses the source, with its local paths
        t = self.translate(os.path.join(SAMPLES, sample, "template.yaml"))
        self.assertNotEqual(t.returncode, 0, f"{sample}: the translator accepted local paths: {t.stdout}")

    def test_translator_present(self):
        if subprocess.run([sys.executable, "-c", "import samtranslator, yaml"], capture_output=True).returncode:
            self.skipTest("samtranslator is not installed (pip install aws-sam-translator): "
                          "packaged templates not checked by the SAM translator")


if __name__ == "__main__":
    lambtest.main()
