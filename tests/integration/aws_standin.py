"""An AWS-compatible stand-in for the S3 and CloudFormation calls that
lamb package, lamb deploy and lamb delete make, written for their tests.

Why: issue 7 asks for tests against moto's server, but neither moto nor
aws-sam-translator is packaged in Debian 12. This is a small server on
127.0.0.1 that answers as AWS does where lamb can tell the difference:
the same SigV4 check, the same error codes and XML shapes, the same
asynchronous change sets and stack events.

Use from a test (Python stdlib plus PyYAML only):

    sys.path.insert(0, os.path.dirname(__file__))
    from aws_standin import AwsStandin
    with AwsStandin() as aws:          # serves on 127.0.0.1, a free port
        aws.url                        # "http://127.0.0.1:PORT" (--endpoint-url)
        aws.port, aws.region           # region: "us-east-1" unless given
        aws.access_key, aws.secret_key # the accepted credential
        aws.env()                      # AWS_* variables for a child process
        aws.add_session_credential()   # -> (key, secret, token): token required
        aws.create_bucket("b"); aws.put_object("b", "k", b"..")
        aws.objects[("b", "k")]        # -> bytes, as uploaded
        aws.fail_next(2, "SlowDown")   # the next 2 requests fail (retry tests)
        aws.calls                      # [(service, action, path)], e.g.
                                       # ("s3", "PutObject", "/b/k"),
                                       # ("cloudformation", "CreateChangeSet", "/")
        aws.requests                   # dicts: also method, region, status, ...
        aws.actions("s3")              # ["CreateBucket", "PutObject", ...]
        s = aws.stack("name")          # the live stack (or any, by id), or None
        s.status, s.reason, s.params, s.tags, s.outputs, s.template_body
        s.events                       # oldest first: dicts as DescribeStackEvents
        s.resources["Fn"].physical     # .type, .props (intrinsics resolved)
        aws.wait_stack("name", {"CREATE_COMPLETE"})

AwsStandin(port=0, access_key=..., secret_key=..., region="us-east-1");
aws.page_size (100) pages DescribeStackEvents and the like; aws.delay (1.0)
scales the pauses between asynchronous steps; aws.clock_offset (0) moves
the clock requests are checked against; aws.refuse_empty_updates (False)
answers an UPDATE change set that changes nothing as moto's server does,
"ValidationError: No updates are to be performed.", not with a FAILED set. aws_standin_template.translate(text)
checks a template as the SAM translator would, without a server.

Or as a process: `python3 aws_standin.py [--port N] [--bucket B]` prints its
URL on stdout and serves until SIGTERM (credentials: DEFAULT_ACCESS_KEY and
DEFAULT_SECRET_KEY below, or --access-key/--secret-key).

Covered: SigV4 header signing checked strictly (canonical request, scope,
15-minute clock skew, session tokens, x-amz-content-sha256 required by S3
as AWS does, aws-chunked uploads with chunk signatures), path-style S3
buckets and objects (aws_standin_s3.py), the CloudFormation Query API for
change sets, stacks and events with rollbacks (aws_standin_cfn.py and
aws_standin_resources.py), CloudWatch Logs' FilterLogEvents over events a
test puts (aws_standin_logs.py), templates in YAML or JSON with the SAM transform
expanded roughly as AWS's translator does (aws_standin_template.py).

Lambda (aws_standin_lambda.py): GetLayerVersionByArn with content URLs
served unsigned, PublishLayerVersion, Invoke, UpdateFunctionCode and
Get/UpdateFunctionConfiguration; aws.add_layer(name, zip) -> ARN,
aws.add_function(name), aws.downloads, aws.code_updates, aws.invocations,
aws.invoke_handler.

Deliberately not covered: presigned S3 URLs, virtual-hosted buckets, multipart
uploads, versioning, ACLs and policies (every known key may do anything),
real resources (nothing runs: a Lambda function is a record whose code
object must exist in this S3), nested stacks, drift, stack sets, and most
SAM features beyond functions, layers, APIs and their events."""
import base64
import json
import calendar
import hashlib
import hmac
import http.server
import re
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

DEFAULT_ACCESS_KEY = "AKIASTANDIN000000001"
DEFAULT_SECRET_KEY = "standin/secret/key/for/tests/only/0000001"
ACCOUNT = "123456789012"
MAX_SKEW = 15 * 60

# fail_next kinds: (status, S3 code, Query API code, message)
FAULTS = {
    500: (500, "InternalError", "InternalFailure", "We encountered an internal error. Please try again."),
    503: (503, "ServiceUnavailable", "ServiceUnavailable", "Service is unable to handle request."),
    "SlowDown": (503, "SlowDown", "Throttling", "Please reduce your request rate."),
    "Throttling": (400, "SlowDown", "Throttling", "Rate exceeded"),
}


class AwsError(Exception):
    """An error answer: status, code, message (the format is the service's)."""

    def __init__(self, status, code, message, sender=True):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.sender = status, code, message, sender


def uri_encode(s, keep_slash=False):
    """RFC 3986 encoding as SigV4 wants it."""
    return urllib.parse.quote(s, safe="/~" if keep_slash else "~")


def amz_time(t):
    """ISO 8601 with milliseconds, as AWS writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def stamp(t):
    """ISO 8601 basic format, as in X-Amz-Date."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = hmac_sha256(("AWS4" + secret).encode(), date)
    k = hmac_sha256(k, region)
    k = hmac_sha256(k, service)
    return hmac_sha256(k, "aws4_request")


class Request:
    """One parsed HTTP request, as the services see it."""

    def __init__(self, method, raw_path, headers, body):
        self.method = method
        self.raw_path, _, self.raw_query = raw_path.partition("?")
        self.headers = headers  # email.message.Message: case-insensitive
        self.body = body
        self.query = urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)
        self.service = self.region = self.access_key = None
        self.action = None  # filled by the service handler, for aws.calls

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def param(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default


class SigV4:
    """Checks a request's Authorization header as AWS does."""
    AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$")

    def __init__(self, standin):
        self.standin = standin

    @staticmethod
    def guess_service(req):
        ct = req.header("Content-Type", "")
        return "cloudformation" if req.method == "POST" and req.raw_path == "/" and "form" in ct else "s3"

    def check(self, req):
        auth = req.header("Authorization")
        if not auth:
            req.service = self.guess_service(req)
            if req.service == "s3":
                raise AwsError(403, "AccessDenied", "Access Denied")
            raise AwsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        m = self.AUTH_RE.match(auth.strip())
        scope = m.group(1).split("/") if m else []
        if len(scope) == 5:
            req.access_key, date, req.region, req.service, terminal = scope
        else:
            req.service = self.guess_service(req)
        if not m or len(scope) != 5 or terminal != "aws4_request":
            code = "AuthorizationHeaderMalformed" if req.service == "s3" else "IncompleteSignature"
            raise AwsError(400, code, f"The authorization header is malformed; '{auth[:60]}' is not "
                           "'AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, "
                           "SignedHeaders=..., Signature=...'.")
        signed = m.group(2).split(";")
        self._check_time(req, date)
        secret = self._check_key(req)
        if req.service == "s3" and req.header("X-Amz-Content-SHA256") is None:
            raise AwsError(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        unsigned = sorted({h.lower() for h in req.headers if h.lower().startswith("x-amz-")} - set(signed))
        if req.service == "s3" and "x-amz-content-sha256" in unsigned:
            raise AwsError(400, "InvalidRequest", "header 'x-amz-content-sha256' must be included in signature")
        if req.service == "s3" and unsigned:
            raise AwsError(403, "AccessDenied", "There were headers present in the request which were not "
                           f"signed: {', '.join(unsigned)}")
        if "host" not in signed:
            self._mismatch(req, "'Host' must be a signed header")
        creq = self.canonical_request(req, signed)
        amz_date = req.header("X-Amz-Date")
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, "/".join(scope[1:]),
                         hashlib.sha256(creq.encode()).hexdigest()])
        key = signing_key(secret, date, req.region, req.service)
        want = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, m.group(3)):
            self._mismatch(req, f"The Canonical String for this request should have been\n'{creq}'\n\n"
                           f"The String-to-Sign should have been\n'{sts}'\n")
        req.signing = (key, amz_date, "/".join(scope[1:]), m.group(3))

    def _check_time(self, req, scope_date):
        amz_date = req.header("X-Amz-Date")
        try:
            t = calendar.timegm(time.strptime(amz_date or "", "%Y%m%dT%H%M%SZ"))
        except ValueError:
            if req.service == "s3":
                raise AwsError(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
            raise AwsError(400, "IncompleteSignature", "Authorization header requires existence of either "
                           "a 'X-Amz-Date' or a 'Date' header.")
        if not amz_date.startswith(scope_date):
            self._mismatch(req, f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                           f"of date from HTTP: '{scope_date}' != '{amz_date[:8]}'")
        now = time.time() + self.standin.clock_offset
        if abs(now - t) > MAX_SKEW:
            if req.service == "s3":
                raise AwsError(403, "RequestTimeTooSkewed",
                               "The difference between the request time and the current time is too large.")
            if t < now:
                raise AwsError(403, "SignatureDoesNotMatch", f"Signature expired: {amz_date} is now earlier "
                               f"than {stamp(now - MAX_SKEW)} ({stamp(now)} - 15 min.)")
            raise AwsError(403, "SignatureDoesNotMatch", f"Signature not yet current: {amz_date} is still "
                           f"later than {stamp(now + MAX_SKEW)} ({stamp(now)} + 15 min.)")

    def _check_key(self, req):
        cred = self.standin.credentials.get(req.access_key)
        token = req.header("X-Amz-Security-Token")
        if cred is None or (cred[1] is not None and token != cred[1]) or (cred[1] is None and token):
            if req.service == "s3":
                if cred is not None and token:
                    raise AwsError(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
                raise AwsError(403, "InvalidAccessKeyId",
                               "The AWS Access Key Id you provided does not exist in our records.")
            raise AwsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        return cred[0]

    @staticmethod
    def _mismatch(req, detail):
        msg = ("The request signature we calculated does not match the signature you provided. "
               "Check your AWS Secret Access Key and signing method.")
        if req.service == "s3":
            msg = ("The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.")
        raise AwsError(403, "SignatureDoesNotMatch", msg + " " + detail)

    @staticmethod
    def canonical_request(req, signed):
        if req.service == "s3":
            path = req.raw_path
        else:
            path = uri_encode(req.raw_path or "/", keep_slash=True)
        pairs = []
        for part in req.raw_query.split("&") if req.raw_query else []:
            k, _, v = part.partition("=")
            pairs.append((uri_encode(urllib.parse.unquote(k)), uri_encode(urllib.parse.unquote(v))))
        query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
        lines = []
        for name in signed:
            values = req.headers.get_all(name) or []
            lines.append(name + ":" + ",".join(" ".join(v.split()) for v in values))
        payload = req.header("X-Amz-Content-SHA256") or hashlib.sha256(req.body).hexdigest()
        return "\n".join([req.method, path, query, "\n".join(lines) + "\n", ";".join(signed), payload])


def decode_aws_chunked(req):
    """Decodes an aws-chunked body (STREAMING-... payloads), checking each
    chunk's signature when the payload is signed; returns the bytes and
    the trailing headers {lower-case name: value}."""
    body, out, pos = req.body, [], 0
    signed = req.header("X-Amz-Content-SHA256", "").startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    key, amz_date, scope, prev = req.signing
    while True:
        eol = body.find(b"\r\n", pos)
        size_hex, _, ext = body[pos:max(eol, pos)].decode("latin-1").partition(";")
        if eol < 0 or not re.fullmatch(r"[0-9a-fA-F]+", size_hex) or len(body) < eol + 2 + int(size_hex, 16):
            raise AwsError(400, "IncompleteBody", "The request body terminated unexpectedly")
        size = int(size_hex, 16)
        data = body[eol + 2:eol + 2 + size]
        if signed:
            sig = ext.partition("chunk-signature=")[2]
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev,
                             hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
            want = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, sig):
                raise AwsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                               "match the signature you provided. Check your key and signing method.")
            prev = sig
        out.append(data)
        pos = eol + 2 + size
        if size == 0:
            break
        pos += 2
    trailers = {}
    for line in body[pos:].decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            trailers[name.strip().lower()] = value.strip()
    return b"".join(out), trailers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.standin.verbose:
            sys.stderr.write("aws-standin: " + fmt % args + "\n")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def dispatch(self):
        req = Request(self.command, self.path, self.headers, self.read_body())
        standin = self.server.standin
        request_id = str(uuid.uuid4())
        fault = None
        if req.raw_path.startswith(aws_standin_lambda.PRESIGNED) and req.method == "GET":
            status, headers, body = aws_standin_lambda.serve_presigned(standin, req.raw_path)
            req.service, req.action = "s3", "GetPresigned"
            standin.record(req, status)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        try:
            standin.sigv4.check(req)
            fault = standin.take_fault(req.service)
            if fault == "reset":
                standin.record(req, 0, fault)
                self.close_connection = True
                return
            if fault is not None:
                status, s3code, qcode, msg = FAULTS[fault]
                raise AwsError(status, s3code if req.service == "s3" else qcode, msg, sender=status < 500)
            if req.service == "s3":
                status, headers, body = aws_standin_s3.handle(standin, req)
            elif req.service == "cloudformation":
                status, headers, body = aws_standin_cfn.handle(standin, req, request_id)
            elif req.service == "lambda":
                status, headers, body = aws_standin_lambda.handle(standin, req, request_id)
            elif req.service == "logs":
                status, headers, body = aws_standin_logs.handle(standin, req, request_id)
            else:
                raise AwsError(400, "InvalidRequest", f"this stand-in has no service '{req.service}'")
        except AwsError as e:
            status, headers, body = self.error_answer(req, e, request_id)
        except Exception as e:  # a bug here: say so, as AWS's 500 would, and on stderr
            import traceback
            traceback.print_exc()
            status, headers, body = self.error_answer(req, AwsError(
                500, "InternalError", f"aws_standin failed: {e!r}", sender=False), request_id)
        if req.action is None and req.service in ("s3", "cloudformation"):
            module = aws_standin_s3 if req.service == "s3" else aws_standin_cfn
            req.action = module.action_name(req)
        standin.record(req, status, fault)
        headers = dict(headers)
        headers["x-amz-request-id" if req.service == "s3" else "x-amzn-RequestId"] = request_id
        if req.service == "s3":
            headers["x-amz-id-2"] = base64.b64encode(request_id.encode()).decode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error_answer(self, req, e, request_id):
        if req.service == "lambda":
            return aws_standin_lambda.error_answer(e, request_id)
        if req.service == "logs":  # JSON 1.1, as CloudWatch Logs answers
            body = json.dumps({"__type": e.code, "message": e.message}).encode()
            return e.status, {"Content-Type": "application/x-amz-json-1.1"}, body
        if req.service == "s3":
            if req.method == "HEAD":
                return e.status, {}, b""
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{e.code}</Code>'
                    f"<Message>{escape(e.message)}</Message><RequestId>{request_id}</RequestId></Error>")
            return e.status, {"Content-Type": "application/xml"}, body.encode()
        body = (f'<ErrorResponse xmlns="{aws_standin_cfn.XMLNS}">\n  <Error>\n'
                f"    <Type>{'Sender' if e.sender else 'Receiver'}</Type>\n    <Code>{e.code}</Code>\n"
                f"    <Message>{escape(e.message)}</Message>\n  </Error>\n"
                f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n")
        return e.status, {"Content-Type": "text/xml"}, body.encode()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = dispatch


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class AwsStandin:
    """The stand-in: state (buckets, objects, stacks), credentials, the
    record of requests and the faults to inject. Thread-safe through
    self.lock; a context manager that serves while inside."""

    def __init__(self, port=0, access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY,
                 region="us-east-1", verbose=False):
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.credentials = {access_key: (secret_key, None)}  # access key -> (secret, token or None)
        self.verbose = verbose
        self.lock = threading.RLock()
        self.calls = []     # (service, action, path) per request, faults and refusals included
        self.requests = []  # dicts with more detail: method, region, status, access_key, query
        self.buckets = {}   # name -> creation time
        self.objects = {}   # (bucket, key) -> bytes
        self.object_meta = {}  # (bucket, key) -> {"etag", "content_type", "mtime", "metadata"}
        self.stacks = []    # aws_standin_cfn.Stack, every one ever created (deleted ones too)
        self.log_events = {}  # CloudWatch Logs: group -> [event dicts] (aws_standin_logs.py)
        self.page_size = 100  # DescribeStackEvents / DescribeChangeSet / DescribeStacks pages
        self.clock_offset = 0  # seconds added to the clock requests are checked against
        self.delay = 1.0    # scales the asynchronous steps' sleeps (0 = as fast as possible)
        self.refuse_empty_updates = False  # True: moto's CreateChangeSet, which refuses an
                                           # update changing nothing instead of a FAILED set
        self.faults = []    # [kind, service or None], one per request to fail
        # Lambda (aws_standin_lambda.py)
        self.layers = {}    # layer version ARN -> {"name", "version", "region", "content", ...}
        self.presigned = {}  # token -> bytes: the content URLs handed out
        self.downloads = []  # tokens, per content URL fetched
        self.function_code = {}    # function name -> zip bytes, per UpdateFunctionCode
        self.code_updates = []     # function names, per UpdateFunctionCode
        self.function_layers = {}  # function name -> [ARN], per UpdateFunctionConfiguration
        self.extra_functions = set()  # names add_function made
        self.invocations = []      # (name, payload bytes), per Invoke
        self.invoke_handler = aws_standin_lambda.echo
        self.sigv4 = SigV4(self)
        self.closing = threading.Event()
        self.workers = []
        self._port = port
        self.server = None

    # lifecycle
    def start(self):
        self.server = Server(("127.0.0.1", self._port), Handler)
        self.server.standin = self
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="aws-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.closing.set()
        for w in list(self.workers):
            w.join(timeout=5)
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # helpers for tests
    def add_credential(self, access_key, secret_key, session_token=None):
        """Another accepted credential; with session_token, requests must
        carry it in X-Amz-Security-Token."""
        self.credentials[access_key] = (secret_key, session_token)

    def add_session_credential(self):
        """A new temporary credential; returns (access_key, secret_key, token)."""
        ak = "ASIA" + uuid.uuid4().hex[:16].upper()
        sk = base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()[:40]
        token = base64.b64encode(uuid.uuid4().bytes * 4).decode()
        self.add_credential(ak, sk, token)
        return ak, sk, token

    def env(self, **extra):
        """Environment variables for the AWS CLI / lamb aimed at this stand-in."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region,
                "AWS_ENDPOINT_URL": self.url, **extra}

    def put_log_event(self, group, message, timestamp=None, stream="2026/12/01/[$LATEST]0123456789abcdef"):
        """An event in a CloudWatch Logs group (made when new)."""
        with self.lock:
            events = self.log_events.setdefault(group, [])
            ts = int(time.time() * 1000) if timestamp is None else timestamp
            events.append({"logStreamName": stream, "timestamp": ts, "message": message,
                           "ingestionTime": ts, "eventId": f"{ts:020d}{len(events):08d}"})

    def create_bucket(self, name):
        with self.lock:
            self.buckets.setdefault(name, time.time())

    def put_object(self, bucket, key, data):
        """Stores an object directly (the bucket is created when missing)."""
        with self.lock:
            self.create_bucket(bucket)
            aws_standin_s3.store(self, bucket, key, data, "binary/octet-stream", {})

    def add_layer(self, name, zip_bytes, region=None, runtimes=()):
        """A version of Lambda layer name (GetLayerVersionByArn serves it); returns its ARN."""
        return aws_standin_lambda.add_layer(self, name, zip_bytes, region, runtimes)

    def add_function(self, name):
        """A Lambda function outside any stack, for Invoke and the updates."""
        with self.lock:
            self.extra_functions.add(name)

    def fail_next(self, n=1, kind=503, service=None):
        """The next n requests (for service "s3"/"cloudformation", or any)
        fail after their signature is checked: kind 500, 503, "SlowDown"
        (503), "Throttling" (400 Throttling; S3: 503 SlowDown) or "reset"
        (the connection is closed without an answer)."""
        if kind not in FAULTS and kind != "reset":
            raise ValueError(f"fail_next: unknown kind {kind!r}")
        with self.lock:
            self.faults.extend([kind, service] for _ in range(n))

    def take_fault(self, service):
        with self.lock:
            for i, (kind, svc) in enumerate(self.faults):
                if svc in (None, service):
                    del self.faults[i]
                    return kind
        return None

    def record(self, req, status, fault=None):
        with self.lock:
            action = req.action or req.method
            self.calls.append((req.service, action, req.raw_path))
            self.requests.append({"service": req.service, "action": action, "method": req.method,
                                  "path": req.raw_path, "query": req.raw_query, "region": req.region,
                                  "access_key": req.access_key, "status": status, "fault": fault})

    def actions(self, service=None):
        """The actions called so far, in order (for one service or all)."""
        with self.lock:
            return [a for s, a, _ in self.calls if service in (None, s)]

    def stack(self, name_or_id):
        """The live stack of that name (or any stack by id), else None."""
        return aws_standin_cfn.find_stack(self, name_or_id)

    def wait_stack(self, name, statuses, timeout=30):
        """Waits until the stack's status is one of statuses; returns it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.stack(name)
            if s is not None and s.status in statuses:
                return s
            time.sleep(0.02)
        raise AssertionError(f"stack {name} never reached {statuses}: {s and s.status}")

    def spawn(self, fn, *args):
        """Runs fn in a background thread that stop() waits for."""
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self.lock:
            self.workers = [w for w in self.workers if w.is_alive()] + [t]
        t.start()

    def sleep(self, seconds):
        """A pause in an asynchronous step; False when the stand-in stops."""
        return not self.closing.wait(seconds * self.delay)


def main(argv):
    import argparse
    import signal
    p = argparse.ArgumentParser(description="AWS-compatible stand-in (S3, CloudFormation) for lamb's tests")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    p.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--bucket", action="append", default=[], help="create this bucket at start")
    p.add_argument("--verbose", action="store_true", help="log each request on stderr")
    a = p.parse_args(argv)
    aws = AwsStandin(a.port, a.access_key, a.secret_key, a.region, a.verbose).start()
    for b in a.bucket:
        aws.create_bucket(b)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(aws.url, flush=True)
    while not stop.wait(3600):
        pass
    aws.stop()
    return 0


# The services use the definitions above (imported last: they import this).
import aws_standin_cfn  # noqa: E402
import aws_standin_lambda  # noqa: E402
import aws_standin_s3  # noqa: E402
import aws_standin_logs  # noqa: E402

if __name__ == "__main__":
    # through the module, so that the services see the same classes
    import aws_standin
    sys.exit(aws_standin.main(sys.argv[1:]))
