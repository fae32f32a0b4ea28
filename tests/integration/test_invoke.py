"""lamb local invoke end to end with the multi-verb fixture bootstrap: every
outcome of an invocation, the environment, the log lines, and that nothing
(process, zombie, fd) is left behind."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import uuid

import lambtest

FIXTURE = os.environ.get("LAMB_FIXTURE")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: unused
      Runtime: provided.al2023
      Timeout: {timeout}
      MemorySize: {memory}
      Environment:
        Variables:
          GREETING: hi
{extra_env}{extra}"""


def fixture_project(timeout=1, memory=128, env=None, extra="", mode=0o755):
    mark = uuid.uuid4().hex
    env = dict(env or {}, LAMB_TEST_MARK=mark)
    extra_env = "".join(f"          {k}: '{v}'\n" for k, v in env.items())
    d = lambtest.project({"template.yaml": TEMPLATE.format(timeout=timeout, memory=memory,
                                                           extra_env=extra_env, extra=extra)})
    d.mark = mark
    os.makedirs(os.path.join(d.name, "fn"))
    boot = os.path.join(d.name, "fn", "bootstrap")
    shutil.copy(FIXTURE, boot)
    os.chmod(boot, mode)
    return d


def invoke(d, event=None, args=(), env=None, timeout=60):
    a = ["local", "invoke"]
    if event is not None:
        a += ["-e", "-"]
    return lambtest.run(*a, *args, cwd=d.name, input=event if event is not None else "",
                        env=env, timeout=timeout)


def ids(stderr, what):
    return re.findall(rf"^{what} RequestId: (\S+)", stderr, re.M)


def processes_under(d):
    """pids of the project's instances: their command line names its
    directory, or (inside the sandbox, where the code is /var/task) their
    environment holds its mark."""
    found = []
    needles = [(d.name.encode(), "cmdline")]
    if getattr(d, "mark", None):
        needles.append((f"LAMB_TEST_MARK={d.mark}".encode(), "environ"))
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for needle, what in needles:
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    if needle in f.read():
                        found.append(int(pid))
                        break
            except OSError:
                pass
    return found


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Outcomes(unittest.TestCase):
    def test_instance_that_never_returns_to_next_frees_its_slot(self):
        # --repeat runs one instance; this one answers and then never asks
        # for the next event: after its Timeout it is discarded and the
        # second invocation gets a fresh instance instead of waiting forever.
        d = fixture_project(timeout=1)
        start = time.time()
        r = invoke(d, '{"verb":"linger","n":60000}', args=("--repeat", "2"), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '"lingering"\n"lingering"\n')
        self.assertLess(time.time() - start, 15)
        self.assertEqual(len(ids(r.stderr, "REPORT")), 2)

    def test_closed_stdout_is_not_a_crash(self):
        # lamb local invoke | head -c1: the write fails; lamb must report it
        # and stop its instance, not die of SIGPIPE
        d = fixture_project()
        p = subprocess.Popen([lambtest.LAMB, "local", "invoke", "-e", "-"], cwd=d.name, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(('{"verb":"echo","pad":"' + "x" * 500000 + '"}').encode())
        p.stdin.close()
        self.assertEqual(p.stdout.read(1), b"{")
        p.stdout.close()
        err = p.stderr.read().decode()
        p.wait(timeout=30)
        self.assertNotEqual(p.returncode, -signal.SIGPIPE, err)
        self.assertNotEqual(p.returncode, 0, err)
        self.assertIn("cannot write to standard output", err)
        # the namespace's init dies of its parent-death signal as lamb
        # exits: give the kernel's teardown the moment the other tests give it
        deadline = time.time() + 2
        while processes_under(d) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_under(d), [])

    def test_response_and_log_lines(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"echo","x":1}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '{"verb":"echo","x":1}\n')
        start, end, report = ids(r.stderr, "START"), ids(r.stderr, "END"), ids(r.stderr, "REPORT")
        self.assertEqual(len(start), 1, r.stderr)
        self.assertEqual(start, end)
        self.assertEqual(start, report)
        self.assertRegex(r.stderr, r"START RequestId: \S+ Version: \$LATEST")
        self.assertRegex(r.stderr, r"REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
                                   r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms")

    def test_default_event_is_empty_object(self):
        d = fixture_project()
        r = invoke(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "{}\n")

    def test_event_file(self):
        d = fixture_project()
        with open(os.path.join(d.name, "ev.json"), "w") as f:
            f.write('{"verb":"echo","file":true}')
        r = lambtest.run("local", "invoke", "Fixture", "-e", "ev.json", cwd=d.name)
        self.assertEqual(r.stdout, '{"verb":"echo","file":true}\n')

    def test_function_error(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"error"}')
        self.assertEqual(r.returncode, 1)
        body = json.loads(r.stdout)
        self.assertEqual(body["errorType"], "FixtureError")
        self.assertEqual(len(ids(r.stderr, "REPORT")), 1)

    def test_timeout_leaves_no_process(self):
        d = fixture_project(timeout=1)
        r = invoke(d, '{"verb":"spawn-sleeper","n":30000}')
        self.assertEqual(r.returncode, 1)
        body = json.loads(r.stdout)
        rid = ids(r.stderr, "START")[0]
        self.assertEqual(body, {"errorType": "Sandbox.Timedout",
                                "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds"})
        self.assertIn(f"{rid} Task timed out after 1.00 seconds", r.stderr)
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])

    def test_ignoring_sigterm_does_not_help(self):
        d = fixture_project(timeout=1)
        r = invoke(d, '{"verb":"ignore-term"}')
        self.assertEqual(json.loads(r.stdout)["errorType"], "Sandbox.Timedout")
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])

    def test_exit_status(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"exit","n":7}')
        self.assertEqual(r.returncode, 1)
        rid = ids(r.stderr, "START")[0]
        self.assertEqual(json.loads(r.stdout), {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 7"})

    def test_crash_signal(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"crash"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("Runtime exited with error: signal: segmentation fault", json.loads(r.stdout)["errorMessage"])

    def test_init_error(self):
        d = fixture_project(env={"FIXTURE_INIT": "error"})
        r = invoke(d, '{"verb":"echo"}')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["errorType"], "Runtime.FixtureInit")

    def test_exit_during_init(self):
        d = fixture_project(env={"FIXTURE_INIT": "exit"})
        r = invoke(d, '{"verb":"echo"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("Runtime exited with error: exit status 3", json.loads(r.stdout)["errorMessage"])

    def test_exec_failure_message(self):
        d = fixture_project(mode=0o644)
        r = invoke(d, '{"verb":"echo"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot exec 'bootstrap': Permission denied", r.stderr)

    def test_oversized_response(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"big"}', args=["--repeat", "2"])
        self.assertEqual(r.returncode, 1)
        first = json.loads(r.stdout.splitlines()[0])
        self.assertEqual(first["errorType"], "Function.ResponseSizeTooLarge")
        self.assertIn("big response answered 413", r.stderr)

    def test_oversized_event_is_refused(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"echo","pad":"' + "x" * (6 * 1024 * 1024) + '"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("RequestTooLargeException", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertNotIn("START", r.stderr)

    def test_request_id_and_state_checks(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"twice"}', args=["--repeat", "2"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "1\n1\n")
        self.assertIn("twice: 202 403 400", r.stderr)

    def test_next_headers(self):
        d = fixture_project(timeout=5)
        before = time.time() * 1000
        r = invoke(d, '{"verb":"headers"}')
        h = json.loads(r.stdout)
        self.assertEqual(h["id"], ids(r.stderr, "START")[0])
        self.assertRegex(h["arn"], r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:Fixture$")
        self.assertTrue(before + 4000 < h["deadline"] < before + 6000 + 2000, h)
        self.assertRegex(h["trace"], r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")

    def test_output_forwarded_line_by_line(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"flood","n":5000}')
        self.assertEqual(r.returncode, 0)
        lines = [l for l in r.stderr.splitlines() if l.startswith("flood line")]
        self.assertEqual(lines, [f"flood line {i}" for i in range(5000)])
        start = r.stderr.index("START")
        self.assertLess(start, r.stderr.index("flood line 0"))
        self.assertLess(r.stderr.index("flood line 4999"), r.stderr.index("END RequestId"))

    def test_instance_inherits_no_stray_fd(self):
        d = fixture_project()
        r_fd, w_fd = os.pipe()
        try:
            p = subprocess.run([lambtest.LAMB, "local", "invoke", "-e", "-"], cwd=d.name, input='{"verb":"fds"}',
                               capture_output=True, text=True, pass_fds=(r_fd, w_fd), timeout=60)
        finally:
            os.close(r_fd)
            os.close(w_fd)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"fds": 4}, "stdin, stdout, stderr and its Runtime API socket")

    def test_log_file(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"print"}', args=["-l", "out.log"])
        self.assertEqual(r.returncode, 0)
        with open(os.path.join(d.name, "out.log")) as f:
            log = f.read()
        self.assertIn("hello from the fixture", log)
        self.assertIn("REPORT RequestId", log)
        self.assertNotIn("REPORT", r.stderr)


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Memory(unittest.TestCase):
    def check_kill(self, env, args=("--sandbox", "off")):
        d = fixture_project(memory=128, timeout=10)
        p = subprocess.Popen([lambtest.LAMB, "local", "invoke", "-e", "-", *args], cwd=d.name, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate('{"verb":"hog","n":400}', timeout=60)
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("Runtime exited with error: signal: killed", json.loads(out)["errorMessage"])
        used = int(re.search(r"Max Memory Used: (\d+) MB", err).group(1))
        self.assertGreaterEqual(used, 100, err)
        self.assertFalse(os.path.exists(f"/sys/fs/cgroup/memory/lamb-{p.pid}"), "its cgroup is removed")

    def test_memory_limit_kills(self):
        self.check_kill(None)

    def test_memory_limit_kills_inside_the_sandbox(self):
        # bwrap forks the bootstrap: the limit must hold for what it forks
        sandbox_or_skip(self)
        self.check_kill(None, ("--sandbox", "on"))

    def test_memory_limit_kills_without_cgroups(self):
        self.check_kill(dict(os.environ, LAMB_NO_CGROUP="1"))

    def test_memory_under_limit_is_measured(self):
        d = fixture_project(memory=256, timeout=10)
        r = invoke(d, '{"verb":"hog","n":60}')
        self.assertEqual(r.returncode, 0, r.stderr)
        used = int(re.search(r"Max Memory Used: (\d+) MB", r.stderr).group(1))
        self.assertTrue(55 <= used < 256, r.stderr)


def open_fds(pid):
    """What pid's fds are open on, numbers masked. A listing during which
    one closes (the last crashed instance's, freed a little later on a
    loaded machine) is taken again."""
    for _ in range(50):
        try:
            return sorted(re.sub(r"\d+", "N", os.readlink(f"/proc/{pid}/fd/{f}").split(":")[0])
                          for f in os.listdir(f"/proc/{pid}/fd"))
        except FileNotFoundError:
            time.sleep(0.01)
    raise AssertionError(f"the fds of {pid} kept changing")


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Lifecycle(unittest.TestCase):
    def test_repeat_is_one_cold_then_warm(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"env"}', args=["--repeat", "3"])
        self.assertEqual(r.returncode, 0, r.stderr)
        outs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(outs), 3)
        self.assertEqual(len({o["AWS_LAMBDA_RUNTIME_API"] for o in outs}), 1)
        reports = [l for l in r.stderr.splitlines() if l.startswith("REPORT")]
        self.assertEqual(len(reports), 3)
        self.assertIn("Init Duration", reports[0])
        self.assertNotIn("Init Duration", reports[1])
        self.assertNotIn("Init Duration", reports[2])

    def test_crash_cycles_leak_nothing(self):
        d = fixture_project(env={"FIXTURE_INIT": "sleep:700"})
        p = subprocess.Popen([lambtest.LAMB, "local", "invoke", "-e", "-", "--repeat", "22"], cwd=d.name,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write('{"verb":"crash"}')
        p.stdin.close()
        snapshots = {}
        n = 0
        for line in p.stderr:
            if line.startswith("REPORT"):
                n += 1
                if n in (2, 20):
                    time.sleep(0.25)  # the next instance is sleeping in init (700 ms)
                    fds = open_fds(p.pid)
                    kids = []
                    for pid in os.listdir("/proc"):
                        try:
                            with open(f"/proc/{pid}/stat") as f:
                                st = f.read().rsplit(")", 1)[1].split()
                        except (OSError, IndexError):
                            continue
                        if int(st[1]) == p.pid:
                            kids.append(st[0])
                    snapshots[n] = (fds, kids)
        p.wait(timeout=60)
        self.assertEqual(n, 22)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(snapshots[2][0], snapshots[20][0])
        self.assertEqual(snapshots[20][1], ["S"], "exactly one live child, no zombie")
        self.assertEqual(processes_under(d), [])

    def test_sigint_leaves_nothing_running(self):
        d = fixture_project(timeout=30)
        p = subprocess.Popen([lambtest.LAMB, "local", "invoke", "-e", "-"], cwd=d.name, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write('{"verb":"spawn-sleeper","n":60000}')
        p.stdin.close()
        for line in p.stderr:
            if line.startswith("START"):
                break
        time.sleep(0.2)
        self.assertTrue(processes_under(d))
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
        self.assertNotEqual(p.returncode, 0)
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])

    def test_instances_die_with_a_killed_lamb(self):
        d = fixture_project(timeout=30)
        p = subprocess.Popen([lambtest.LAMB, "local", "invoke", "-e", "-"], cwd=d.name, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write('{"verb":"spawn-sleeper","n":60000}')
        p.stdin.close()
        for line in p.stderr:
            if line.startswith("START"):
                break
        time.sleep(0.2)
        cgroup = os.path.isdir(f"/sys/fs/cgroup/memory/lamb-{p.pid}")
        self.assertGreaterEqual(len(processes_under(d)), 2)  # the bootstrap (in bwrap) and its child
        p.kill()
        p.wait()
        time.sleep(0.3)
        self.assertLessEqual(len(processes_under(d)), 1, "the bootstrap dies with lamb")
        if not cgroup:
            self.skipTest("no cgroup here: a grandchild of an instance outlives a SIGKILLed lamb")
        invoke(fixture_project(), '{"verb":"echo"}')  # the next lamb sweeps what is left
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])

    def test_init_timeout(self):
        d = fixture_project(env={"FIXTURE_INIT": "hang"})
        r = invoke(d, '{"verb":"echo"}', timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Init phase timed out after 10.00 seconds", r.stdout)
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Environment(unittest.TestCase):
    def test_only_lambda_variables(self):
        d = fixture_project()
        env = dict(os.environ, LAMB_TEST_SECRET="leak", AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="s",
                   AWS_REGION="eu-west-3")
        r = invoke(d, '{"verb":"env"}', env=env, args=["--sandbox", "off"])
        e = json.loads(r.stdout)
        self.assertNotIn("LAMB_TEST_SECRET", e)
        self.assertNotIn("HOME", e)
        self.assertEqual(e["AWS_ACCESS_KEY_ID"], "AKIDTEST")
        self.assertEqual(e["GREETING"], "hi")
        self.assertRegex(e["AWS_LAMBDA_RUNTIME_API"], r"^127\.0\.0\.1:\d+$")
        for k, v in {"AWS_LAMBDA_FUNCTION_NAME": "Fixture", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                     "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Fixture",
                     "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "TZ": ":UTC", "LANG": "en_US.UTF-8",
                     "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "_HANDLER": "unused",
                     "LAMBDA_TASK_ROOT": os.path.join(os.path.realpath(d.name), "fn")}.items():
            self.assertEqual(e.get(k), v, k)
        self.assertEqual(e["AWS_REGION"], e["AWS_DEFAULT_REGION"])
        self.assertIn("AWS_LAMBDA_LOG_STREAM_NAME", e)

    def test_env_vars_file(self):
        d = fixture_project()
        with open(os.path.join(d.name, "env.json"), "w") as f:
            json.dump({"Parameters": {"GREETING": "p", "OTHER": "o"}, "Fixture": {"GREETING": "f"}}, f)
        r = invoke(d, '{"verb":"env"}', args=["-n", "env.json"])
        e = json.loads(r.stdout)
        self.assertEqual(e["GREETING"], "f")
        self.assertEqual(e["OTHER"], "o")
        self.assertIn("'OTHER'", r.stderr)
        self.assertIn("not declared", r.stderr)

    def test_dotenv_file(self):
        d = fixture_project()
        with open(os.path.join(d.name, ".env"), "w") as f:
            f.write("# comment\nGREETING=\"dot\"\n")
        r = invoke(d, '{"verb":"env"}', args=["--env-vars", ".env"])
        self.assertEqual(json.loads(r.stdout)["GREETING"], "dot")


LAYER_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: unused
      Runtime: provided.al2
      Layers:
{layers}
  Runtime:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
"""


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class CodeAndLayers(unittest.TestCase):
    def test_zip_code(self):
        import zipfile
        d = lambtest.project({"template.yaml": LAYER_TEMPLATE.format(code="fn.zip", layers="        - !Ref Runtime")})
        os.makedirs(os.path.join(d.name, "layer"))
        with zipfile.ZipFile(os.path.join(d.name, "fn.zip"), "w") as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            with open(FIXTURE, "rb") as f:
                z.writestr(info, f.read())
        r = invoke(d, '{"verb":"env"}', args=["--sandbox", "off"])
        self.assertEqual(r.returncode, 0, r.stderr)
        root = json.loads(r.stdout)["LAMBDA_TASK_ROOT"]
        self.assertNotEqual(root, d.name)
        self.assertFalse(os.path.exists(root), "the extracted code is removed when lamb ends")

    def test_zip_cannot_write_outside(self):
        import zipfile
        d = lambtest.project({"template.yaml": LAYER_TEMPLATE.format(code="fn.zip", layers="        - !Ref Runtime")})
        os.makedirs(os.path.join(d.name, "layer"))
        with zipfile.ZipFile(os.path.join(d.name, "fn.zip"), "w") as z:
            z.writestr("../../escaped-by-lamb-test", "x")
            z.writestr("bootstrap", "#!/bin/sh\n")
        r = invoke(d, '{"verb":"echo"}', args=["--sandbox", "off"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot extract", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(d.name), "escaped-by-lamb-test")))
        self.assertFalse(os.path.exists("/tmp/escaped-by-lamb-test"))

    def test_bootstrap_from_a_layer(self):
        d = lambtest.project({"template.yaml": LAYER_TEMPLATE.format(code="fn", layers="        - !Ref Runtime"),
                              "fn/README": "no bootstrap here\n"})
        os.makedirs(os.path.join(d.name, "layer", "bin"))
        shutil.copy(FIXTURE, os.path.join(d.name, "layer", "bootstrap"))
        r = invoke(d, '{"verb":"env"}', args=["--sandbox", "off"])
        self.assertEqual(r.returncode, 0, r.stderr)
        e = json.loads(r.stdout)
        # Lambda's order: /opt/bin (here the layer's bin) last
        self.assertTrue(e["PATH"].endswith(":" + os.path.join(os.path.realpath(d.name), "layer", "bin")), e["PATH"])

    def test_layer_by_arn(self):
        arn = "arn:aws:lambda:us-east-1:123456789012:layer:runtime:3"
        d = lambtest.project({"template.yaml": LAYER_TEMPLATE.format(code="fn", layers=f"        - {arn}"),
                              "fn/README": "no bootstrap here\n"})
        os.makedirs(os.path.join(d.name, "layer"))
        shutil.copy(FIXTURE, os.path.join(d.name, "layer", "bootstrap"))
        # no credentials to download it with (test_layer_arn.py downloads one)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent",
                   XDG_CACHE_HOME=os.path.join(d.name, "cache"))
        r = invoke(d, '{"verb":"echo"}', env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"layer '{arn}' is not in the cache and cannot be downloaded", r.stderr)
        self.assertIn(f"--layer-dir '{arn}=DIR'", r.stderr)
        r = invoke(d, '{"verb":"echo"}', args=["--layer-dir", f"{arn}=layer"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '{"verb":"echo"}\n')


def sandbox_or_skip(test):
    d = fixture_project()
    r = invoke(d, '{"verb":"echo"}', args=["--sandbox", "on"])
    if "--sandbox on:" in r.stderr:
        test.skipTest("no sandbox here: " + r.stderr.strip().splitlines()[-1])


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Sandbox(unittest.TestCase):
    def setUp(self):
        sandbox_or_skip(self)

    def test_code_at_var_task(self):
        d = fixture_project()
        r = invoke(d, '{"verb":"env"}', args=["--sandbox", "on"])
        self.assertEqual(r.returncode, 0, r.stderr)
        e = json.loads(r.stdout)
        self.assertEqual(e["LAMBDA_TASK_ROOT"], "/var/task")
        self.assertEqual(e["PWD"], "/var/task")

    def test_layers_merged_at_opt(self):
        layers = "        - !Ref Runtime\n        - !Ref Tools"
        t = LAYER_TEMPLATE.format(code="fn", layers=layers) + """\
  Tools:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: tools
"""
        d = lambtest.project({"template.yaml": t, "fn/README": "no bootstrap here\n",
                              "tools/bin/tool": "#!/bin/sh\n", "layer/bin/other": "#!/bin/sh\n"})
        shutil.copy(FIXTURE, os.path.join(d.name, "layer", "bootstrap"))
        r = invoke(d, '{"verb":"env"}', args=["--sandbox", "on"])
        self.assertEqual(r.returncode, 0, r.stderr)
        e = json.loads(r.stdout)
        self.assertTrue(e["PATH"].startswith("/usr/local/bin:/usr/bin/:/bin:/opt/bin"), e["PATH"])  # Lambda's
        self.assertEqual(e["LAMBDA_TASK_ROOT"], "/var/task")

    def test_timeout_kills_inside_the_sandbox(self):
        d = fixture_project(timeout=1)
        r = invoke(d, '{"verb":"spawn-sleeper","n":30000}', args=["--sandbox", "on"])
        self.assertEqual(json.loads(r.stdout)["errorType"], "Sandbox.Timedout")
        time.sleep(0.2)
        self.assertEqual(processes_under(d), [])


PY_TEMPLATE = f"""\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Py:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: app.handler
      Runtime: python{sys.version_info[0]}.{sys.version_info[1]}
"""

# which file the shim came from, and whether its bytecode was read from the
# cache (SourceFileLoader.get_code calls source_to_code only on a miss)
PY_SHIM_PROBE = """\
import sys

def handler(event, context):
    shim = sys.modules["lamb_runtime"]
    return {"file": shim.__file__, "cached": shim.__cached__}
"""


class ShimBytecode(unittest.TestCase):
    """The Python shim is imported, not run as a script, so that its
    bytecode is cached (compiling it was ~10 ms of each cold start); lamb
    compiles it where a sandboxed instance cannot write, and again when the
    shim changes."""

    def setUp(self):
        sandbox_or_skip(self)
        self.tmp = lambtest.project({"fn/app.py": PY_SHIM_PROBE, "template.yaml": PY_TEMPLATE})
        self.rt = os.path.join(self.tmp.name, "runtime")
        shutil.copytree(os.path.join(lambtest.SOURCE_ROOT, "runtime", "python"), os.path.join(self.rt, "python"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        # the user's PYTHONPYCACHEPREFIX must not send lamb's compile where the instance never looks
        self.env = dict(os.environ, LAMB_RUNTIME_DIR=self.rt, XDG_CACHE_HOME=os.path.join(self.tmp.name, "cache"),
                        PYTHONPYCACHEPREFIX=os.path.join(self.tmp.name, "prefix"))
        self.module = os.path.join(self.rt, "python", "lamb_runtime.py")

    def tearDown(self):
        self.tmp.cleanup()

    def invoke(self):
        r = lambtest.run("local", "invoke", "--sandbox", "on", "-e", "-", input="{}", cwd=self.tmp.name,
                         env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def header_matches_source(self, pyc):
        import struct
        with open(pyc, "rb") as f:
            _, flags, mtime, size = struct.unpack("<4sIII", f.read(16))
        st = os.stat(self.module)
        return flags == 0 and mtime == int(st.st_mtime) & 0xFFFFFFFF and size == st.st_size

    def test_compiled_for_the_sandbox_and_after_an_edit(self):
        pyc = os.path.join(self.rt, "python", "__pycache__", f"lamb_runtime.{sys.implementation.cache_tag}.pyc")
        got = self.invoke()
        self.assertEqual(got["file"], self.module)
        # the instance runs as another user on a read-only view: only lamb can have written it
        self.assertTrue(os.path.isfile(pyc), os.listdir(os.path.dirname(self.module)))
        self.assertTrue(self.header_matches_source(pyc))
        before = os.stat(pyc).st_mtime_ns
        self.invoke()
        self.assertEqual(os.stat(pyc).st_mtime_ns, before)  # compiled once, not per start
        with open(self.module, "a") as f:
            f.write("\nEDITED = True\n")
        os.utime(self.module, (time.time() + 5, time.time() + 5))  # another second than the last compile
        self.invoke()
        self.assertTrue(self.header_matches_source(pyc))
        os.remove(pyc)  # a cleaned tree: compiled again
        self.invoke()
        self.assertTrue(self.header_matches_source(pyc))


class Samples(unittest.TestCase):
    @unittest.skipUnless(shutil.which("make") and shutil.which("cc"), "make or cc is missing")
    def test_hello_c(self):
        # built by its Makefile (BuildMethod: makefile) before it runs
        src = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "hello-c")
        d = lambtest.project({})
        for f in ("template.yaml", "Makefile", "main.c"):
            shutil.copy(os.path.join(src, f), d.name)
        shutil.copytree(os.path.join(src, "events"), os.path.join(d.name, "events"))
        env = dict(os.environ, RUNTIME=os.path.join(lambtest.SOURCE_ROOT, "runtime", "c"))
        r = lambtest.run("local", "invoke", "-e", "events/event.json", "--repeat", "2", cwd=d.name, env=env,
                         timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '{"message":"hello, lamb","from":"C"}\n' * 2)
        self.assertEqual(r.stderr.count("greeting lamb"), 2)


class Choosing(unittest.TestCase):
    def test_several_functions_need_an_id(self):
        t = TEMPLATE.format(timeout=3, memory=128, extra_env="", extra="""\
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: unused
      Runtime: provided.al2023
""")
        d = lambtest.project({"template.yaml": t, "fn/bootstrap": "#!/bin/sh\n"})
        r = lambtest.run("local", "invoke", cwd=d.name)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Fixture", r.stderr)
        self.assertIn("Other", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_unknown_function(self):
        d = lambtest.project({"template.yaml": TEMPLATE.format(timeout=3, memory=128, extra_env="", extra="")})
        r = lambtest.run("local", "invoke", "Nope", cwd=d.name)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no function 'Nope'", r.stderr)

    def test_help(self):
        r = lambtest.run("local", "invoke", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--repeat", r.stdout)


if __name__ == "__main__":
    lambtest.main()
