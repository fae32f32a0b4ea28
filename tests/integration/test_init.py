"""lamb init: every template and runtime generated into a temporary
directory validates; its own test passes where its language is here; the
hello functions answer statusCode 200 through `lamb local invoke` when
that command exists; the options, --list and the errors."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run  # noqa: E402


def templates():
    """{template: [runtimes]} from `lamb init --list`."""
    r = run("init", "--list")
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        name, runtimes = line.split()[:2]
        out[name] = runtimes.split(",")
    return out


def python_with(*modules):
    """A Python interpreter that imports modules, or None."""
    cands = [os.environ.get("LAMB_PYTHON"), shutil.which("python3.11"), "/usr/bin/python3", shutil.which("python3")]
    code = "import " + ", ".join(modules)
    for c in cands:
        if c and os.path.exists(c) and subprocess.run([c, "-c", code], capture_output=True).returncode == 0:
            return c
    return None


def has_invoke():
    r = run("help", "local", "invoke")
    return r.returncode == 0


def init(tmp, *args):
    r = run("init", "--no-interactive", "-o", tmp, *args)
    if r.returncode != 0:
        raise AssertionError(f"lamb init {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


class Templates(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lamb-init-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_list(self):
        t = templates()
        self.assertIn("hello-world", t)
        self.assertEqual(list(t)[0], "hello-world")
        hello = t["hello-world"]
        for rt in ["python3.12", "python3.13", "python3.14", "nodejs22.x", "nodejs24.x", "provided.al2023"]:
            self.assertIn(rt, hello)
        # deprecated (python3.11 since 2026-06-30, nodejs20.x since
        # 2026-04-30, provided.al2 since 2026-06-30): not offered
        for runtimes in t.values():
            for rt in ["python3.8", "python3.11", "nodejs18.x", "nodejs20.x", "provided.al2"]:
                self.assertNotIn(rt, runtimes)

    def test_every_template_and_runtime_validates(self):
        for tmpl, runtimes in templates().items():
            for rt in runtimes:
                with self.subTest(template=tmpl, runtime=rt):
                    name = f"{tmpl}-{rt}".replace(".", "-")
                    init(self.tmp, "--name", name, "--runtime", rt, "--app-template", tmpl)
                    proj = os.path.join(self.tmp, name)
                    for f in ("template.yaml", "README.md", "events/event.json"):
                        self.assertTrue(os.path.isfile(os.path.join(proj, f)), f)
                    self.assertTrue(os.path.isdir(os.path.join(proj, "tests")))
                    with open(os.path.join(proj, "template.yaml")) as f:
                        text = f.read()
                    self.assertIn("Runtime: " + rt, text)
                    self.assertNotIn("{{", text)
                    with open(os.path.join(proj, "README.md")) as f:
                        self.assertIn(name, f.read())
                    with open(os.path.join(proj, "events", "event.json")) as f:
                        json.load(f)
                    r = run("-C", proj, "validate")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertNotIn("error", r.stderr)
                    self.assertNotIn("deprecated", r.stderr)


class HelloWorld(unittest.TestCase):
    """The hello-world projects: their own tests, and lamb local invoke."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lamb-init-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def make(self, runtime):
        name = "hello-" + runtime.replace(".", "-")
        init(self.tmp, "--name", name, "--runtime", runtime)
        return os.path.join(self.tmp, name)

    def user_test(self, proj, argv):
        r = subprocess.run(argv, cwd=proj, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_python_user_test(self):
        self.user_test(self.make("python3.12"), [sys.executable, "-m", "unittest", "discover", "tests"])

    def test_node_user_test(self):
        node = shutil.which("node")
        if not node:
            self.skipTest("node is not installed")
        v = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
        if int(v.lstrip("v").split(".")[0]) < 18:
            self.skipTest("node:test needs node 18 or later, found " + v)
        self.user_test(self.make("nodejs22.x"), [node, "--test", "tests/"])

    def test_bash_user_test(self):
        self.user_test(self.make("provided.al2023"), ["tests/test.sh"])

    def test_invoke(self):
        if not has_invoke():
            self.skipTest("lamb local invoke is not in this lamb yet")
        # a python3.X that runs (a pyenv shim may exist and refuse), else
        # python3.12 run by this test's own interpreter
        py_rt, env = "python3.12", {**os.environ, "LAMB_PYTHON": sys.executable}
        for minor in range(14, 11, -1):
            exe = shutil.which("python3.%d" % minor)
            if exe and subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
                py_rt, env = "python3.%d" % minor, None
                break
        cases = [(py_rt, "python3", env), ("nodejs22.x", "node", None), ("provided.al2023", "curl", None)]
        ran = 0
        for rt, needs, env in cases:
            with self.subTest(runtime=rt):
                if not shutil.which(needs):
                    print(f"skipping {rt}: {needs} is not installed", file=sys.stderr)
                    continue
                proj = self.make(rt)
                r = run("local", "invoke", "-e", "events/event.json", cwd=proj, timeout=120, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                resp = json.loads(r.stdout)
                self.assertEqual(resp["statusCode"], 200, r.stdout)
                self.assertEqual(json.loads(resp["body"]), {"message": "hello world"})
                ran += 1
        if not ran:
            self.skipTest("no runtime for the hello functions is installed")


class Tour(unittest.TestCase):
    """The README's tour: lamb init, then lamb local start-api, then curl."""

    def serve(self, proj, env):
        import http.client
        import re
        import signal
        import time
        if run("help", "local", "start-api").returncode != 0:
            self.skipTest("lamb local start-api is not in this lamb yet")
        log = open(os.path.join(proj, "stderr.log"), "w+")
        proc = subprocess.Popen([lambtest.LAMB, "local", "start-api", "-p", "0"], cwd=proj, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(log.close)

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(stop)
        deadline, port = time.time() + 20, None
        while time.time() < deadline and port is None:
            log.flush()
            with open(log.name) as f:
                m = re.search(r"serving http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                port = int(m.group(1))
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
        with open(log.name) as f:
            self.assertIsNotNone(port, "start-api did not start: " + f.read())

        def get(path):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            return r.status, body
        return get

    def test_init_then_start_api(self):
        with tempfile.TemporaryDirectory(prefix="lamb-tour-") as tmp:
            init(tmp, "--name", "hello", "--runtime", "python3.12")
            env = {**os.environ, "LAMB_PYTHON": sys.executable}
            get = self.serve(os.path.join(tmp, "hello"), env)
            status, body = get("/hello")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body), {"message": "hello world"})
            status, body = get("/hello?name=lamb")
            self.assertEqual(json.loads(body), {"message": "hello lamb"})

    def test_r_template_behind_start_api(self):
        if not shutil.which("Rscript") or not shutil.which("curl"):
            self.skipTest("Rscript or curl is not installed (apt-get install r-base-core curl)")
        with tempfile.TemporaryDirectory(prefix="lamb-tour-") as tmp:
            init(tmp, "--name", "rstats", "--app-template", "r-runtime")
            get = self.serve(os.path.join(tmp, "rstats"), None)
            status, body = get("/stats?values=2,4,6")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["mean"], 4)


class HelloC(unittest.TestCase):
    def test_build_and_invoke(self):
        if not has_invoke():
            self.skipTest("lamb local invoke is not in this lamb yet")
        with tempfile.TemporaryDirectory(prefix="lamb-init-") as tmp:
            r = init(tmp, "--name", "hc", "--app-template", "hello-c")
            self.assertIn("make -C function", r.stdout)
            proj = os.path.join(tmp, "hc")
            env = {**os.environ, "PATH": os.path.dirname(lambtest.LAMB) + os.pathsep + os.environ["PATH"]}
            r = subprocess.run(["tests/test.sh"], cwd=proj, capture_output=True, text=True, env=env, timeout=120)
            if r.returncode == 77:
                self.skipTest(r.stderr.strip())
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn('"statusCode": 200', r.stdout)
            if run("help", "build").returncode == 0:  # BuildMethod: makefile
                r = run("build", cwd=proj, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                built = os.path.join(proj, ".lamb", "build", "HelloWorldFunction", "bootstrap")
                self.assertTrue(os.access(built, os.X_OK), r.stderr)


class DataTemplates(unittest.TestCase):
    """data-science, scheduled-etl and r-runtime: their tests and an
    invocation, each skipped with a message when its packages are missing."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lamb-init-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def make(self, tmpl):
        init(self.tmp, "--name", tmpl, "--app-template", tmpl)
        return os.path.join(self.tmp, tmpl)

    def invoke(self, proj, python=None):
        if not has_invoke():
            self.skipTest("lamb local invoke is not in this lamb yet")
        env = dict(os.environ)
        if python:
            env["LAMB_PYTHON"] = python
        # numpy/pandas come from that interpreter (Debian's packages), not
        # from a layer pip would build: run the source as it is
        args = ["--no-build"] if python else []
        r = run("local", "invoke", "-e", "events/event.json", *args, cwd=proj, env=env, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def python_template(self, tmpl, modules, code_dir):
        proj = self.make(tmpl)
        py = python_with(*modules)
        if not py:
            self.skipTest(f"{', '.join(modules)} not installed (apt-get install "
                          + " ".join("python3-" + m.split(".")[0] for m in modules) + ")")
        r = subprocess.run([py, "-m", "unittest", "discover", "tests"], cwd=proj, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("skipped", r.stderr)
        # a function sees no host site-packages, as on Lambda: Debian's
        # packages go into the code, as pip install -t would put them
        lambtest.link_host_packages(py, modules, os.path.join(proj, code_dir))
        return proj, py

    def test_data_science(self):
        proj, py = self.python_template("data-science", ["numpy", "scipy.stats"], "regression")
        resp = self.invoke(proj, py)
        self.assertEqual(resp["statusCode"], 200)
        self.assertEqual(set(json.loads(resp["body"])), {"m", "c", "r2", "p", "se"})

    def test_scheduled_etl(self):
        proj, py = self.python_template("scheduled-etl", ["pandas"], "etl")
        resp = self.invoke(proj, py)
        self.assertEqual(len(resp["flagged"]), 2)

    def test_r_runtime(self):
        proj = self.make("r-runtime")
        r = subprocess.run(["tests/test.sh"], cwd=proj, capture_output=True, text=True)
        if r.returncode == 77:
            self.skipTest(r.stderr.strip())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        resp = self.invoke(proj)
        self.assertEqual(resp["statusCode"], 200)
        self.assertEqual(json.loads(resp["body"])["mean"], 2.5)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lamb-init-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_defaults(self):
        r = init(self.tmp)
        proj = os.path.join(self.tmp, "lamb-app")
        self.assertIn(proj, r.stdout)
        with open(os.path.join(proj, "template.yaml")) as f:
            self.assertRegex(f.read(), r"Runtime: python3\.1[2-9]")

    def fake_bin(self, scripts):
        """A PATH directory holding these {name: shell script body}."""
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir, exist_ok=True)
        for name, body in scripts.items():
            path = os.path.join(bindir, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(path, 0o755)
        return {**os.environ, "PATH": bindir}

    def default_runtime(self, env, *args):
        r = run("init", "--no-interactive", "-o", self.tmp, "--name", "d%d" % len(os.listdir(self.tmp)), *args,
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("warning", r.stderr)
        return re.search(r"runtime (\S+)\)", r.stdout).group(1)

    def test_default_runtime_is_newest_supported_that_runs_here(self):
        newest = templates()["hello-world"]
        newest = [rt for rt in newest if rt.startswith("python")][-1]
        # no python3.X here at all: the newest supported
        self.assertEqual(self.default_runtime(self.fake_bin({})), newest)
        # a deprecated python3.11 that runs does not count; a python3.14 that
        # refuses (a pyenv shim) does not either; python3.12 runs
        env = self.fake_bin({"python3.11": "exit 0", "python3.12": f"exec {sys.executable} \"$@\"",
                             "python3.14": "echo 'pyenv: python3.14: command not found' >&2; exit 127"})
        self.assertEqual(self.default_runtime(env), "python3.12")
        self.assertEqual(self.default_runtime(env, "--app-template", "data-science"), "python3.12")
        self.assertEqual(self.default_runtime(env, "--app-template", "r-runtime"), "provided.al2023")

    def test_default_node_runtime_follows_node(self):
        # a template whose default family is node, in a data directory of its own
        data = os.path.join(self.tmp, "data")
        os.makedirs(os.path.join(data, "templates", "n", "nodejs"))
        with open(os.path.join(data, "templates", "n", "manifest.json"), "w") as f:
            json.dump({"description": "node", "default-runtime": "nodejs22.x", "variants": {"nodejs": {
                "runtimes": ["nodejs20.x", "nodejs22.x", "nodejs24.x"], "handler": "app.handler"}}}, f)
        with open(os.path.join(data, "templates", "n", "nodejs", "template.yaml"), "w") as f:
            f.write("Runtime: {{runtime}}\n")
        for version, want in [("22.11.0", "nodejs22.x"), ("24.1.0", "nodejs24.x"), ("20.20.2", "nodejs24.x"),
                              ("2.0.0", "nodejs24.x")]:
            with self.subTest(node=version):
                env = self.fake_bin({"node": f"printf {version}"})
                env["LAMB_DATA_DIR"] = data
                self.assertEqual(self.default_runtime(env, "--app-template", "n"), want)

    def test_deprecated_runtime_only_by_name(self):
        for rt, since in [("python3.11", "2026-06-30"), ("nodejs20.x", "2026-04-30")]:
            with self.subTest(runtime=rt):
                name = rt.replace(".", "-")
                r = run("init", "--no-interactive", "-o", self.tmp, "--name", name, "--runtime", rt)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(f"lamb: warning: runtime '{rt}' is deprecated since {since}", r.stderr)
                self.assertIn("supported: ", r.stderr)
                with open(os.path.join(self.tmp, name, "template.yaml")) as f:
                    self.assertIn("Runtime: " + rt, f.read())

    def test_equals_form(self):
        r = run("init", "--no-interactive", "-o", self.tmp, "--name=eq", "--runtime=nodejs22.x")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.tmp, "eq", "template.yaml")) as f:
            self.assertIn("Runtime: nodejs22.x", f.read())

    def test_no_terminal_never_asks(self):
        # stdin is not a terminal: defaults, no question even without --no-interactive
        r = run("init", "-o", self.tmp, "--name", "quiet", input="")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("?", r.stderr)
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "quiet")))

    def test_interactive(self):
        """On a terminal lamb init asks; Enter takes the defaults."""
        try:
            import pty  # noqa: F401
        except ImportError:
            self.skipTest("no pty module")
        import pty
        import select
        env = self.fake_bin({"python3.13": f"exec {sys.executable} \"$@\""})
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(lambtest.LAMB, [lambtest.LAMB, "init", "-o", self.tmp], env)
        out = b""
        answers = [b"asked\n", b"1\n", b"nodejs22.x\n"]
        while True:
            r, _, _ = select.select([fd], [], [], 20)
            if not r:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if out.rstrip().endswith(b"]:") and answers:
                os.write(fd, answers.pop(0))
        _, status = os.waitpid(pid, 0)
        text = out.decode(errors="replace")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, text)
        self.assertIn("Project name [lamb-app]:", text)
        self.assertIn("Runtime [python3.13]:", text)
        self.assertNotIn("python3.11", text)  # deprecated: not offered
        with open(os.path.join(self.tmp, "asked", "template.yaml")) as f:
            self.assertIn("Runtime: nodejs22.x", f.read())

    def test_errors(self):
        init(self.tmp, "--name", "twice")
        cases = [
            (("--name", "twice"), 1, "already exists"),
            (("--name", "bad/name"), 2, "bad project name"),
            (("--app-template", "nosuch"), 2, "unknown template 'nosuch'"),
            (("--runtime", "java21"), 2, "has no runtime 'java21'"),
            (("--bogus",), 2, "unknown option '--bogus'"),
            (("--name",), 2, "needs a value"),
        ]
        for args, code, msg in cases:
            with self.subTest(args=args):
                r = run("init", "--no-interactive", "-o", self.tmp, *args)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertIn(msg, r.stderr)

    def test_installed(self):
        """After meson install, an installed lamb finds its templates and events."""
        build = os.environ.get("LAMB_BUILD_ROOT")
        if not build or not shutil.which("meson"):
            self.skipTest("needs LAMB_BUILD_ROOT and meson")
        dest = os.path.join(self.tmp, "dest")
        r = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lamb = [os.path.join(root, "lamb") for root, _, files in os.walk(dest) if "lamb" in files
                and os.path.basename(root) == "bin"]
        self.assertTrue(lamb, "no bin/lamb installed")
        share = [root for root, dirs, _ in os.walk(dest) if os.path.basename(root) == "lamb"
                 and "templates" in dirs and "events" in dirs]
        self.assertTrue(share, "no share/lamb/{templates,events} installed")
        env = {**os.environ, "LAMB_DATA_DIR": share[0]}
        r = subprocess.run([lamb[0], "init", "--list"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("hello-world", r.stdout)
        r = subprocess.run([lamb[0], "init", "--no-interactive", "-o", self.tmp, "--name", "inst",
                            "--runtime", "provided.al2023"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.access(os.path.join(self.tmp, "inst", "function", "bootstrap"), os.X_OK))
        r = subprocess.run([lamb[0], "local", "generate-event", "sqs", "receive-message"],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        json.loads(r.stdout)


if __name__ == "__main__":
    lambtest.main()
