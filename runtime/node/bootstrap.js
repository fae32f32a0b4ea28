'use strict';
// lamb's Node.js runtime (nodejs18.x ... nodejs24.x), run as `node bootstrap.js` with the code
// dir as cwd. It loads the handler named by _HANDLER (CommonJS through require(), ES modules
// through import()), then loops on the Runtime API over one keep-alive connection: GET /next,
// call the handler (promise or callback), POST /response or /error with the next GET /next
// behind it in the same write.
// Node built-ins only, and deliberately not the http module: its client (agent bookkeeping,
// a setsockopt per request, ClientRequest and IncomingMessage objects) measured 250 us median
// and 2 ms p90 per warm invocation here, against 70 us and 150 us for the small HTTP/1.1
// client below on a net.Socket.
// A streamified handler's response goes out in the Runtime API's streaming mode, on a connection
// of its own: each write is a chunk as it is written, an error after the first write goes in the
// trailers.

const net = require('net');
const fs = require('fs');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const PREFIX = '/2018-06-01/runtime';
const env = process.env;

// ---- the Runtime API client ------------------------------------------------------------

function parseAddress(address) {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1',
           port: Number(address.slice(colon + 1)) };
}

// The response headers the shim reads, in one fixed shape: storing every header under its own
// name (a fresh string each time) cost more than the rest of the parse together. Others are
// not kept.
class Headers {
  constructor() {
    this.connection = undefined;
    this['transfer-encoding'] = undefined;
    this['content-length'] = undefined;
    this['lambda-runtime-aws-request-id'] = undefined;
    this['lambda-runtime-deadline-ms'] = undefined;
    this['lambda-runtime-invoked-function-arn'] = undefined;
    this['lambda-runtime-trace-id'] = undefined;
    this['lambda-runtime-client-context'] = undefined;
    this['lambda-runtime-cognito-identity'] = undefined;
    this['lambda-runtime-aws-tenant-id'] = undefined;
  }
}

function setHeader(headers, name, value) { // name lower-cased; a repeated header's last value wins
  switch (name) {
    case 'connection': headers.connection = value; break;
    case 'transfer-encoding': headers['transfer-encoding'] = value; break;
    case 'content-length': headers['content-length'] = value; break;
    case 'lambda-runtime-aws-request-id': headers['lambda-runtime-aws-request-id'] = value; break;
    case 'lambda-runtime-deadline-ms': headers['lambda-runtime-deadline-ms'] = value; break;
    case 'lambda-runtime-invoked-function-arn': headers['lambda-runtime-invoked-function-arn'] = value; break;
    case 'lambda-runtime-trace-id': headers['lambda-runtime-trace-id'] = value; break;
    case 'lambda-runtime-client-context': headers['lambda-runtime-client-context'] = value; break;
    case 'lambda-runtime-cognito-identity': headers['lambda-runtime-cognito-identity'] = value; break;
    case 'lambda-runtime-aws-tenant-id': headers['lambda-runtime-aws-tenant-id'] = value; break;
    default: break;
  }
}

// An answer's head (status line and headers, without the empty line that ends it).
function parseHead(head) {
  let eol = head.indexOf('\r\n');
  if (eol < 0) eol = head.length;
  const first = head.slice(0, eol);
  const headers = new Headers();
  while (eol < head.length) {
    const start = eol + 2;
    eol = head.indexOf('\r\n', start);
    if (eol < 0) eol = head.length;
    const colon = head.indexOf(':', start);
    if (colon >= 0 && colon < eol) {
      setHeader(headers, head.slice(start, colon).trim().toLowerCase(), head.slice(colon + 1, eol).trim());
    } else { // no colon: the line less its last character is the name, the line the value
      setHeader(headers, head.slice(start, eol - 1).trim().toLowerCase(), head.slice(start, eol).trim());
    }
  }
  return { status: Number(first.split(' ')[1]), headers,
           close: (headers.connection !== undefined && /close/i.test(headers.connection)) ||
                  first.startsWith('HTTP/1.0') };
}

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
const READ_BUFFER = Buffer.allocUnsafe(65536);
const noop = () => {};

// One HTTP/1.1 connection. Requests may be pipelined (an answer and the next GET /next in one
// write); answers come in order and settle the queued requests one by one. The socket is
// unref'd whenever no answer is awaited, so it never holds the event loop: that is what lets
// 'beforeExit' tell us that the function's own work has drained (callbackWaitsForEmptyEventLoop).
// Received bytes not yet consumed are this.chunks, less this.at bytes of the first; a read
// usually brings whole answers (the 202 and the next event together), parsed in place.
class RuntimeConnection {
  constructor(address) {
    this.address = address;
    this.target = parseAddress(address);
    this.sock = null;
    this.chunks = [];
    this.length = 0; // bytes in this.chunks not yet consumed
    this.at = 0;
    this.queue = []; // requests sent and not yet answered, oldest first
  }

  connect() {
    // Reads go straight to this callback (no Readable stream and 'data' event in between),
    // into one buffer that is reused: what a read brought is copied out. The tick queued after
    // it stands for the stream's read-ahead tick: what the answer settles (the next invocation,
    // the handler's call) then runs inside process.processTicksAndRejections as it did, a frame
    // of the stack traces in error payloads.
    const received = (n, buffer) => {
      if (this.sock !== sock) return;
      const data = Buffer.allocUnsafe(n);
      buffer.copy(data, 0, 0, n);
      this.chunks.push(data);
      this.length += n;
      if (this.queue.length) this.parse();
      process.nextTick(noop);
    };
    const sock = net.connect({ host: this.target.host, port: this.target.port, noDelay: true,
                               onread: { buffer: READ_BUFFER, callback: received } });
    // A socket we dropped (Connection: close) may report its end after its successor started.
    sock.on('error', (e) => { if (this.sock === sock) this.lost(e); });
    sock.on('close', () => {
      if (this.sock !== sock) return;
      const p = this.queue[0];
      if (p && p.head && p.untilClose) return this.finish(this.take(this.length));
      this.lost(new Error('the Runtime API closed the connection'));
    });
    this.sock = sock;
    this.chunks = [];
    this.length = 0;
    this.at = 0;
  }

  // A request as it goes on the wire: its head, latin1, and its body (a JSON string), UTF-8.
  // An all-ASCII body (the usual JSON) is the same bytes either way and goes in the head's
  // string, so that a request is one string and a write of several one copy.
  encode(method, urlPath, payload, extraHeaders) {
    const head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${this.address}\r\n${extraHeaders || ''}`;
    if (payload === undefined) return { head: head + '\r\n', body: null, resend: false };
    const length = Buffer.byteLength(payload, 'utf8'); // the string's length when all ASCII
    const text = `${head}Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    if (length === payload.length) return { head: text + payload, body: null, resend: false };
    return { head: text, body: Buffer.from(payload, 'utf8'), resend: false };
  }

  // Sends the requests in one write; returns a promise of each one's answer.
  send(requests) {
    if (!this.sock) this.connect();
    const sock = this.sock;
    sock.ref();
    let text = requests[0].head;
    let whole = requests[0].body === null;
    for (let i = 1; i < requests.length && whole; i++) {
      text += requests[i].head;
      whole = requests[i].body === null;
    }
    if (whole) {
      sock.write(text, 'latin1');
    } else {
      sock.cork(); // heads and bodies in one writev
      for (const r of requests) {
        sock.write(r.head, 'latin1');
        if (r.body) sock.write(r.body);
      }
      sock.uncork();
    }
    return requests.map((request) => new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject, head: null, chunked: false, need: undefined,
                        untilClose: false });
    }));
  }

  request(method, urlPath, payload, extraHeaders) {
    return this.send([this.encode(method, urlPath, payload, extraHeaders)])[0];
  }

  // POSTs an answer with GET /next behind it (HTTP/1.1 pipelining: lamb's Runtime API then
  // sends the 202 and the next event together, a write and a wake-up fewer on each side).
  // Resolves with the answer to the GET; the POST's own answer is not looked at, as post()'s
  // callers do not. A server that closes after the POST's answer gets the GET again.
  postNext(urlPath, payload, extraHeaders) {
    const next = this.encode('GET', PREFIX + '/invocation/next');
    next.resend = true;
    const [posted, answer] = this.send([this.encode('POST', PREFIX + urlPath, payload, extraHeaders), next]);
    posted.catch(() => {}); // a failure rejects the GET's promise too
    return answer;
  }

  whole() { // the buffered bytes as one Buffer, from this.at on
    if (this.chunks.length > 1) {
      this.chunks[0] = this.chunks[0].subarray(this.at);
      this.chunks = [Buffer.concat(this.chunks, this.length)];
      this.at = 0;
    }
    return this.chunks.length ? this.chunks[0] : EMPTY;
  }

  take(n) { // the first n buffered bytes
    if (!n) return EMPTY;
    const all = this.whole();
    const bytes = all.subarray(this.at, this.at + n);
    this.length -= n;
    if (this.length) {
      this.at += n;
    } else {
      this.chunks = [];
      this.at = 0;
    }
    return bytes;
  }

  parse() {
    while (this.queue.length && this.length && this.parseOne());
  }

  parseOne() { // true when the oldest request got its whole answer
    const p = this.queue[0];
    if (!p.head) {
      const all = this.whole();
      const end = all.indexOf(CRLF2, this.at);
      if (end < 0) return false;
      p.head = parseHead(all.toString('latin1', this.at, end));
      this.take(end + 4 - this.at);
      const headers = p.head.headers;
      if (headers['transfer-encoding'] !== undefined && /chunked/i.test(headers['transfer-encoding'])) p.chunked = true;
      else if (headers['content-length'] !== undefined) p.need = Number(headers['content-length']);
      else p.untilClose = true;
    }
    if (p.need !== undefined) {
      if (this.length < p.need) return false;
      this.finish(this.take(p.need));
      return true;
    }
    if (p.chunked) {
      const body = this.dechunk();
      if (!body) return false;
      this.finish(body);
      return true;
    }
    return false;
  }

  dechunk() { // the whole chunked body once it has all arrived (rare here), else null
    const all = this.whole();
    const parts = [];
    let at = this.at;
    for (;;) {
      const eol = all.indexOf('\r\n', at);
      if (eol < 0) return null;
      const size = parseInt(all.toString('latin1', at, eol), 16);
      if (size === 0) { // then trailers, if any, and an empty line
        const end = all.indexOf('\r\n\r\n', eol);
        if (end < 0) return null;
        const body = Buffer.concat(parts); // before take() lets go of the bytes
        this.take(end + 4 - this.at);
        return body;
      }
      if (all.length < eol + 2 + size + 2) return null;
      parts.push(all.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }

  finish(body) {
    const p = this.queue.shift();
    if (p.head.close || p.untilClose) {
      if (this.sock) this.sock.destroy();
      this.sock = null;
      this.resend(); // requests pipelined behind this answer were dropped with the connection
    } else if (this.sock && !this.queue.length) {
      this.sock.unref();
    }
    p.resolve({ status: p.head.status, headers: p.head.headers, body });
  }

  // The connection ended. A request pipelined behind an answer that came whole is sent again
  // on a new connection (once); anything else waiting fails.
  lost(error) {
    if (this.sock) this.sock.destroy();
    this.sock = null;
    const p = this.queue[0];
    if (p && p.request.resend && !p.head && !this.length) return this.resend();
    this.fail(error);
  }

  resend() {
    const waiting = this.queue;
    if (!waiting.length) return;
    this.queue = [];
    this.chunks = [];
    this.length = 0;
    this.at = 0;
    for (const p of waiting) p.request.resend = false;
    this.send(waiting.map((p) => p.request)).forEach((promise, i) => {
      promise.then(waiting[i].resolve, waiting[i].reject);
    });
  }

  fail(error) {
    const waiting = this.queue;
    this.queue = [];
    if (this.sock) this.sock.destroy();
    this.sock = null;
    for (const p of waiting) p.reject(error);
  }
}

const client = new RuntimeConnection(env.AWS_LAMBDA_RUNTIME_API || '');

function errorHeader(errorType) {
  return errorType ? `Lambda-Runtime-Function-Error-Type: ${errorType}\r\n` : '';
}

function post(urlPath, payload, errorType) {
  return client.request('POST', PREFIX + urlPath, payload, errorHeader(errorType));
}

// Posts an invocation's answer; resolves with the next invocation.
function postNext(urlPath, payload, errorType) {
  return client.postNext(urlPath, payload, errorHeader(errorType));
}

function fatal(message) {
  process.stderr.write(`lamb node runtime: ${message}\n`);
  process.exit(1);
}

// ---- logging -----------------------------------------------------------------------------

let currentRequestId = undefined;
let currentTenantId = undefined; // set by makeContext, where the header is read anyway

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const jsonLogs = (env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
// Lambda filters by level in JSON format, where the level defaults to INFO.
const minLevel = LEVELS[(env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || (jsonLogs ? LEVELS.INFO : 0);

// One log record: TIMESTAMP<tab>REQUEST_ID<tab>LEVEL<tab>message as Lambda prints console.*,
// or one JSON object a line under AWS_LAMBDA_LOG_FORMAT=JSON (LoggingConfig LogFormat: JSON).
function logRecord(level, args) {
  if (LEVELS[level] < minLevel) return;
  const timestamp = new Date().toISOString();
  // One record a line, its own newlines as \r, as AWS's client writes it (LogPatch.js).
  const line = jsonLogs ? jsonRecord(timestamp, level, args)
    : `${timestamp}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

// As AWS's client formats JSON (formatter.ts): a lone argument is the message as it is (an
// object stays an object, an Error becomes its errorType, errorMessage and stackTrace);
// several are formatted, and the first Error among the others lends its fields to the record.
function jsonRecord(timestamp, level, args) {
  const record = { timestamp, level, requestId: currentRequestId };
  if (currentTenantId) record.tenantId = currentTenantId;
  if (args.length <= 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch (e) {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const error = args.slice(1).find((a) => a instanceof Error);
  if (error) {
    record.errorType = error?.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

function jsonErrorReplacer(key, value) {
  if (!(value instanceof Error)) return value;
  return Object.assign({
    errorType: value?.constructor?.name ?? 'UnknownError',
    errorMessage: value.message,
    stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
  }, value);
}

function patchConsole() {
  const write = (level) => (...args) => logRecord(level, args);
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.fatal = write('FATAL');
  // AWS's client logs console.trace's arguments as any other level's (no stack) in JSON
  console.trace = jsonLogs ? write('TRACE') : (...args) => {
    const e = { name: 'Trace', message: util.format(...args) };
    Error.captureStackTrace(e, console.trace);
    logRecord('TRACE', [e.stack]);
  };
}

// An error the runtime reports (init, invoke, uncaught), as Lambda's Node runtime logs it.
// In JSON, AWS's client logs the error alone (console.error(error)): the message is the
// error's errorType, errorMessage and stackTrace.
function logError(what, body) {
  logRecord('ERROR', jsonLogs ? [{ errorType: body.errorType, errorMessage: body.errorMessage,
                                   stackTrace: body.trace }]
    : [`${what} \t${JSON.stringify(body)}`]);
}

// ---- errors ------------------------------------------------------------------------------

function errorBody(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message,
             trace: String(error.stack || '').split('\n') };
  }
  const message = typeof error === 'string' ? error
    : error === undefined ? 'undefined' : safeStringify(error);
  return { errorType: typeof error, errorMessage: message, trace: [] };
}

function safeStringify(value) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    return String(value);
  }
}

class NodeJsExit extends Error {
  constructor() {
    super('The Lambda runtime client detected an unexpected Node.js exit code. This is most ' +
      'commonly caused by a Promise that was never settled. For more information, see ' +
      'https://nodejs.org/docs/latest/api/process.html#exit-codes');
    this.name = 'Runtime.NodeJsExit';
  }
}

// As AWS's client decides it: an async function, by its constructor's name.
function isAsync(handler) {
  return Boolean(handler && handler.constructor && handler.constructor.name === 'AsyncFunction');
}

// As AWS's client reports a rejection nobody handled, in init and in an invocation alike
// (Errors.js): its own error, the reason as a string for the message ("Error: boom").
class UnhandledPromiseRejection extends Error {
  constructor(reason) {
    let message;
    try {
      message = String(reason);
    } catch (e) { // a Symbol, an object whose toString throws
      message = safeStringify(reason);
    }
    super(message);
    this.name = 'Runtime.UnhandledPromiseRejection';
  }
}

class InitError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

let initFailed = false;

function postInitError(error, code = 1) {
  initFailed = true;
  const body = errorBody(error);
  logError('Init Error', body);
  const done = () => process.exit(code);
  post('/init/error', JSON.stringify(body), body.errorType).then(done, done);
}

// ---- loading the handler -----------------------------------------------------------------

// 'dir/file.a.b' -> module 'dir/file', property path ['a', 'b'] (as AWS's runtime splits it)
function splitHandler(spec) {
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (dot < 0 || dot === spec.length - 1) throw new InitError('Runtime.MalformedHandlerName', 'Bad handler');
  return { module: spec.slice(0, dot), names: spec.slice(dot + 1).split('.') };
}

function nearestPackageType(dir) {
  for (;;) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type;
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') return undefined;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

async function loadModule(root, name) {
  const base = path.resolve(root, name);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    const esm = ext === '.mjs' || (ext === '.js' && nearestPackageType(path.dirname(file)) === 'module');
    return esm ? import(pathToFileURL(file).href) : require(file);
  }
  // Not a file of the code dir: a package (node_modules, NODE_PATH), as AWS's runtime allows.
  try {
    return require(require.resolve(name, { paths: [root] }));
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(`'${name}'`)) throw e;
  }
  const error = new Error(`Cannot find module '${name}'\nRequire stack:\n- ${__filename}`);
  error.code = 'MODULE_NOT_FOUND';
  throw error;
}

// Lambda's nodejs24.x refuses handlers that declare a callback parameter (whether or not they
// also return a promise); the older runtimes warn at init.
const CALLBACK_DOCS = 'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

function checkCallbackHandler() {
  const runtime = /nodejs(\d+)/.exec(env.AWS_EXECUTION_ENV || '');
  if (runtime && Number(runtime[1]) >= 24) {
    throw new InitError('Runtime.CallbackHandlerDeprecated',
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting ' +
      'with Node.js 24. You need to modify this function to use a supported handler ' +
      `signature to use Node.js 24 or later. ${CALLBACK_DOCS}`);
  }
  if (env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING) return;
  console.warn('WARN: AWS Lambda has removed support for callback-based function handlers ' +
    'starting with Node.js 24. You will need to modify this function to use a supported ' +
    'handler signature when upgrading to Node.js 24 or later. To disable this warning, set ' +
    `the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable. ${CALLBACK_DOCS}`);
}

async function loadHandler(root, spec) {
  const { module, names } = splitHandler(spec);
  let value;
  try {
    value = await loadModule(root, module);
  } catch (e) {
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new InitError('Runtime.ImportModuleError', `${e.name}: ${e.message}`);
    }
    if (e instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    }
    throw e;
  }
  for (const name of names) value = value == null ? undefined : value[name];
  if (value === undefined) {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  if (typeof value !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is not a function`);
  }
  if (value.length >= 3 && !value[STREAMING]) checkCallbackHandler(); // (event, stream, context)
  return value;
}

// ---- invocations -------------------------------------------------------------------------

const fnEnv = {
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
};

function parseJSONHeader(value) {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    return undefined;
  }
}

function makeContext(headers, answer) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']) || 0;
  const cognito = parseJSONHeader(headers['lambda-runtime-cognito-identity']);
  currentTenantId = headers['lambda-runtime-aws-tenant-id'];
  return {
    callbackWaitsForEmptyEventLoop: true,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    ...fnEnv,
    identity: cognito && { cognitoIdentityId: cognito.cognitoIdentityId,
                           cognitoIdentityPoolId: cognito.cognitoIdentityPoolId },
    clientContext: parseJSONHeader(headers['lambda-runtime-client-context']),
    tenantId: currentTenantId,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    // The pre-Node-8 API, still honoured by Lambda.
    succeed: (result) => answer(null, result, true),
    fail: (error) => answer(error == null ? '' : error, undefined, true),
    done: (error, result) => answer(error, result, true),
  };
}

// What to do when the event loop drains during the current invocation, or null: one
// 'beforeExit' listener for the life of the process (as AWS's client has), not one added and
// removed per invocation.
let onBeforeExit = null;
process.on('beforeExit', () => {
  const f = onBeforeExit;
  onBeforeExit = null;
  if (f) f();
});

// Runs one invocation; resolves with the next one once its answer has been posted.
function invoke(handler, inv) {
  return new Promise((resolve) => {
    const id = inv.headers['lambda-runtime-aws-request-id'];
    let answered = false;
    let context;
    const send = (error, result) => {
      let urlPath;
      let payload;
      let errorType;
      if (error == null) {
        try {
          payload = JSON.stringify(result === undefined ? null : result);
          if (payload === undefined) payload = 'null'; // a function or a symbol
          urlPath = `/invocation/${id}/response`;
        } catch (e) {
          error = e;
          error.name = 'Runtime.MarshalError';
        }
      }
      if (error != null) {
        const body = errorBody(error);
        logError('Invoke Error', body);
        payload = JSON.stringify(body);
        errorType = body.errorType;
        urlPath = `/invocation/${id}/error`;
      }
      postNext(urlPath, payload, errorType).then(resolve, (e) => fatal(`POST ${urlPath}: ${e.message}`));
    };
    // callback(error, result): waits for the event loop to drain unless told not to.
    const answer = (error, result, immediately) => {
      if (answered) return;
      answered = true;
      if (immediately || !context.callbackWaitsForEmptyEventLoop) {
        onBeforeExit = null;
        send(error, result);
      } else {
        onBeforeExit = () => send(error, result);
      }
    };
    // The loop drained and nobody answered: a synchronous handler that returned, which Lambda
    // reports as a null response.
    const onEmpty = () => answer(null, null, true);
    // The loop drained under an async handler whose promise never settled: AWS's client
    // fails the invocation with Runtime.NodeJsExit (Runtime.js, _setDefaultExitListener).
    const onNeverSettled = () => answer(new NodeJsExit(), undefined, true);
    context = makeContext(inv.headers, answer);
    let event;
    try {
      event = JSON.parse(inv.body.toString('utf8'));
    } catch (e) {
      e.name = 'Runtime.UnmarshalError';
      return answer(e, undefined, true);
    }
    if (handler[STREAMING] === 'response') {
      answered = true; // the stream answers; answer() only for an error before its first byte
      const early = (error) => { answered = false; answer(error, undefined, true); };
      return invokeStreaming(handler, event, context, early, resolve);
    }
    let returned;
    try {
      returned = handler(event, context, (error, result) => answer(error, result, false));
    } catch (e) {
      return answer(e, undefined, true);
    }
    if (returned && typeof returned.then === 'function') {
      returned.then((result) => answer(null, result, true), (e) => answer(e === undefined ? new Error('undefined') : e, undefined, true));
    }
    if (!answered) onBeforeExit = isAsync(handler) ? onNeverSettled : onEmpty;
  });
}

// A streamified handler, handler(event, responseStream, context): its response is POSTed in
// streaming mode (Lambda-Runtime-Function-Response-Mode: streaming, chunked), each write a chunk
// sent as it is written, on a connection of its own (Connection: close) so that the keep-alive
// one stays free for /next. The head goes with the first write, once setContentType has had its
// chance; HttpResponseStream's prelude and its 8 NUL bytes come before the first byte. An error
// before that is an ordinary /error; after it, the error trailers end the stream (as AWS's
// client's ResponseStream.js does). Socket writes wait for the socket, so Lambda's pacing past
// 6 MB holds the handler's writes back.
function invokeStreaming(handler, event, context, answer, settled) {
  const { Writable } = require('stream');
  const id = context.awsRequestId;
  let sock = null;
  let closed = null;
  let ended = false;
  const open = () => {
    if (sock) return;
    const target = parseAddress(env.AWS_LAMBDA_RUNTIME_API);
    sock = net.connect({ host: target.host, port: target.port, noDelay: true });
    sock.on('error', () => {});
    closed = new Promise((resolve) => sock.on('close', resolve));
    sock.resume(); // the 202 is not looked at
    sock.write(`POST ${PREFIX}/invocation/${id}/response HTTP/1.1\r\nHost: ${env.AWS_LAMBDA_RUNTIME_API}\r\n` +
      `Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n` +
      `Content-Type: ${stream.contentType || 'application/octet-stream'}\r\n` +
      'Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n' +
      'Connection: close\r\n\r\n', 'latin1');
    if (stream.prelude !== undefined) chunk(Buffer.concat([Buffer.from(stream.prelude), Buffer.alloc(8)]));
  };
  const chunk = (buf, done) => {
    if (!buf.length) return done && done();
    sock.write(`${buf.length.toString(16)}\r\n`, 'latin1');
    sock.write(buf);
    sock.write('\r\n', 'latin1', done);
  };
  const end = (trailers) => {
    if (ended) return;
    ended = true;
    sock.end(`0\r\n${trailers}\r\n`, 'latin1');
    closed.then(() => settled(client.request('GET', PREFIX + '/invocation/next')));
  };
  const fail = (error) => {
    if (ended) return;
    if (!sock) { ended = true; return answer(error, undefined, true); } // nothing sent: an /error
    const body = errorBody(error);
    logError('Invoke Error', body);
    end(`Lambda-Runtime-Function-Error-Type: ${body.errorType}\r\n` +
        `Lambda-Runtime-Function-Error-Body: ${Buffer.from(JSON.stringify(body)).toString('base64')}\r\n`);
  };
  const hwm = handler[Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark')];
  const stream = new Writable({
    ...(typeof hwm === 'number' ? { highWaterMark: hwm } : {}),
    write(data, encoding, done) {
      open();
      chunk(Buffer.isBuffer(data) ? data : Buffer.from(data, encoding), done);
    },
    final(done) {
      open();
      end('');
      done();
    },
  });
  stream.setContentType = (type) => { stream.contentType = type; };
  stream.on('error', fail);
  try {
    const returned = handler(event, stream, context);
    // a handler that returns without ending its stream has ended it, as far as Lambda cares
    const settle = () => { if (!stream.writableEnded && !ended) stream.end(); };
    if (returned && typeof returned.then === 'function') returned.then(settle, fail);
  } catch (e) {
    fail(e);
  }
}

async function loop(handler) {
  let inv = await client.request('GET', PREFIX + '/invocation/next');
  for (;;) {
    if (inv.status !== 200) fatal(`GET /invocation/next answered ${inv.status}: ${inv.body}`);
    currentRequestId = inv.headers['lambda-runtime-aws-request-id'];
    const trace = inv.headers['lambda-runtime-trace-id'];
    if (trace) env._X_AMZN_TRACE_ID = trace;
    else delete env._X_AMZN_TRACE_ID;
    inv = await invoke(handler, inv);
  }
}

// An error nobody caught fails the current invocation (or init), then the instance exits,
// as Lambda's Node runtime does.
// Exit codes as AWS's client's: 129 after an uncaught exception, 128 after an unhandled
// rejection (index.mjs, Runtime.js).
function onUncaught(error, code = 129) {
  if (currentRequestId === undefined) return postInitError(error, code);
  const body = errorBody(error);
  logError(code === 128 ? 'Unhandled Promise Rejection' : 'Uncaught Exception', body);
  const die = () => process.exit(code);
  post(`/invocation/${currentRequestId}/error`, JSON.stringify(body), body.errorType).then(die, die);
}

// ---- the function's world ----------------------------------------------------------------

// Module paths as Lambda's: NODE_PATH (lamb sets Lambda's, or its default here) and nothing
// of the host's global folders ($HOME/.node_modules, <prefix>/lib/node), which Node adds.
function modulePaths() {
  const major = process.versions.node.split('.')[0];
  if (!env.NODE_PATH) {
    env.NODE_PATH = [`/opt/nodejs/node${major}/node_modules`, '/opt/nodejs/node_modules',
                     env.LAMBDA_TASK_ROOT || process.cwd()].join(':');
  }
  const Module = require('module');
  if (typeof Module._initPaths !== 'function') return;
  const execPath = process.execPath;
  const home = env.HOME;
  delete env.HOME;
  try {
    // _initPaths derives <prefix>/lib/node from execPath: point it nowhere for the call
    Object.defineProperty(process, 'execPath', { value: '/nonexistent/bin/node', configurable: true, writable: true });
    Module._initPaths();
  } finally {
    Object.defineProperty(process, 'execPath', { value: execPath, configurable: true, writable: true });
    if (home !== undefined) env.HOME = home;
  }
  const nowhere = Module.globalPaths.indexOf('/nonexistent/lib/node');
  if (nowhere >= 0) Module.globalPaths.splice(nowhere, 1);
  sdkFromHost(Module);
}

// The Node.js runtimes include the AWS SDK v3 (@aws-sdk/*): a require of one that the
// function and its layers lack is looked up in the host's global node_modules, and nothing
// else is.
function sdkFromHost(Module) {
  const global = path.join(path.dirname(path.dirname(fs.realpathSync(process.execPath))), 'lib', 'node_modules');
  if (!fs.existsSync(path.join(global, '@aws-sdk'))) return;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    try {
      return resolve.call(this, request, parent, ...rest);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND' || !request.startsWith('@aws-sdk/')) throw e;
      return resolve.call(this, request, parent, false, { paths: [global] });
    }
  };
}

// globalThis.awslambda as AWS's client defines it before loading the handler
// (UserFunction.js): streamifyResponse marks a handler for invokeStreaming.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType('application/vnd.awslambda.http-integration-response');
    stream.prelude = JSON.stringify(prelude);
    return stream;
  }
}

function defineAwslambda() {
  globalThis.awslambda = {
    streamifyResponse: (handler, options) => {
      handler[STREAMING] = 'response';
      if (typeof (options && options.highWaterMark) === 'number') {
        handler[Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark')] = options.highWaterMark;
      }
      return handler;
    },
    HttpResponseStream,
  };
}

async function main() {
  if (!env.AWS_LAMBDA_RUNTIME_API) fatal('AWS_LAMBDA_RUNTIME_API is not set');
  patchConsole();
  modulePaths();
  defineAwslambda();
  process.on('uncaughtException', (error) => onUncaught(error, 129));
  process.on('unhandledRejection', (reason) => onUncaught(new UnhandledPromiseRejection(reason), 128));
  let handler;
  try {
    handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER || '');
  } catch (e) {
    return postInitError(e);
  }
  // A promise the module rejected at load and nobody handled is reported at the end of the
  // turn, after this continuation's microtasks: one macrotask's wait lets that be init's
  // error, before any /next, rather than a race with the first invocation.
  await new Promise((resolve) => setImmediate(resolve));
  if (initFailed) return;
  loop(handler).catch((e) => fatal(`Runtime API at ${env.AWS_LAMBDA_RUNTIME_API}: ${e.message}`));
}

main();
