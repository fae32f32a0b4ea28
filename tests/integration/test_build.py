"""lamb build end to end: each build method with real pip/npm/make runs
(offline: a wheel written here, a file: dependency), layers, modes,
.lambignore, the limits, failure leaving the last good artifact, byte-for-
byte reproducible zips and the no-op rebuild."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from lambtest import LAMB, main, project, run  # noqa: E402
import signal  # noqa: E402

HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"


def fn(name, runtime="python3.11", code="src", extra=""):
    return (f"  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            f"      Handler: app.handler\n      Runtime: {runtime}\n      CodeUri: {code}\n{extra}")


def layer(name, content, method=None):
    s = f"  {name}:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: {content}\n"
    if method:
        s += f"    Metadata:\n      BuildMethod: {method}\n"
    return s


def write_wheel(path, name="tinypkg", version="1.0", value=42):
    """A minimal pure-Python wheel, written by hand: a wheel is a zip."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    di = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = {value}\n",
        f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{di}/WHEEL": "Wheel-Version: 1.0\nGenerator: lamb-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in files) + f"{di}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, text in files.items():
            z.writestr(n, text)
        z.writestr(f"{di}/RECORD", record)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def names(path):
    with zipfile.ZipFile(path) as z:
        return sorted(z.namelist())


def modes(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: i.external_attr >> 16 for i in z.infolist()}


def have_pip():
    """Whether the interpreter lamb picks for python3.11 has pip (Debian's
    python3 needs python3-pip for that)."""
    py = shutil.which("python3.11") or shutil.which("python3")
    return bool(py) and subprocess.run([py, "-m", "pip", "--version"], capture_output=True).returncode == 0


HAVE_PIP = have_pip()
needs_pip = unittest.skipUnless(HAVE_PIP, "python3 has no pip (Debian: apt-get install python3-pip)")


def offline_env(**extra):
    env = dict(os.environ, PIP_NO_INDEX="1", npm_config_offline="true", npm_config_audit="false")
    env.update(extra)
    return env


class BuildTest(unittest.TestCase):
    def build(self, d, *args, ok=True, env=None):
        r = run("build", *args, cwd=d, env=env or offline_env(), timeout=300)
        if ok and r.returncode != 0:
            self.fail(f"lamb build failed ({r.returncode}):\n{r.stderr}")
        return r

    def art(self, d, name):
        return os.path.join(d, ".lamb", "build", "artifacts", name + ".zip")

    @needs_pip
    def test_python_with_local_wheel(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": "import tinypkg\n",
                      "src/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "src/wheels/tinypkg-1.0-py3-none-any.whl"))
            r = self.build(d)
            self.assertIn("Fn", r.stderr)
            n = names(self.art(d, "Fn"))
            self.assertIn("app.py", n)
            self.assertIn("tinypkg/__init__.py", n)
            self.assertTrue(os.path.isfile(os.path.join(d, ".lamb/build/Fn/tinypkg/__init__.py")))
            self.assertEqual(r.stdout, "")

    @needs_pip
    def test_python_layer_under_python(self):
        t = HEADER + layer("Lib", "lib", "python3.11") + fn("Fn", extra="      Layers: [!Ref Lib]\n")
        with project({"template.yaml": t, "src/app.py": "", "lib/shared.py": "X = 1\n",
                      "lib/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "lib/wheels/tinypkg-1.0-py3-none-any.whl"))
            self.build(d)
            n = names(self.art(d, "Lib"))
            self.assertIn("python/shared.py", n)
            self.assertIn("python/tinypkg/__init__.py", n)
            self.assertFalse([x for x in n if not x.startswith("python/")])

    @needs_pip
    def test_functions_sharing_code_are_built_once(self):
        t = HEADER + fn("A") + fn("B") + fn("C", extra="      Timeout: 9\n")
        with project({"template.yaml": t, "src/app.py": "",
                      "src/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "src/wheels/tinypkg-1.0-py3-none-any.whl"))
            fake = os.path.join(d, "bin")
            os.makedirs(fake)
            log = os.path.join(d, "pip.log")
            with open(os.path.join(fake, "python3.11"), "w") as f:
                f.write(f"#!/bin/sh\ncase \"$*\" in *pip*) echo run >> {log};; esac\n"
                        f"exec {sys.executable} \"$@\"\n")
            os.chmod(os.path.join(fake, "python3.11"), 0o755)
            env = offline_env(PATH=fake + os.pathsep + os.environ["PATH"])
            self.build(d, "--parallel", env=env)
            with open(log) as f:
                self.assertEqual(f.read(), "run\n")
            self.assertEqual(len({sha(self.art(d, x)) for x in "ABC"}), 1)
            self.assertIn("tinypkg/__init__.py", names(self.art(d, "C")))
            self.assertTrue(os.path.isfile(os.path.join(d, ".lamb/build/C/tinypkg/__init__.py")))

    @needs_pip
    def test_failing_pip_keeps_previous_artifact(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": "",
                      "src/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "src/wheels/tinypkg-1.0-py3-none-any.whl"))
            self.build(d)
            before = sha(self.art(d, "Fn"))
            listing = sorted(os.listdir(os.path.join(d, ".lamb/build")))
            with open(os.path.join(d, "src/requirements.txt"), "w") as f:
                f.write("no-such-package-lamb==9.9\n")
            with open(os.path.join(d, "src/app.py"), "w") as f:
                f.write("changed = True\n")
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("requirements.txt", r.stderr)
            self.assertIn("no-such-package-lamb", r.stderr)  # pip's own message
            self.assertEqual(sha(self.art(d, "Fn")), before)
            self.assertEqual(os.listdir(os.path.join(d, ".lamb/build/artifacts")), ["Fn.zip"])
            self.assertEqual(sorted(os.listdir(os.path.join(d, ".lamb/build"))), listing)
            with open(os.path.join(d, ".lamb/build/Fn/app.py")) as f:
                self.assertEqual(f.read(), "")

    @unittest.skipUnless(shutil.which("npm"), "npm is not installed")
    def test_node_with_file_dependency(self):
        pkg = {"name": "fn", "version": "1.0.0", "dependencies": {"tiny": "file:../tiny"},
               "devDependencies": {}}
        tiny = {"name": "tiny", "version": "1.0.0", "main": "index.js"}
        with project({"template.yaml": HEADER + fn("Fn", "nodejs20.x"), "src/app.js": "exports.handler = 1;\n",
                      "src/package.json": json.dumps(pkg), "tiny/package.json": json.dumps(tiny),
                      "tiny/index.js": "module.exports = 7;\n"}) as d:
            self.build(d)
            z = self.art(d, "Fn")
            self.assertIn("node_modules/tiny/index.js", names(z))
            m = modes(z)
            self.assertTrue(stat.S_ISREG(m["node_modules/tiny/index.js"]))
            self.assertFalse(os.path.exists(os.path.join(d, "src/node_modules")))

    @unittest.skipUnless(shutil.which("npm"), "npm is not installed")
    @needs_pip
    def test_local_dependencies_outside_the_source_are_inputs(self):
        pkg = {"name": "fn", "version": "1.0.0", "dependencies": {"tiny": "file:../tiny"}}
        t = HEADER + fn("Node", "nodejs20.x", code="node") + fn("Py", code="py")
        with project({"template.yaml": t, "node/app.js": "", "node/package.json": json.dumps(pkg),
                      "tiny/package.json": '{"name": "tiny", "version": "1.0.0"}', "tiny/index.js": "1;\n",
                      "py/app.py": "", "py/requirements.txt": "../wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "wheels/tinypkg-1.0-py3-none-any.whl"))
            self.build(d)
            r = self.build(d)
            self.assertEqual(r.stderr.count("up to date "), 2, r.stderr)
            with open(os.path.join(d, "tiny/index.js"), "w") as f:
                f.write("2;\n")
            write_wheel(os.path.join(d, "wheels/tinypkg-1.0-py3-none-any.whl"), value=43)
            r = self.build(d)
            self.assertEqual(r.stderr.count("built "), 2, r.stderr)
            with zipfile.ZipFile(self.art(d, "Node")) as z:
                self.assertEqual(z.read("node_modules/tiny/index.js"), b"2;\n")
            with zipfile.ZipFile(self.art(d, "Py")) as z:
                self.assertEqual(z.read("tinypkg/__init__.py"), b"VALUE = 43\n")

    @unittest.skipUnless(shutil.which("npm"), "npm is not installed")
    def test_node_lock_file_means_npm_ci(self):
        pkg = {"name": "fn", "version": "1.0.0"}
        lock = {"name": "fn", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
                "packages": {"": {"name": "fn", "version": "1.0.0"}}}
        with project({"template.yaml": HEADER + fn("Fn", "nodejs20.x"), "src/app.js": "",
                      "src/package.json": json.dumps(pkg), "src/package-lock.json": json.dumps(lock)}) as d:
            self.build(d)
            self.assertIn("package-lock.json", names(self.art(d, "Fn")))
            pkg["dependencies"] = {"left-pad": "1.3.0"}  # not in the lock: npm ci refuses
            with open(os.path.join(d, "src/package.json"), "w") as f:
                json.dump(pkg, f)
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("npm ci", r.stderr)

    @unittest.skipUnless(shutil.which("npm"), "npm is not installed")
    def test_node_layer_under_nodejs(self):
        t = HEADER + layer("Lib", "lib", "nodejs20.x")
        with project({"template.yaml": t, "lib/package.json": '{"name": "lib", "version": "1.0.0"}',
                      "lib/index.js": "module.exports = 1;\n"}) as d:
            self.build(d)
            n = names(self.art(d, "Lib"))
            self.assertIn("nodejs/index.js", n)
            self.assertIn("nodejs/package.json", n)

    def test_makefile(self):
        mk = ("build-Fn:\n\tcp bootstrap $(ARTIFACTS_DIR)/bootstrap\n"
              "\techo built > $(ARTIFACTS_DIR)/marker.txt\n")
        extra = ""
        t = HEADER + fn("Fn", "provided.al2023", extra=extra)
        with project({"template.yaml": t, "src/Makefile": mk, "src/bootstrap": "#!/bin/sh\necho hi\n",
                      "src/other.txt": "not copied\n"}) as d:
            os.chmod(os.path.join(d, "src/bootstrap"), 0o755)
            r = self.build(d)
            self.assertIn("makefile", r.stderr)
            self.assertEqual(names(self.art(d, "Fn")), ["bootstrap", "marker.txt"])
            self.assertEqual(modes(self.art(d, "Fn"))["bootstrap"], stat.S_IFREG | 0o755)

    def test_interrupted_build_keeps_previous(self):
        mk = "build-Fn:\n\tcp bootstrap $(ARTIFACTS_DIR)/\n\tif [ -f slow ]; then sleep 30; fi\n"
        t = HEADER + fn("Fn", "provided.al2023")
        with project({"template.yaml": t, "src/Makefile": mk, "src/bootstrap": "old\n"}) as d:
            self.build(d)
            before = sha(self.art(d, "Fn"))
            for name, text in (("src/slow", ""), ("src/bootstrap", "new\n")):
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            build_dir = os.path.join(d, ".lamb/build")
            p = subprocess.Popen([LAMB, "build"], cwd=d, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.time() + 20
                while not [n for n in os.listdir(build_dir) if n.startswith(".tmp-")]:
                    self.assertLess(time.time(), deadline, "the build never started")
                    time.sleep(0.05)
                time.sleep(0.3)
            finally:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            self.assertEqual(sha(self.art(d, "Fn")), before)
            self.assertEqual(os.listdir(os.path.join(build_dir, "artifacts")), ["Fn.zip"])
            with open(os.path.join(build_dir, "Fn/bootstrap")) as f:
                self.assertEqual(f.read(), "old\n")
            os.unlink(os.path.join(d, "src/slow"))
            self.build(d)
            self.assertFalse([n for n in os.listdir(build_dir) if n.startswith(".tmp-")])
            with zipfile.ZipFile(self.art(d, "Fn")) as z:
                self.assertEqual(z.read("bootstrap"), b"new\n")

    def test_zip_code_is_used_as_is(self):
        t = HEADER + fn("Fn", code="code.zip")
        with project({"template.yaml": t}) as d:
            with zipfile.ZipFile(os.path.join(d, "code.zip"), "w") as z:
                z.writestr("app.py", "")
            r = self.build(d)
            self.assertNotIn("'Fn'", r.stderr)
            with open(os.path.join(d, ".lamb/build/template.yaml")) as f:
                self.assertIn('CodeUri: "../../code.zip"', f.read())
            v = run("validate", "-t", os.path.join(d, ".lamb/build/template.yaml"), cwd=d)
            self.assertEqual(v.returncode, 0, v.stderr)

    def test_prune_never_follows_links_out(self):
        mk = "build-Fn:\n\tcp bootstrap $(ARTIFACTS_DIR)/\n\tln -s $(CURDIR)/../outside $(ARTIFACTS_DIR)/data\n"
        t = HEADER + fn("Fn", "provided.al2023")
        with project({"template.yaml": t, "src/Makefile": mk, "src/bootstrap": "", "src/.lambignore": "*.tmp\n",
                      "outside/keep.tmp": "precious", "outside/a.txt": "a"}) as d:
            self.build(d)
            self.assertTrue(os.path.exists(os.path.join(d, "outside/keep.tmp")))
            self.assertIn("data/a.txt", names(self.art(d, "Fn")))

    def test_unknown_method_zips_the_source_with_a_warning(self):
        t = HEADER + fn("Fn", "java21", extra="    Metadata:\n      BuildMethod: esbuild\n") + fn("J", "java21")
        with project({"template.yaml": t, "src/app.py": ""}) as d:
            r = self.build(d)
            self.assertIn("no build method 'esbuild'", r.stderr)
            self.assertIn("does not build runtime 'java21'", r.stderr)
            self.assertEqual(names(self.art(d, "Fn")), ["app.py"])

    def test_makefile_failure_shows_output(self):
        mk = "build-Fn:\n\t@echo make-says-no >&2; exit 3\n"
        t = HEADER + fn("Fn", "provided.al2023", extra="    Metadata:\n      BuildMethod: makefile\n")
        with project({"template.yaml": t, "src/Makefile": mk}) as d:
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("make-says-no", r.stderr)
            self.assertIn("build-Fn", r.stderr)

    def test_modes_and_executable_bit(self):
        with project({"template.yaml": HEADER + fn("Fn", "provided.al2023"), "src/bootstrap": "#!/bin/sh\n",
                      "src/lib/data.txt": "x", "src/lib/pic.PNG": "png" * 100}) as d:
            os.chmod(os.path.join(d, "src/bootstrap"), 0o700)
            os.chmod(os.path.join(d, "src/lib/data.txt"), 0o600)
            self.build(d)
            m = modes(self.art(d, "Fn"))
            self.assertEqual(m["bootstrap"], stat.S_IFREG | 0o755)
            self.assertEqual(m["lib/data.txt"], stat.S_IFREG | 0o644)
            self.assertEqual(m["lib/"], stat.S_IFDIR | 0o755)
            with zipfile.ZipFile(self.art(d, "Fn")) as z:
                self.assertEqual({i.date_time for i in z.infolist()}, {(1980, 1, 1, 0, 0, 0)})
                self.assertEqual(z.getinfo("bootstrap").compress_type, zipfile.ZIP_DEFLATED)
                self.assertEqual(z.getinfo("lib/pic.PNG").compress_type, zipfile.ZIP_STORED)
                self.assertEqual(z.read("lib/pic.PNG"), b"png" * 100)

    def test_symlinks(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": "", "src/real/a.txt": "a",
                      "outside.txt": "outside"}) as d:
            os.symlink("real/a.txt", os.path.join(d, "src/inner"))
            os.symlink(os.path.join(d, "outside.txt"), os.path.join(d, "src/outer"))
            self.build(d)
            z = self.art(d, "Fn")
            m = modes(z)
            self.assertTrue(stat.S_ISLNK(m["inner"]))
            self.assertTrue(stat.S_ISREG(m["outer"]))
            with zipfile.ZipFile(z) as zf:
                self.assertEqual(zf.read("inner"), b"real/a.txt")
                self.assertEqual(zf.read("outer"), b"outside")

    def test_lambignore_and_builtin_exclusions(self):
        files = {"template.yaml": HEADER + fn("Fn"), "src/app.py": "", "src/x.pyc": "", "src/keep.pyc": "",
                 "src/data/big.bin": "", "src/sub/data/y.txt": "", "src/top.txt": "", "src/sub/top.txt": "",
                 "src/.git/config": "", "src/__pycache__/app.cpython-311.pyc": "", "src/docs/a/b/c.md": "",
                 "src/.lambignore": "# comment\n*.pyc\n!keep.pyc\ndata/\n/top.txt\ndocs/**/*.md\n"}
        with project(files) as d:
            self.build(d)
            self.assertEqual(names(self.art(d, "Fn")),
                             ["app.py", "docs/", "docs/a/", "docs/a/b/", "keep.pyc", "sub/", "sub/top.txt"])

    def test_code_at_template_dir_skips_build_dir(self):
        with project({"template.yaml": HEADER + fn("Fn", code="."), "app.py": ""}) as d:
            self.build(d)
            self.build(d, "--no-cached")
            self.assertEqual(names(self.art(d, "Fn")), ["app.py", "template.yaml"])

    def test_reproducible_after_touch_and_rebuild(self):
        files = {"template.yaml": HEADER + fn("Fn"), "src/app.py": "print(1)\n", "src/b/c.txt": "c" * 5000}
        with project(files) as d:
            self.build(d)
            first = sha(self.art(d, "Fn"))
            shutil.rmtree(os.path.join(d, ".lamb"))
            later = time.time() + 3600
            for root, dirs, fs in os.walk(os.path.join(d, "src")):
                for f in fs + dirs:
                    os.utime(os.path.join(root, f), (later, later))
            self.build(d)
            self.assertEqual(sha(self.art(d, "Fn")), first)
            self.build(d, "--no-cached")
            self.assertEqual(sha(self.art(d, "Fn")), first)

    def test_source_date_epoch(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": ""}) as d:
            self.build(d, env=offline_env(SOURCE_DATE_EPOCH="1700000000", TZ="UTC"))
            with zipfile.ZipFile(self.art(d, "Fn")) as z:
                self.assertEqual(z.getinfo("app.py").date_time, (2023, 11, 14, 22, 13, 20))

    def test_noop_rebuild_does_not_rewrite(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": "x = 1\n"}) as d:
            self.build(d)
            z = self.art(d, "Fn")
            st = os.stat(z)
            r = self.build(d)
            self.assertIn("up to date", r.stderr)
            self.assertEqual(os.stat(z).st_mtime_ns, st.st_mtime_ns)
            self.assertEqual(os.stat(z).st_ino, st.st_ino)
            r = self.build(d, "-q")
            self.assertEqual(r.stderr, "")
            with open(os.path.join(d, "src/app.py"), "w") as f:
                f.write("x = 2\n")
            r = self.build(d)
            self.assertIn("built", r.stderr)
            self.assertNotEqual(os.stat(z).st_ino, st.st_ino)
            r = self.build(d, "--no-cached")
            self.assertNotIn("up to date", r.stderr.splitlines()[0])

    def test_hash_cache_never_hides_a_change(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": "x = 1\n", "src/b.py": "b\n"}) as d:
            app = os.path.join(d, "src/app.py")
            old = time.time() - 100
            os.utime(app, (old, old))
            self.build(d)
            self.assertTrue(os.path.exists(os.path.join(d, ".lamb/build/.cache-Fn")))
            self.assertIn("up to date", self.build(d).stderr)
            os.utime(os.path.join(d, "src/b.py"))  # touch: same content
            self.assertIn("up to date", self.build(d).stderr)
            with open(app, "w") as f:  # same size, same mtime: the ctime tells
                f.write("x = 2\n")
            os.utime(app, (old, old))
            self.assertIn("built ", self.build(d).stderr)
            with zipfile.ZipFile(self.art(d, "Fn")) as z:
                self.assertEqual(z.read("app.py"), b"x = 2\n")
            with open(app, "w") as f:  # changed again within the second the cache was written
                f.write("x = 3\n")
            self.assertIn("built ", self.build(d).stderr)
            self.assertIn("up to date", self.build(d).stderr)

    def test_removed_function_leaves_the_build_folder(self):
        with project({"template.yaml": HEADER + fn("A") + fn("B"), "src/app.py": ""}) as d:
            self.build(d)
            self.assertTrue(os.path.exists(self.art(d, "B")))
            with open(os.path.join(d, "template.yaml"), "w") as f:
                f.write(HEADER + fn("A"))
            self.build(d, "A")  # a partial build leaves B alone
            self.assertTrue(os.path.exists(self.art(d, "B")))
            self.build(d)
            self.assertFalse(os.path.exists(self.art(d, "B")))
            self.assertFalse(os.path.exists(os.path.join(d, ".lamb/build/B")))
            with open(os.path.join(d, ".lamb/build/manifest.json")) as f:
                self.assertEqual(list(json.load(f)["artifacts"]), ["A"])

    def test_limit_zipped(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": ""}) as d:
            with open(os.path.join(d, "src/random.bin"), "wb") as f:
                f.write(os.urandom(51 * 1024 * 1024))
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("50 MB", r.stderr)
            self.assertFalse(os.path.exists(self.art(d, "Fn")))
            self.assertEqual(os.listdir(os.path.join(d, ".lamb/build/artifacts")), [])

    def test_limit_unzipped_with_layers(self):
        t = HEADER + layer("Lib", "lib") + fn("Fn", extra="      Layers: [!Ref Lib]\n")
        with project({"template.yaml": t, "src/app.py": "", "lib/x.py": ""}) as d:
            for path in ("src/zeros.bin", "lib/zeros.bin"):
                with open(os.path.join(d, path), "wb") as f:
                    f.truncate(130 * 1024 * 1024)
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("250 MB", r.stderr)
            self.assertIn("'Fn'", r.stderr)
            self.assertTrue(os.path.exists(self.art(d, "Lib")))

    def test_limit_layers(self):
        layers = "".join(layer(f"L{i}", "lib") for i in range(6))
        refs = ", ".join(f"!Ref L{i}" for i in range(6))
        t = HEADER + layers + fn("Fn", extra=f"      Layers: [{refs}]\n")
        with project({"template.yaml": t, "src/app.py": "", "lib/x.py": ""}) as d:
            r = self.build(d, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("6 layers", r.stderr)

    def test_built_template(self):
        t = ("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
             "Globals:\n  Function:\n    CodeUri: src   # shared\n    Runtime: python3.11\n"
             "Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h\n"
             "  B:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: app.h\n"
             "      Runtime: python3.11\n      Role: arn:aws:iam::123456789012:role/r\n      Code: other\n"
             "  C:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: app.h, CodeUri: !Sub 'src'}\n"
             )
        with project({"template.yaml": t, "src/app.py": "", "other/app.py": ""}) as d:
            self.build(d)
            with open(os.path.join(d, ".lamb/build/template.yaml")) as f:
                out = f.read()
            self.assertIn('    Properties:\n      CodeUri: "artifacts/A.zip"\n      Handler: app.h\n', out)
            self.assertIn('      Code: "artifacts/B.zip"\n', out)
            self.assertIn("Properties: {Handler: app.h, CodeUri: \"artifacts/C.zip\"}", out)
            self.assertIn("    CodeUri: src   # shared\n", out)
            self.assertEqual(out.replace('CodeUri: "artifacts/A.zip"\n      ', "")
                             .replace('"artifacts/B.zip"', "other")
                             .replace('"artifacts/C.zip"', "!Sub 'src'"), t)
            v = run("validate", "-t", os.path.join(d, ".lamb/build/template.yaml"), cwd=d)
            self.assertEqual(v.returncode, 0, v.stderr)

    def test_function_all_from_globals(self):
        """No Properties block at all (issue 19): the built template gains one."""
        t = ("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
             "Globals:\n  Function:\n    CodeUri: src\n    Runtime: python3.11\n    Handler: app.h\n"
             "Resources:\n  F3:\n    Type: AWS::Serverless::Function\n")
        with project({"template.yaml": t, "src/app.py": "def h(e, c):\n    return 3\n"}) as d:
            self.build(d)
            with open(os.path.join(d, ".lamb/build/template.yaml")) as f:
                out = f.read()
            self.assertIn('  F3:\n    Properties:\n      CodeUri: "artifacts/F3.zip"\n    Type: AWS::', out)
            r = run("local", "invoke", "F3", "--no-build", "-t", ".lamb/build/template.yaml", cwd=d)
            self.assertEqual((r.returncode, r.stdout.strip()), (0, "3"), r.stderr)

    def test_json_template(self):
        t = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function",
                   "Properties": {"Handler": "app.h", "Runtime": "python3.11"}}}}
        with project({"template.json": json.dumps(t, indent=2), "app.py": ""}) as d:
            self.build(d)
            with open(os.path.join(d, ".lamb/build/template.yaml")) as f:
                out = json.load(f)
            self.assertEqual(out["Resources"]["Fn"]["Properties"]["CodeUri"], "artifacts/Fn.zip")

    def test_one_logical_id_and_parallel(self):
        t = HEADER + layer("Lib", "lib") + fn("A", extra="      Layers: [!Ref Lib]\n") + fn("B") + fn("C")
        with project({"template.yaml": t, "src/app.py": "", "lib/x.py": ""}) as d:
            r = self.build(d, "A")
            self.assertTrue(os.path.exists(self.art(d, "A")))
            self.assertTrue(os.path.exists(self.art(d, "Lib")))
            self.assertFalse(os.path.exists(self.art(d, "B")))
            with open(os.path.join(d, ".lamb/build/template.yaml")) as f:
                out = f.read()
            self.assertIn('"artifacts/A.zip"', out)
            self.assertIn('CodeUri: "../../src"', out)
            r = self.build(d, "--parallel", "--no-cached")
            self.assertEqual(r.stderr.count("built "), 4, r.stderr)
            r = run("build", "Nope", cwd=d)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no function or layer 'Nope'", r.stderr)

    def test_build_dir_option(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": ""}) as d:
            self.build(d, "-b", "out")
            self.assertTrue(os.path.exists(os.path.join(d, "out/artifacts/Fn.zip")))
            self.assertTrue(os.path.exists(os.path.join(d, "out/template.yaml")))
            self.assertFalse(os.path.exists(os.path.join(d, ".lamb")))


APP_USING_WHEEL = "import tinypkg\n\ndef handler(event, context):\n    return {'value': tinypkg.VALUE, 'v': 1}\n"


class BuildBeforeRun(unittest.TestCase):
    """lamb local invoke (and start-api/start-lambda) build a function that
    needs it before running it, incrementally, and never run a stale build."""

    @needs_pip
    def test_invoke_builds_first_and_never_runs_a_stale_build(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": APP_USING_WHEEL,
                      "src/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            write_wheel(os.path.join(d, "src/wheels/tinypkg-1.0-py3-none-any.whl"))
            r = run("local", "invoke", cwd=d, env=offline_env(), timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout), {"value": 42, "v": 1})
            self.assertIn("built      function 'Fn'", r.stderr)
            # unchanged: no rebuild, no line about it
            r = run("local", "invoke", cwd=d, env=offline_env(), timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("built", r.stderr)
            # an edit of the source is what runs next, without lamb build
            with open(os.path.join(d, "src/app.py"), "w") as f:
                f.write(APP_USING_WHEEL.replace("'v': 1", "'v': 2"))
            r = run("local", "invoke", cwd=d, env=offline_env(), timeout=300)
            self.assertEqual(json.loads(r.stdout), {"value": 42, "v": 2}, r.stderr)

    def test_no_build_runs_the_source_as_it_is(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": APP_USING_WHEEL,
                      "src/requirements.txt": "./wheels/tinypkg-1.0-py3-none-any.whl\n"}) as d:
            r = run("local", "invoke", "--no-build", cwd=d, env=offline_env(), timeout=120)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(json.loads(r.stdout)["errorType"], "Runtime.ImportModuleError")
            # nothing built; the only thing kept is the invocation's log (lamb logs)
            self.assertFalse(os.path.exists(os.path.join(d, ".lamb", "build")))
            self.assertEqual(os.listdir(os.path.join(d, ".lamb")), ["logs"])

    def test_failing_build_stops_the_run_and_says_so(self):
        with project({"template.yaml": HEADER + fn("Fn"), "src/app.py": APP_USING_WHEEL,
                      "src/requirements.txt": "./wheels/missing-1.0-py3-none-any.whl\n"}) as d:
            r = run("local", "invoke", cwd=d, env=offline_env(), timeout=300)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot build function 'Fn'", r.stderr)
            self.assertIn("--no-build", r.stderr)
            self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    main()
