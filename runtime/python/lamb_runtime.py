"""lamb's Python runtime, imported by bootstrap.py (run as `pythonX.Y -S bootstrap.py`,
python3.8 ... python3.14, with the code dir as cwd), so that its bytecode is cached. It imports the handler named by _HANDLER, then loops on the Runtime API:
GET /next, call handler(event, context), POST /response or /error with the next GET /next
behind it in the same write.

Standard library only, and deliberately not http.client: that module pulls in email.parser and
ssl (about 15 ms of every cold start on a small machine) and parses each response's headers
through the email package (about 30 us each). The Runtime API is plain HTTP/1.1 on one
keep-alive connection, which the small client below speaks directly, on the C-level _socket
module (socket.py's enum set-up costs more than this whole file). logging is configured when
the function first imports it, so a function that never logs does not pay for it either.
Nothing is imported per invocation.
Not done here: response streaming. SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE snap-start, with
lamb's socket on stdin) is lamb_snapstart.py's, imported by those functions only.
"""
import json
import os
import sys
import time

try:
    import _socket as socket
except ImportError:  # not CPython
    import socket

API_PREFIX = "/2018-06-01/runtime"
# under lamb's debugger (debug.py imports debugpy before running this shim)
# the invocation's timeout is suspended: its remaining time stays what it
# was when the event came, not a count down to 0 at a breakpoint
UNDER_DEBUGGER = "debugpy" in sys.modules
NEXT_PATH = API_PREFIX + "/invocation/next"
current_request_id = ""
current_tenant_id = None


class RuntimeClient:
    """One HTTP/1.1 keep-alive connection to $AWS_LAMBDA_RUNTIME_API (host:port)."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host.strip("[]") or "127.0.0.1", int(port))
        self.host = address
        self.sock = None
        self.buf = b""
        self.next_request = self.encode("GET", NEXT_PATH)

    def connect(self):
        # A bytes host keeps getaddrinfo from loading the idna codec (a millisecond).
        host, port = self.address
        error = OSError("no address for %s" % self.host)
        for family, kind, proto, _, address in socket.getaddrinfo(
                host.encode("ascii"), port, 0, socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            try:
                sock.connect(address)
            except OSError as e:
                sock.close()
                error = e
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            self.buf = b""
            return
        raise error

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buf = b""

    def encode(self, method, path, body=None, extra_headers=""):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n%s" % (method, path, self.host, extra_headers)
        if body is None:
            return (head + "\r\n").encode("latin-1")
        return (head + "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % len(body)).encode("latin-1") + body

    def request(self, method, path, body=None, extra_headers=""):
        """Sends one request; returns (status, {lower-case name: value}, body bytes)."""
        return self.exchange(self.encode(method, path, body, extra_headers))

    def exchange(self, data, read=None):
        """Sends data, one request or more, and reads the answer to the first (with read, when
        given)."""
        read = read or self.read_response
        reused = self.sock is not None
        if not reused:
            self.connect()
        try:
            self.sock.sendall(data)
            return read()
        except ConnectionError:
            # The server may close an idle keep-alive connection; retry once on a new one.
            self.close()
            if not reused:
                raise
            self.connect()
            self.sock.sendall(data)
            return read()

    def post_next(self, path, body, error_type=None):
        """POSTs an answer and asks for the next event in the same write (HTTP/1.1 pipelining,
        which servers answer in order: lamb's Runtime API then sends the 202 and the event
        together). That saves a write, a wake-up and a read per invocation on each side.
        Returns the answer to the GET /next; the POST's own answer is read and dropped, as
        post() callers do. A server that closes after the POST's answer (Connection: close,
        or closing the kept-alive connection without saying so) gets the GET again on a new
        connection."""
        self.exchange(self.encode("POST", API_PREFIX + path, body, error_header(error_type))
                      + self.next_request, self.skip_response)
        if self.sock is not None:
            try:
                return self.read_response()
            except ConnectionError:
                self.close()
        return self.request("GET", NEXT_PATH)

    def recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the Runtime API closed the connection")
        return chunk

    def read_response(self):
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            buf += self.recv()
            end = buf.find(b"\r\n\r\n")
        lines = buf[:end].decode("latin-1").split("\r\n")
        status_line = lines[0].split(None, 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = buf[end + 4:]
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, rest = self.read_chunked(rest)
        elif "content-length" in headers:
            body, rest = self.read_exact(rest, int(headers["content-length"]))
        else:
            body, rest = self.read_to_eof(rest), b""
        self.buf = rest
        if headers.get("connection", "").lower() == "close" or status_line[0] == "HTTP/1.0":
            self.close()
        return int(status_line[1]), headers, body

    def skip_response(self):
        """Reads and drops an answer. The usual one (lamb's 202: HTTP/1.1, one Content-Length,
        no Transfer-Encoding or Connection header) is skipped without building its header
        dict, which took a third of the shim's own work per invocation; anything else goes
        through read_response."""
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            buf += self.recv()
            end = buf.find(b"\r\n\r\n")
        self.buf = buf
        head = buf[:end].lower()
        at = head.find(b"\r\ncontent-length:")
        if (not head.startswith(b"http/1.1 ") or at < 0 or b"\r\ntransfer-encoding:" in head
                or b"\r\nconnection:" in head or head.count(b"\r\ncontent-length:") != 1):
            return self.read_response()
        stop = head.find(b"\r\n", at + 2)
        start = end + 4 + int(head[at + 17:stop if stop >= 0 else end])
        if len(buf) < start:
            return self.read_response()
        self.buf = buf[start:]
        return None

    def read_exact(self, rest, n):
        if len(rest) >= n:
            return rest[:n], rest[n:]
        # Large events: fill one preallocated buffer instead of concatenating chunks.
        body = bytearray(n)
        body[:len(rest)] = rest
        view = memoryview(body)
        got = len(rest)
        while got < n:
            k = self.sock.recv_into(view[got:])
            if not k:
                raise ConnectionResetError("the Runtime API closed the connection mid-body")
            got += k
        return body, b""

    def read_chunked(self, buf):
        body = bytearray()
        while True:
            while b"\r\n" not in buf:
                buf += self.recv()
            line, _, buf = buf.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                break
            while len(buf) < size + 2:
                buf += self.recv()
            body += buf[:size]
            buf = buf[size + 2:]
        while True:  # trailers, up to the empty line
            while b"\r\n" not in buf:
                buf += self.recv()
            line, _, buf = buf.partition(b"\r\n")
            if not line:
                return body, buf

    def read_to_eof(self, rest):
        body = bytearray(rest)
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.close()
                return body
            body += chunk

    def post(self, path, body, error_type=None):
        return self.request("POST", API_PREFIX + path, body, error_header(error_type))


def error_header(error_type):
    return "Lambda-Runtime-Function-Error-Type: %s\r\n" % error_type if error_type else ""


class CognitoIdentity:
    def __init__(self, fields):
        self.cognito_identity_id = fields.get("cognitoIdentityId")
        self.cognito_identity_pool_id = fields.get("cognitoIdentityPoolId")


class Client:
    def __init__(self, fields):
        self.installation_id = fields.get("installation_id")
        self.app_title = fields.get("app_title")
        self.app_version_name = fields.get("app_version_name")
        self.app_version_code = fields.get("app_version_code")
        self.app_package_name = fields.get("app_package_name")


class ClientContext:
    def __init__(self, fields):
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = fields.get("custom")
        self.env = fields.get("env")


def parse_json_header(value):
    if not value:
        return None
    try:
        fields = json.loads(value)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


class LambdaContext:
    """The handler's second argument. The function-wide fields are class attributes, set once."""
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    # a string, as AWS's client reads it from the environment
    memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")

    def __init__(self, request_id, headers):
        self.aws_request_id = request_id
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        self._frozen_ms = max(self._deadline_ms - int(time.time() * 1000), 0) if UNDER_DEBUGGER else None
        identity = parse_json_header(headers.get("lambda-runtime-cognito-identity"))
        self.identity = CognitoIdentity(identity or {})
        client_context = parse_json_header(headers.get("lambda-runtime-client-context"))
        self.client_context = ClientContext(client_context) if client_context else None
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        # the JSON log records' tenantId (set here, where the header is read anyway, rather
        # than in the invoke loop)
        global current_tenant_id
        current_tenant_id = self.tenant_id

    def get_remaining_time_in_millis(self):
        if self._frozen_ms is not None:
            return self._frozen_ms
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return ("LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
                "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
                "invoked_function_arn=%s,client_context=%s,identity=%s,tenant_id=%s])" % (
                    self.aws_request_id, self.log_group_name, self.log_stream_name,
                    self.function_name, self.memory_limit_in_mb, self.function_version,
                    self.invoked_function_arn, self.client_context, self.identity,
                    self.tenant_id))


class InitError(Exception):
    def __init__(self, error_type, message, stack=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def stack_of(tb):
    """Lambda's stackTrace: one traceback.format_list entry per frame, from the first frame
    that is not the runtime's own (AWS's client drops the leading frames of its bootstrap.py);
    importlib's frozen frames of a failed import left out too."""
    import traceback  # only reached on an error; imported once
    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == __file__:
        frames = frames[1:]
    frames = [f for f in frames if not f.filename.startswith("<frozen importlib")]
    return traceback.format_list(frames)


def error_body(error_type, message, stack, request_id):
    return {"errorMessage": message, "errorType": error_type,
            "requestId": request_id, "stackTrace": stack}


def log_error(error):
    """As AWS's client logs an error: one record, its lines joined with \\r (so that the log
    keeps it whole), each line's leading spaces as U+00A0; "[ERROR] Type: message", then the
    traceback header (even for an empty stack) and the stack's lines."""
    flush_output()
    if JSON_LOGS:  # as AWS's client: whole seconds, no zone
        entry = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "ERROR"}
        entry.update(error)
        sys.stdout.write(to_json(entry) + "\n")
        sys.stdout.flush()
        return
    head = "[ERROR]"
    if error["errorType"]:
        head += " " + error["errorType"]
    if error["errorMessage"]:
        head += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for entry in error["stackTrace"]:
        if entry == "":
            lines.append("")
        for line in entry.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


def flush_output():
    """The function's own last words (a print without a newline, a write to stderr) go to the
    log before what the runtime reports."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def load_handler(spec):
    """Imports module.function ('pkg/sub/mod.fn' or 'pkg.sub.mod.fn') and returns the function."""
    module_name, dot, function_name = spec.rpartition(".")
    if not dot:
        raise InitError("Runtime.MalformedHandlerName",
                        "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    if not module_name or not function_name:
        raise InitError("Runtime.MalformedHandlerName",
                        "Bad handler '%s': empty module or function name" % spec)
    module_path = module_name.replace("/", ".").strip(".")
    try:
        __import__(module_path)
        module = sys.modules[module_path]
    except ImportError as e:
        raise InitError("Runtime.ImportModuleError",
                        "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        where = '  File "%s" Line %s\n    %s' % (e.filename, e.lineno, (e.text or "").strip())
        raise InitError("Runtime.UserCodeSyntaxError",
                        "Syntax error in module '%s': %s" % (module_name, e), [where])
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound",
                        "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler


def init_handler(client):
    """Loads the handler, or reports the failure to /init/error and exits."""
    try:
        return load_handler(os.environ.get("_HANDLER", ""))
    except InitError as e:
        error = error_body(e.error_type, e.message, e.stack, "")
    except Exception as e:  # the user's module raised while being imported
        error = error_body(type(e).__name__, str(e), stack_of(e.__traceback__), "")
    log_error(error)
    client.post("/init/error", to_json(error).encode("utf-8"), error["errorType"])
    sys.exit(1)


def init_failed(client, e):
    """A runtime hook raised: reported as an init error, as one in the module's import."""
    error = error_body(type(e).__name__, str(e), stack_of(e.__traceback__), "")
    log_error(error)
    client.post("/init/error", to_json(error).encode("utf-8"), error["errorType"])
    sys.exit(1)


JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def utc_timestamp(seconds):
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)),
                         int(seconds * 1000) % 1000)


# LogRecord attributes that are not a record's extra fields (AWS's client's list)
RECORD_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
    "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type"))


def json_log_record(record):
    """A logging record as AWS's client writes it under LogFormat JSON: its level rounded down
    to a standard one, the exception's stack, type and message and where it was logged, the
    tenant, then the record's extra fields (logger.info("x", extra={...})); null fields left
    out."""
    import traceback
    record.levelno = min(50, max(0, record.levelno)) // 10 * 10
    record.levelname = record_level_name(record.levelno)
    exc = record.exc_info
    entry = {"timestamp": utc_timestamp(record.created), "level": record.levelname,
             "message": record.getMessage(), "logger": record.name,
             "stackTrace": traceback.format_tb(exc[2]) if exc else None,
             "errorType": exc[0].__name__ if exc else None,
             "errorMessage": str(exc[1]) if exc else None,
             "requestId": getattr(record, "aws_request_id", None),
             "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
             if exc else None}
    if getattr(record, "tenant_id", None) is not None:
        entry["tenantId"] = record.tenant_id
    entry.update((k, v) for k, v in record.__dict__.items()
                 if k not in RECORD_FIELDS and k not in entry)
    return JSON_LOG_ENCODE({k: v for k, v in entry.items() if v is not None})


JSON_LOG_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode
record_level_name = None  # logging.getLevelName, once logging is configured


def configure_logging(logging):
    """Lambda's log format on the root logger: by default
    [LEVEL]<tab>2024-01-31T12:00:00.123Z<tab>REQUEST_ID<tab>message, or one JSON object a line
    when AWS_LAMBDA_LOG_FORMAT=JSON (where the level defaults to INFO, as in Lambda)."""
    if JSON_LOGS:
        global record_level_name
        record_level_name = logging.getLevelName
        formatter = logging.Formatter()
        formatter.format = json_log_record
    else:
        formatter = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s")
        formatter.converter = time.gmtime
        formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
        formatter.default_msec_format = "%s.%03dZ"
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(add_request_id)
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL"):
        root.setLevel("WARNING" if level == "WARN" else level)
    elif level in ("TRACE", "FATAL"):
        root.setLevel("DEBUG" if level == "TRACE" else "CRITICAL")
    elif JSON_LOGS:
        root.setLevel("INFO")


def add_request_id(record):
    record.aws_request_id = current_request_id
    record.tenant_id = current_tenant_id
    return True


class LoggingConfigurer:
    """A meta path finder that lets the real finders find 'logging', then configures the module
    once it has run, before the importer sees it; it removes itself at the first use."""

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                spec.loader = ConfiguringLoader(spec.loader)
                return spec
        return None


class ConfiguringLoader:
    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # get_source and the like, for tracebacks
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            configure_logging(module)
        except AttributeError:  # a 'logging' of the function's own, not the standard one
            pass


def setup_logging():
    if "logging" in sys.modules:  # imported by site or a .pth file already
        configure_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, LoggingConfigurer())


def setup_stdio():
    # A pipe makes stdout block-buffered; line buffering puts each print in the log at once.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)
        except (AttributeError, ValueError):
            pass


def opt_dirs(task_root):
    """The layers' directories: lamb passes them after this script, later layers first (the
    sandbox maps each to /opt); without any, /opt where the code is at /var/task as on
    Lambda, and none elsewhere (the host's /opt is not the function's)."""
    dirs = []
    for d in sys.argv[1:] or (["/opt"] if task_root == "/var/task" else []):
        if d not in dirs:
            dirs.append(d)
    del sys.argv[1:]
    return dirs


def setup_path(task_root, layers):
    """sys.path as Lambda's: /var/task, /opt/python/lib/pythonX.Y/site-packages, /opt/python,
    the runtime's directory (PYTHONPATH, as Lambda's /var/runtime), the standard library, and
    nothing else. lamb runs Python with -S: no host site-packages or user site was added. A
    PYTHONPATH the template sets takes the runtime directory's place, which is kept after it."""
    here = os.path.dirname(os.path.abspath(__file__))
    given = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    # what -S leaves after the script's directory and PYTHONPATH: the standard library
    stdlib = [p for p in sys.path[1:] if p not in given and p != here]
    version = "python%d.%d" % sys.version_info[:2]
    path = [task_root]
    path += [os.path.join(d, "python", "lib", version, "site-packages") for d in layers]
    path += [os.path.join(d, "python") for d in layers]
    path += given + [here] + stdlib
    sys.path[:] = [p for i, p in enumerate(path) if p not in path[:i]]
    sys.path_hooks.insert(0, RuntimePackages.hook(here))
    sys.path_importer_cache.pop(here, None)


class RuntimePackages:
    """The runtime directory's finder: the Python runtimes include boto3 and botocore (and
    what they import), so a function may import them without packaging them. lamb has no copy
    of its own: it finds these, and only these, in the host interpreter's site-packages, as
    though they were the runtime's; and, as a last resort after every other finder, what a
    module loaded from there imports (a distribution's botocore may need its requests). A host
    without boto3 is said once, at the first import."""
    NAMES = frozenset(("boto3", "botocore", "jmespath", "dateutil", "urllib3", "s3transfer",
                       "six"))
    # lamb's own modules there: SnapStart's hooks library, which Lambda's Python runtimes
    # include, and lamb's half of SnapStart
    OWN = frozenset(("snapshot_restore_py", "lamb_snapstart"))
    said = False
    sites = None

    def __init__(self, here):
        self.here = here

    @classmethod
    def hook(cls, here):
        sys.meta_path.append(RuntimeDependencies())

        def hook(path):
            if path != here:
                raise ImportError("not the runtime directory")
            return cls(here)
        return hook

    @classmethod
    def site_dirs(cls):
        if cls.sites is None:
            import site  # under -S, only its functions: nothing is added to sys.path
            venv, system = venv_of(sys.executable)
            if venv is None:
                dirs = site.getsitepackages() + [site.getusersitepackages()]
            else:  # as site.py's venv step makes it: the venv's, the base's only when it includes
                # them. The venv's is named here, not by site.getsitepackages([venv]): Debian's
                # patched site.py gives any prefix its dist-packages layout unless the venv step
                # ran, which -S skips, and the venv's own site-packages would never be seen.
                dirs = [os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")]
                if system:
                    dirs += site.getsitepackages()
            cls.sites = [d for d in dirs if os.path.isdir(d)]
        return cls.sites

    def find_spec(self, name, target=None):
        if name not in self.NAMES and name not in self.OWN:
            return None
        if name in self.OWN:
            from importlib.util import spec_from_file_location
            return spec_from_file_location(name, os.path.join(self.here, name + ".py"))
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, self.site_dirs())
        if spec is None and name in ("boto3", "botocore") and not RuntimePackages.said:
            RuntimePackages.said = True
            sys.stderr.write("lamb: the host's Python (%s) has no %s, which Lambda's Python "
                             "runtimes include: install it for that interpreter to import it "
                             "without packaging it\n" % (sys.executable, name))
        return spec

    def invalidate_caches(self):
        pass


def venv_of(executable):
    """(prefix, includes the base's site-packages) of the virtual environment executable runs
    in, else (None, True). -S skips site.py's venv step, which alone points sys.prefix at the
    venv: without this the base interpreter's boto3 would be found, and not the venv's (PEP 405:
    pyvenv.cfg beside the executable or one level up, include-system-site-packages)."""
    bindir = os.path.dirname(os.path.abspath(executable))
    for prefix in (bindir, os.path.dirname(bindir)):
        try:
            with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        system = False
        for line in lines:
            key, eq, value = line.partition("=")
            if eq and key.strip().lower() == "include-system-site-packages":
                system = value.strip().lower() == "true"
        return os.path.dirname(bindir), system
    return None, True


class RuntimeDependencies:
    """Last on sys.meta_path, so reached only by an import nothing else found: a top-level
    module imported by code that itself lives in the host's site-packages (the runtime's
    packages and, in turn, what they brought in) is looked for there too. The function's own
    code never gets a host package this way."""

    def find_spec(self, name, path=None, target=None):
        if path is not None:
            return None
        frame = sys._getframe(1)
        while frame is not None and (frame.f_code.co_filename.startswith("<frozen") or
                                     frame.f_globals.get("__name__") == "importlib"):
            frame = frame.f_back
        importer = frame.f_globals.get("__file__") or "" if frame is not None else ""
        sites = RuntimePackages.site_dirs()
        if not importer.startswith(tuple(os.path.join(d, "") for d in sites)):
            return None
        from importlib.machinery import PathFinder
        return PathFinder.find_spec(name, sites)

    def invalidate_caches(self):
        pass


def setup_builtins():
    """exit(), quit(), help() and copyright, which site adds and -S leaves out."""
    import site
    for name in ("setquit", "setcopyright", "sethelper"):
        getattr(site, name, lambda: None)()


def precise_bytecode(roots):
    """Python trusts a .pyc while its source has the same size and mtime in whole seconds, so an
    edit of the same size within the second of the last compile runs the old code (lamb starts a
    new instance right after an edit: exactly then). For the function's own code and layers, the
    stamp checked and written is the mtime in microseconds instead (the seconds when the mtime
    has none, as in files from zips, whose .pyc stay valid). Only where bytecode can be written:
    a read-only tree (the sandbox's /var/task and /opt) gets no new .pyc to go stale, and
    checking its pip-made .pyc (stamped in seconds) this way would recompile them on every
    cold start; elsewhere they are recompiled once. The rest of sys.path keeps Python's loader.
    Costs a class, a path hook and an access() per root at start, nothing per import."""
    ext = sys.modules.get("_frozen_importlib_external")
    supported = getattr(ext, "_get_supported_file_loaders", None)
    if supported is None:  # not CPython
        return

    class Loader(ext.SourceFileLoader):
        def path_stats(self, path):
            st = os.stat(path)
            ns = st.st_mtime_ns
            return {"mtime": ns // 1000 if ns % 1000000000 else ns // 1000000000, "size": st.st_size}

    details = [(Loader if loader is ext.SourceFileLoader else loader, suffixes)
               for loader, suffixes in supported()]
    roots = tuple(r for r in roots if r and os.access(r, os.W_OK))
    if not roots:
        return
    prefixes = tuple(os.path.join(r, "") for r in roots)
    finder = ext.FileFinder

    def hook(path):
        if path in roots or path.startswith(prefixes):
            return finder(path, *details)
        raise ImportError("not the function's code")

    sys.path_hooks.insert(0, hook)
    for r in roots:
        sys.path_importer_cache.pop(r, None)


DECIMAL_MARK = "\x00lamb-decimal:"


def decimal_default(value):
    # AWS's client writes a Decimal (DynamoDB gives them) with its own digits (simplejson's
    # RawJSON of str(value)), a NaN one as NaN; the standard json module has no raw output, so
    # the digits go out as a marked string that to_json unwraps.
    if type(value).__name__ == "Decimal":
        return float("nan") if value.is_nan() else DECIMAL_MARK + str(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def python_at_least_312():
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    try:
        major, minor = env.rpartition("python")[2].split(".")[:2]
        return (int(major), int(minor)) >= (3, 12)
    except ValueError:
        return False


def reused_encoder(plain):
    """plain.encode's work on json's C encoder made once: JSONEncoder.encode makes a new one on
    every call, through iterencode (3 of the 7 us a hello's result took). markers is that
    encoder's circular-reference memo, empty after each encode and emptied when one fails half
    way. plain itself where there is no C encoder (not CPython) or it writes otherwise."""
    try:
        from json import encoder
        markers = {}
        escape = encoder.encode_basestring_ascii if plain.__self__.ensure_ascii \
            else encoder.encode_basestring
        c_encode = encoder.c_make_encoder(markers, decimal_default, escape, None, ": ", ", ",
                                          False, False, True)
    except (ImportError, AttributeError, TypeError):
        return plain

    def encode(value):
        try:
            return "".join(c_encode(value, 0))
        except BaseException:
            markers.clear()
            raise
    sample = {"a": [1, 2.5, -0.0, 1e300, None, True, False, "\u00e9\u2028\"\n"], "b": {}, "c": []}
    try:
        if encode(sample) == plain(sample) and encode("x\u00e9") == plain("x\u00e9"):
            return encode
    except Exception:
        pass
    return plain


# AWS's client leaves non-ASCII unescaped on python3.12 and later only.
ENCODE = reused_encoder(json.JSONEncoder(default=decimal_default,
                                         ensure_ascii=not python_at_least_312()).encode)
MARKED = json.dumps(DECIMAL_MARK)[:-1]  # '"\u0000lamb-decimal:'


def to_json(value):
    text = ENCODE(value)
    if MARKED not in text:
        return text
    import re
    return re.sub(re.escape(MARKED) + r'([^"]*)"', r"\1", text)


def marshal(result):
    """The response body: bytes as they are (AWS's client posts them raw), else JSON."""
    if isinstance(result, bytes):
        return result
    return to_json(result).encode("utf-8")


def invoke_loop(client, handler):
    global current_request_id
    loads = json.loads
    environ = os.environ
    status, headers, body = client.request("GET", NEXT_PATH)
    while True:
        if status != 200:
            raise RuntimeError("GET /invocation/next answered %d: %r" % (status, bytes(body[:200])))
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        current_request_id = request_id
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            environ["_X_AMZN_TRACE_ID"] = trace_id
        error = None
        try:
            event = loads(body)
        except (ValueError, RecursionError) as e:  # a deeply nested event: AWS's client says the same
            error = error_body("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e,
                               [], request_id)
        if error is None:
            try:
                result = handler(event, LambdaContext(request_id, headers))
            except Exception as e:
                error = error_body(type(e).__name__, str(e), stack_of(e.__traceback__),
                                   request_id)
        if error is None:
            try:
                payload = marshal(result)
            except Exception as e:  # TypeError, ValueError (circular), RecursionError
                error = error_body("Runtime.MarshalError", "Unable to marshal response: %s" % e,
                                   [], request_id)
        if error is not None:
            log_error(error)
            status, headers, body = client.post_next(
                "/invocation/%s/error" % request_id, to_json(error).encode("utf-8"),
                error["errorType"])
        else:
            flush_output()  # the function's last words before END, even without a newline
            status, headers, body = client.post_next("/invocation/%s/response" % request_id,
                                                     payload)


def main():
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("lamb python runtime: AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(2)
    setup_stdio()
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    layers = opt_dirs(task_root)
    setup_path(task_root, layers)
    if sys.flags.no_site:
        setup_builtins()
    precise_bytecode([task_root] + layers)
    setup_logging()
    client = RuntimeClient(address)
    snap = None
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        import lamb_snapstart
        snap = lamb_snapstart.control()
        if snap is not None:
            lamb_snapstart.note_start()
    handler = init_handler(client)
    if snap is not None:
        # returns in each instance forked from the snapshot, with its own Runtime API
        address = lamb_snapstart.snapshot(snap, lambda e: init_failed(client, e))
        client = RuntimeClient(address)
        lamb_snapstart.restored(lambda e: init_failed(client, e))
    try:
        invoke_loop(client, handler)
    except (OSError, RuntimeError) as e:
        sys.stderr.write("lamb python runtime: Runtime API at %s: %s\n" % (address, e))
        sys.exit(1)
