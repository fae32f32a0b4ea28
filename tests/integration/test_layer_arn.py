"""A layer given by ARN in the template: lamb local invoke downloads it on
first use (GetLayerVersionByArn, then the content URL) from the AWS
stand-in, unzips it into ~/.cache/lamb/layers/ keyed by the ARN and
reuses it; --layer-dir ARN=DIR still wins; without credentials the error
names the ARN and the option that would do."""
import io
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB, project  # noqa: E402
from aws_standin import AwsStandin  # noqa: E402

APP = "import mylib\n\ndef handler(event, context):\n    return {'v': mylib.VALUE}\n"


def layer_zip(value):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("python/mylib.py", f"VALUE = {value!r}\n")
    return b.getvalue()


class LayerByArn(unittest.TestCase):
    def setUp(self):
        self.aws = AwsStandin().start()
        self.addCleanup(self.aws.stop)
        self.arn = self.aws.add_layer("mylib", layer_zip("from-aws"), runtimes=["python3.12"])
        template = ("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                    "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
                    f"      Handler: app.handler\n      Runtime: python3.12\n      Layers: ['{self.arn}']\n")
        self.proj = project({"template.yaml": template, "src/app.py": APP})
        self.addCleanup(self.proj.cleanup)
        home = tempfile.TemporaryDirectory(prefix="lamb-home-")
        self.addCleanup(home.cleanup)
        self.home = home.name
        self.env = {**os.environ, "HOME": self.home, **self.aws.env()}
        self.env.pop("XDG_CACHE_HOME", None)
        self.env.pop("AWS_PROFILE", None)

    def invoke(self, *args, env=None):
        return subprocess.run([LAMB, "local", "invoke", "--no-build", *args], cwd=self.proj.name,
                              env=env or self.env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def test_downloaded_once_then_cached(self):
        r = self.invoke()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"v": "from-aws"', r.stdout)
        cached = os.path.join(self.home, ".cache", "lamb", "layers",
                              self.arn.replace(":", "_"), "python", "mylib.py")
        self.assertTrue(os.path.isfile(cached), r.stderr)
        self.assertEqual(self.aws.actions("lambda"), ["GetLayerVersionByArn"])
        self.assertEqual(len(self.aws.downloads), 1)
        self.assertIn(f"downloading layer '{self.arn}'", r.stderr)

        r = self.invoke()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"v": "from-aws"', r.stdout)
        self.assertEqual(self.aws.actions("lambda"), ["GetLayerVersionByArn"])
        self.assertEqual(len(self.aws.downloads), 1)
        self.assertNotIn("downloading", r.stderr)

    def test_layer_dir_wins(self):
        local = os.path.join(self.proj.name, "mine")
        os.makedirs(os.path.join(local, "python"))
        with open(os.path.join(local, "python", "mylib.py"), "w") as f:
            f.write("VALUE = 'from-disk'\n")
        r = self.invoke("--layer-dir", f"{self.arn}={local}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"v": "from-disk"', r.stdout)
        self.assertEqual(self.aws.actions("lambda"), [])

    def test_no_credentials_names_arn_and_option(self):
        env = {k: v for k, v in self.env.items() if not k.startswith("AWS_ACCESS") and
               not k.startswith("AWS_SECRET")}
        r = self.invoke(env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"layer '{self.arn}' is not in the cache and cannot be downloaded: no AWS credentials",
                      r.stderr)
        self.assertIn(f"give its content with --layer-dir '{self.arn}=DIR'", r.stderr)

    def test_unknown_arn(self):
        self.aws.layers.clear()
        r = self.invoke()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("ResourceNotFoundException: The resource you requested does not exist.", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, ".cache", "lamb", "layers",
                                                     self.arn.replace(":", "_"))))


if __name__ == "__main__":
    lambtest.main()
