"""lamb build for the template's target, not the host, against a PEP 503
index this test serves on 127.0.0.1 with wheels and sdists it makes itself
(wheelkit.py; there is no PyPI here): a python3.12 arm64 function gets the
cp312 aarch64 wheel on this x86_64 Python 3.11 host, and the x86_64 one
when Architectures changes; a pure sdist is built and taken; an sdist with
a C extension is refused with the fixes; no index → a clear error in under
5 s; a wheelhouse builds with no index at all. The native-code doctor
catches an x86_64 .so copied into an arm64 function, a .so needing
GLIBC_2.38, a cp311 extension in a python3.12 layer and a library nobody
provides; `package` refuses, `--no-verify` lets through (AWS stand-in)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
import wheelkit as wk  # noqa: E402
from aws_standin import AwsStandin  # noqa: E402

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: fn
      Architectures: [{arch}]
"""

DOCTOR_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Arm:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: arm, Architectures: [arm64]}
  X86:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: x86, Layers: [!Ref Deps]}
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer, CompatibleRuntimes: [python3.12]}
"""


def setUpModule():
    global INDEX, URL, WHEELS, SCRATCH
    if not shutil.which("gcc"):
        raise unittest.SkipTest("no gcc to make the native test wheels")
    SCRATCH = tempfile.mkdtemp(prefix="lamb-test-wheels-")
    INDEX = wk.Index(os.path.join(SCRATCH, "index"))
    WHEELS = os.path.join(SCRATCH, "wheelhouse")
    os.makedirs(WHEELS)
    so = wk.gcc_so("int fast(void) { return 1; }\n", workdir=SCRATCH)
    for py in ("311", "312"):
        for machine, data in (("x86_64", so), ("aarch64", wk.minimal_elf(wk.EM_AARCH64))):
            tag = f"cp{py}-cp{py}-manylinux2014_{machine}"
            name = f"fastmath-1.0-{tag}.whl"
            whl = wk.wheel_bytes("fastmath", "1.0", tag, {
                "fastmath/__init__.py": b"",
                f"fastmath/_core.cpython-{py}-{machine}-linux-gnu.so": data})
            INDEX.add("fastmath", name, whl)
            with open(os.path.join(WHEELS, name), "wb") as f:
                f.write(whl)
    INDEX.add("purepkg", "purepkg-1.0-py3-none-any.whl",
              wk.wheel_bytes("purepkg", "1.0", "py3-none-any", {"purepkg/__init__.py": b"X = 1\n"}))
    INDEX.add("cext", "cext-1.0.tar.gz", wk.sdist_bytes("cext", "1.0", native=True))
    INDEX.add("puresd", "puresd-1.0.tar.gz", wk.sdist_bytes("puresd", "1.0", native=False))
    URL = INDEX.start()


def tearDownModule():
    INDEX.stop()
    shutil.rmtree(SCRATCH, ignore_errors=True)


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "AWS_"))}
    e.update(PIP_INDEX_URL=URL, PIP_DISABLE_PIP_VERSION_CHECK="1", LAMB_PYTHON=sys.executable,
             PIP_CACHE_DIR=os.path.join(SCRATCH, "pip-cache"))
    for k, v in extra.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def files_under(root):
    out = []
    for dp, _, fs in os.walk(root):
        out += [os.path.relpath(os.path.join(dp, f), root) for f in fs]
    return sorted(out)


class Target(unittest.TestCase):
    def project(self, requirements, arch="arm64"):
        d = lambtest.project({
            "template.yaml": TEMPLATE.format(arch=arch),
            "fn/app.py": "def handler(e, c):\n    return 1\n",
            "fn/requirements.txt": requirements,
        })
        self.addCleanup(d.cleanup)
        return d.name

    def build(self, d, *args, **kw):
        return lambtest.run("build", *args, cwd=d, env=kw.pop("env", None) or env(), timeout=180)

    def test_arm64_python312_gets_its_wheels_and_changing_arch_rebuilds(self):
        d = self.project("fastmath==1.0\npurepkg==1.0\npuresd==1.0\n")
        r = self.build(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        built = files_under(os.path.join(d, ".lamb/build/Fn"))
        self.assertIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so", built)
        self.assertNotIn("fastmath/_core.cpython-311-x86_64-linux-gnu.so", built)
        self.assertIn("purepkg/__init__.py", built)
        self.assertIn("puresd/__init__.py", built, "the pure sdist is built here and taken")
        self.assertFalse([f for f in built if ".lamb-wheels" in f], built)
        r = self.build(d, "--check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 artifact checked", r.stderr)
        # --check reads what is there, not the findings kept by the last build
        evil = os.path.join(d, ".lamb/build/Fn/evil.so")
        with open(evil, "wb") as f:
            f.write(wk.minimal_elf(wk.EM_X86_64))
        r = self.build(d, "--check")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("function 'Fn': 'evil.so' is built for x86_64; Lambda loads it on arm64", r.stderr)
        os.unlink(evil)
        with open(os.path.join(d, "template.yaml"), "w") as f:
            f.write(TEMPLATE.format(arch="x86_64"))
        r = self.build(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("built ", r.stderr, "a new architecture is a new target: rebuilt")
        built = files_under(os.path.join(d, ".lamb/build/Fn"))
        self.assertIn("fastmath/_core.cpython-312-x86_64-linux-gnu.so", built)
        self.assertNotIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so", built)

    def test_layer_built_for_what_it_declares_or_its_users(self):
        """A layer is built for its CompatibleArchitectures when it names one,
        else for the functions that use it; its BuildMethod (or, without a
        python one, CompatibleRuntimes) gives the Python version."""
        d = lambtest.project({
            "template.yaml": """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: fn, Architectures: [arm64],
                 Layers: [!Ref Used]}
  Declared:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: declared, CompatibleRuntimes: [python3.11], CompatibleArchitectures: [arm64]}
    Metadata: {BuildMethod: python3.11}
  Used:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: used, CompatibleRuntimes: [python3.12]}
    Metadata: {BuildMethod: python3.12}
""",
            "fn/app.py": "", "declared/requirements.txt": "fastmath==1.0\n",
            "used/requirements.txt": "fastmath==1.0\n"})
        self.addCleanup(d.cleanup)
        r = self.build(d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        declared = files_under(os.path.join(d.name, ".lamb/build/Declared"))
        self.assertIn("python/fastmath/_core.cpython-311-aarch64-linux-gnu.so", declared)
        used = files_under(os.path.join(d.name, ".lamb/build/Used"))
        self.assertIn("python/fastmath/_core.cpython-312-aarch64-linux-gnu.so", used)
        self.assertNotIn("python/fastmath/_core.cpython-312-x86_64-linux-gnu.so", used)

    def test_layer_for_several_python_versions(self):
        """CompatibleRuntimes naming python3.11 and python3.12 (or, with none,
        functions of both using the layer): each version's
        wheels in its own python/lib/python3.N/site-packages (Lambda puts
        that folder on sys.path for python3.N alone), and the doctor checks
        each against its own version, alone and for each user."""
        d = lambtest.project({
            "template.yaml": """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Old:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, Handler: app.handler, CodeUri: fn, Architectures: [arm64],
                 Layers: [!Ref Both, !Ref Users]}
  New:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: fn, Architectures: [arm64],
                 Layers: [!Ref Both, !Ref Users]}
  Users:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: both}
    Metadata: {BuildMethod: python3.12}
  Both:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: both, CompatibleRuntimes: [python3.11, python3.12], CompatibleArchitectures: [arm64]}
    Metadata: {BuildMethod: python3.12}
""",
            "fn/app.py": "", "both/requirements.txt": "fastmath==1.0\n"})
        self.addCleanup(d.cleanup)
        r = self.build(d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        built = files_under(os.path.join(d.name, ".lamb/build/Both"))
        self.assertIn("python/lib/python3.11/site-packages/fastmath/_core.cpython-311-aarch64-linux-gnu.so", built)
        self.assertIn("python/lib/python3.12/site-packages/fastmath/_core.cpython-312-aarch64-linux-gnu.so", built)
        self.assertFalse([f for f in built if f.startswith("python/fastmath/")], built)
        self.assertEqual(built, files_under(os.path.join(d.name, ".lamb/build/Users")),
                         "no CompatibleRuntimes: the versions of the functions that use it")
        r = self.build(d.name, "--check")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.build(d.name, "Both", "--check")
        self.assertEqual(r.returncode, 0, r.stderr)
        # a cp311 extension put in python3.12's folder by hand is still caught
        bad = os.path.join(d.name, "both/lib/python3.12/site-packages/_x.cpython-311-aarch64-linux-gnu.so")
        os.makedirs(os.path.dirname(bad))
        with open(bad, "wb") as f:
            f.write(wk.minimal_elf(wk.EM_AARCH64))
        r = self.build(d.name)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.count("lamb: error:"), 2, r.stderr)  # the same source, two layers
        self.assertIn("'python/lib/python3.12/site-packages/_x.cpython-311-aarch64-linux-gnu.so' is "
                      "an extension for CPython 3.11; python3.12 on arm64 loads only cpython-312", r.stderr)

    def test_layer_for_several_versions_on_host_is_another_tree(self):
        """--build-on-host (as lamb local builds) installs once, for this
        interpreter: not the per-version tree, even when this interpreter
        is the BuildMethod's (python3.11 on x86_64 here)."""
        if sys.version_info[:2] != (3, 11) or os.uname().machine != "x86_64":
            self.skipTest("needs this test's interpreter to be Python 3.11 on x86_64")
        d = lambtest.project({
            "template.yaml": """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Both:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: both, CompatibleRuntimes: [python3.11, python3.12]}
    Metadata: {BuildMethod: python3.11}
""",
            "both/requirements.txt": "fastmath==1.0\n"})
        self.addCleanup(d.cleanup)
        tree = os.path.join(d.name, ".lamb/build/Both")
        per_version = "python/lib/python3.12/site-packages/fastmath/_core.cpython-312-x86_64-linux-gnu.so"
        r = self.build(d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(per_version, files_under(tree))
        r = self.build(d.name, "--build-on-host")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("python/fastmath/_core.cpython-311-x86_64-linux-gnu.so", files_under(tree))
        self.assertNotIn(per_version, files_under(tree))
        r = self.build(d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(per_version, files_under(tree))

    def test_native_sdist_is_refused_with_the_fixes(self):
        d = self.project("cext==1.0\n")
        r = self.build(d)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("'cext' 1.0 has no wheel for Python 3.12 on arm64", r.stderr)
        self.assertIn("its sdist builds native code", r.stderr)
        self.assertIn("pin a version of 'cext' that has a wheel", r.stderr)
        self.assertIn("--build-on-host", r.stderr)

    def test_no_index_fails_fast(self):
        d = self.project("fastmath==1.0\n")
        port = lambtest.free_port()
        t0 = time.monotonic()
        r = self.build(d, env=env(PIP_INDEX_URL=f"http://127.0.0.1:{port}/simple"))
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(took, 5.0, r.stderr)
        self.assertIn(f"no package index answers ('http://127.0.0.1:{port}/simple'", r.stderr)
        for word in ("--wheelhouse", "PIP_INDEX_URL", "PIP_FIND_LINKS", "pip.conf"):
            self.assertIn(word, r.stderr)

    def test_wheelhouse_builds_with_no_index(self):
        d = self.project("fastmath==1.0\n")
        port = lambtest.free_port()
        r = self.build(d, "--wheelhouse", WHEELS, env=env(PIP_INDEX_URL=f"http://127.0.0.1:{port}/simple"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so",
                      files_under(os.path.join(d, ".lamb/build/Fn")))
        # what the wheelhouse lacks: said as such, in seconds
        d = self.project("fastmath==1.0\npurepkg==1.0\n")
        t0 = time.monotonic()
        r = self.build(d, "--wheelhouse", WHEELS, env=env(PIP_INDEX_URL=f"http://127.0.0.1:{port}/simple"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(time.monotonic() - t0, 30, r.stderr)
        self.assertIn("lacks what requirements.txt needs", r.stderr)

    def test_extra_index_answers_when_the_primary_does_not(self):
        """PIP_EXTRA_INDEX_URL (the team's mirror) is enough: a dead primary
        is not taken for no network."""
        d = self.project("fastmath==1.0\n")
        dead = f"http://127.0.0.1:{lambtest.free_port()}/simple"
        r = self.build(d, env=env(PIP_INDEX_URL=dead, PIP_EXTRA_INDEX_URL=URL))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so",
                      files_under(os.path.join(d, ".lamb/build/Fn")))

    def pip_conf(self, text):
        fd, path = tempfile.mkstemp(suffix=".conf", dir=SCRATCH)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def test_pip_conf_indexes_and_find_links(self):
        """pip.conf as pip reads it: an extra index given on a continuation
        line, and find-links with no index answering (built offline)."""
        dead = f"http://127.0.0.1:{lambtest.free_port()}/simple"
        conf = self.pip_conf(f"[global]\nindex-url = {dead}\nextra-index-url =\n    {URL}\n")
        d = self.project("fastmath==1.0\n")
        r = self.build(d, env=env(PIP_INDEX_URL=None, PIP_CONFIG_FILE=conf))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so",
                      files_under(os.path.join(d, ".lamb/build/Fn")))
        conf = self.pip_conf(f"[global]\nindex-url = {dead}\n[install]\nfind_links = {WHEELS}\n")
        d = self.project("fastmath==1.0\n")
        t0 = time.monotonic()
        r = self.build(d, env=env(PIP_INDEX_URL=None, PIP_CONFIG_FILE=conf))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - t0, 30, "offline: no retries of the dead index")
        self.assertIn("fastmath/_core.cpython-312-aarch64-linux-gnu.so",
                      files_under(os.path.join(d, ".lamb/build/Fn")))
        conf = self.pip_conf(f"[global]\nindex-url = {dead}\n")
        r = self.build(self.project("fastmath==1.0\n"), env=env(PIP_INDEX_URL=None, PIP_CONFIG_FILE=conf))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"no package index answers ('{dead}'", r.stderr)

    def test_fallback_warning_said_once(self):
        bindir = tempfile.mkdtemp(prefix="lamb-test-bin-")
        self.addCleanup(shutil.rmtree, bindir)
        os.symlink(sys.executable, os.path.join(bindir, "python3"))
        path = f"{bindir}:/usr/bin:/bin"
        if shutil.which("python3.12", path=path):
            self.skipTest("python3.12 is in /usr/bin: no fallback to warn about")
        d = lambtest.project({
            "template.yaml": TEMPLATE.format(arch="x86_64") + TEMPLATE.format(arch="x86_64").split(
                "Resources:\n")[1].replace("  Fn:", "  Fn2:").replace("CodeUri: fn", "CodeUri: fn2"),
            "fn/app.py": "def handler(e, c):\n    return 1\n", "fn/requirements.txt": "purepkg==1.0\n",
            "fn2/app.py": "", "fn2/requirements.txt": "purepkg==1.0\n",
        })
        self.addCleanup(d.cleanup)
        e = env(LAMB_PYTHON=None, PATH=path, PYENV_ROOT=bindir, ASDF_DATA_DIR=bindir)
        r = self.build(d.name, env=e)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("'python3.12' is not in PATH"), 1, r.stderr)
        self.assertEqual(r.stderr.count("lamb: warning:"), 1, r.stderr)
        # local invoke builds (for here) and runs: one line on the fallback, not the build's and the runtime's
        shutil.rmtree(os.path.join(d.name, ".lamb"))
        r = lambtest.run("local", "invoke", "Fn", cwd=d.name, env=e, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("lamb: warning:"), 1, r.stderr)
        self.assertIn("installs requirements.txt for python3.12 functions and runs them here", r.stderr)


NODE_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: nodejs20.x, Handler: app.handler, CodeUri: fn, Architectures: [{arch}]}}
"""


def npm_major():
    npm = shutil.which("npm")
    r = subprocess.run([npm, "--version"], capture_output=True, text=True) if npm else None
    return int(r.stdout.split(".")[0]) if r and r.returncode == 0 and r.stdout[:1].isdigit() else 0


class NpmTarget(unittest.TestCase):
    """npm's optional native packages (esbuild's, sharp's way: one package per
    CPU, each with "cpu" in its package.json) are chosen for the function's
    architecture with npm's --cpu/--os; an addon built for the wrong CPU is
    the doctor's either way. Local file: packages, so no registry is asked."""

    def project(self, arch, addon=None):
        pkgs = {"natx": "x64", "natarm": "arm64"}
        files = {"template.yaml": NODE_TEMPLATE.format(arch=arch), "fn/app.js": "exports.handler = async () => 1;\n",
                 "fn/package.json": '{"name": "fn", "version": "1.0.0", "optionalDependencies": {'
                                    + ", ".join(f'"{p}": "file:../{p}"' for p in pkgs) + "}}\n"}
        for p, cpu in pkgs.items():
            files[f"{p}/package.json"] = (f'{{"name": "{p}", "version": "1.0.0", "os": ["linux"], '
                                          f'"cpu": ["{cpu}"]}}\n')
            files[f"{p}/index.js"] = "module.exports = 1;\n"
        d = lambtest.project(files)
        self.addCleanup(d.cleanup)
        if addon:
            with open(os.path.join(d.name, "natx", "addon.node"), "wb") as f:
                f.write(addon)
        return d.name

    def modules(self, d):
        return sorted(m for m in os.listdir(os.path.join(d, ".lamb/build/Fn/node_modules")) if m[0] != ".")

    def test_optional_native_packages_for_the_target_cpu(self):
        if npm_major() < 10:
            self.skipTest("no npm 10 or later (--cpu and --os came with it)")
        d = self.project("arm64")
        r = lambtest.run("build", cwd=d, env=env(), timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.modules(d), ["natarm"])
        with open(os.path.join(d, "template.yaml"), "w") as f:
            f.write(NODE_TEMPLATE.format(arch="x86_64"))
        r = lambtest.run("build", cwd=d, env=env(), timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.modules(d), ["natx"])

    def test_doctor_checks_addons(self):
        """--build-on-host (or an npm older than 10) installs for this x86_64
        machine: the x64 package's addon is then caught."""
        if not shutil.which("npm"):
            self.skipTest("no npm")
        if os.uname().machine != "x86_64":
            self.skipTest("the host's npm picks the x64 package only on x86_64")
        so = wk.gcc_so("int f(void) { return 1; }\n", workdir=tempfile.mkdtemp(dir=SCRATCH))
        d = self.project("arm64", addon=so)
        r = lambtest.run("build", "--build-on-host", cwd=d, env=env(), timeout=180)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("function 'Fn': 'node_modules/natx/addon.node' is built for x86_64; Lambda loads it "
                      "on arm64", r.stderr)


def real_python(minor):
    """A CPython 3.minor interpreter of this machine (an ELF, not a shim), or None."""
    import glob
    for c in sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}")),
                    reverse=True) + [f"/usr/bin/python3.{minor}", f"/usr/local/bin/python3.{minor}"]:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            with open(c, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    return os.path.realpath(c)
    return None


class Interpreter(unittest.TestCase):
    """pyenv's python3.12 shim refuses to run while 3.11 is selected, but
    pyenv's 3.12 is installed: build and local invoke both take it from
    PYENV_ROOT/versions, with no fallback warning; a free-threaded or -dev
    build beside it is not taken."""

    def test_pyenv_version_not_selected(self):
        real = real_python(12)
        if not real:
            self.skipTest("no CPython 3.12 on this machine")
        root = tempfile.mkdtemp(prefix="lamb-test-pyenv-")
        self.addCleanup(shutil.rmtree, root)
        bindir = os.path.join(root, "shims")
        os.makedirs(bindir)
        with open(os.path.join(bindir, "python3.12"), "w") as f:
            f.write("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
        os.chmod(os.path.join(bindir, "python3.12"), 0o755)
        os.symlink(sys.executable, os.path.join(bindir, "python3"))
        for name, target in (("3.12.1", real), ("3.12.99t", "/bin/false"), ("3.12-dev", "/bin/false")):
            os.makedirs(os.path.join(root, "versions", name, "bin"))
            os.symlink(target, os.path.join(root, "versions", name, "bin", "python3.12"))
        d = lambtest.project({
            "template.yaml": TEMPLATE.format(arch="x86_64"),
            "fn/app.py": "import sys\ndef handler(e, c):\n    return list(sys.version_info[:2])\n",
            "fn/requirements.txt": "purepkg==1.0\n"})
        self.addCleanup(d.cleanup)
        e = env(LAMB_PYTHON=None, PATH=f"{bindir}:/usr/bin:/bin", PYENV_ROOT=root, ASDF_DATA_DIR=root)
        r = lambtest.run("build", cwd=d.name, env=e, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("warning", r.stderr)
        r = lambtest.run("local", "invoke", "Fn", cwd=d.name, env=e, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "[3, 12]", r.stderr)
        self.assertNotIn("warning", r.stderr)


class Doctor(unittest.TestCase):
    def setUp(self):
        so = wk.gcc_so("int f(void) { return 1; }\n", workdir=tempfile.mkdtemp(dir=SCRATCH))
        g238 = wk.glibc_238_so(tempfile.mkdtemp(dir=SCRATCH))
        self.dir = lambtest.project({"template.yaml": DOCTOR_TEMPLATE, "arm/app.py": "", "x86/app.py": "",
                                     "x86/lib/.keep": "", "layer/python/fastmath/__init__.py": ""})
        self.addCleanup(self.dir.cleanup)
        d = self.dir.name
        self.put("arm/fast.so", so)
        self.put("x86/new.so", g238)
        self.put("layer/python/fastmath/_core.cpython-311-x86_64-linux-gnu.so", so)
        self.put("x86/lib/uses-gone.so", self.needing())
        self.d = d

    def put(self, rel, data):
        with open(os.path.join(self.dir.name, rel), "wb") as f:
            f.write(data)

    def needing(self):
        """A .so whose DT_NEEDED names libgone.so.1, which nothing provides."""
        work = tempfile.mkdtemp(dir=SCRATCH)
        with open(os.path.join(work, "gone.c"), "w") as f:
            f.write("int lamb_gone(void) { return 0; }\n")
        subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libgone.so.1", "-o",
                        os.path.join(work, "libgone.so.1"), os.path.join(work, "gone.c")], check=True)
        with open(os.path.join(work, "use.c"), "w") as f:
            f.write("int lamb_gone(void);\nint g(void) { return lamb_gone(); }\n")
        out = os.path.join(work, "use.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", out, os.path.join(work, "use.c"),
                        os.path.join(work, "libgone.so.1")], check=True)
        with open(out, "rb") as f:
            return f.read()

    def check_lines(self, stderr):
        errors = [l for l in stderr.splitlines() if l.startswith("lamb: error: ")]
        self.assertEqual(len(errors), 4, stderr)
        text = "\n".join(errors)
        self.assertIn("function 'Arm': 'fast.so' is built for x86_64; Lambda loads it on arm64: rebuild it "
                      "for arm64", text)
        self.assertIn("function 'X86': 'new.so' is built against glibc 2.38 (it needs GLIBC_2.38); "
                      "Lambda's python3.12 on x86_64 has glibc 2.34", text)
        self.assertIn("layer 'Deps' (for python3.12 on x86_64): "
                      "'python/fastmath/_core.cpython-311-x86_64-linux-gnu.so' is an extension for CPython "
                      "3.11; python3.12 on x86_64 loads only cpython-312", text)
        self.assertIn("function 'X86': 'lib/uses-gone.so' needs 'libgone.so.1', which neither the artifact, "
                      "its layers, nor Lambda's python3.12 base image (al2023) has", text)

    def test_build_check_package(self):
        r = lambtest.run("build", cwd=self.d, env=env())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.check_lines(r.stderr)
        self.assertIn("4 problems", r.stderr)
        r = lambtest.run("build", "--check", cwd=self.d, env=env())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.check_lines(r.stderr)

        aws = AwsStandin().start()
        self.addCleanup(aws.stop)
        aws.create_bucket("b")
        home = tempfile.mkdtemp(dir=SCRATCH)
        e = env(HOME=home, **aws.env())
        r = lambtest.run("package", "--s3-bucket", "b", cwd=self.d, env=e)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.check_lines(r.stderr)
        self.assertIn("not uploaded: 4 problems", r.stderr)
        self.assertIn("--no-verify", r.stderr)
        self.assertEqual([a for a in aws.actions("s3") if a == "PutObject"], [])
        r = lambtest.run("package", "--s3-bucket", "b", "--no-verify", cwd=self.d, env=e)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len([a for a in aws.actions("s3") if a == "PutObject"]), 3)


class HelloC(unittest.TestCase):
    """sample-functions/hello-c builds when copied out of the repository: it
    carries its own copy of runtime/c, which must not drift."""

    def test_copied_out_builds(self):
        src = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "hello-c")
        for f in ("lamb-runtime.c", "lamb-runtime.h"):
            with open(os.path.join(src, f), "rb") as a, \
                    open(os.path.join(lambtest.SOURCE_ROOT, "runtime", "c", f), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"sample-functions/hello-c/{f} differs from runtime/c/{f}")
        if not (shutil.which("make") and shutil.which("cc")):
            self.skipTest("make or cc is missing")
        tmp = tempfile.mkdtemp(prefix="lamb-test-hello-c-")
        self.addCleanup(shutil.rmtree, tmp)
        d = os.path.join(tmp, "hello-c")
        shutil.copytree(src, d, ignore=shutil.ignore_patterns(".lamb"))
        e = {k: v for k, v in os.environ.items() if k != "RUNTIME"}
        r = lambtest.run("build", cwd=d, env=e, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(d, ".lamb", "build", "HelloCFunction", "bootstrap")))


if __name__ == "__main__":
    unittest.main()
