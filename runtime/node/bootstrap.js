'use strict';
// lamb's Node.js runtime (nodejs18.x ... nodejs24.x), run as `node bootstrap.js` with the code
// dir as cwd. It loads the handler named by _HANDLER (CommonJS through require(), ES modules
// through import()), then loops on the Runtime API over one keep-alive connection: GET /next,
// call the handler (promise or callback), POST /response or /error.
// Node built-ins only. Not done here: response streaming, AWS_LAMBDA_LOG_FORMAT=JSON.

const http = require('http');
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

const api = parseAddress(env.AWS_LAMBDA_RUNTIME_API || '');
// One socket, kept alive between calls; an idle keep-alive socket does not hold the event loop,
// which is what lets 'beforeExit' tell us the function's own work has drained.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: api.host, port: api.port, method, path: urlPath,
                               headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function post(urlPath, payload, errorType) {
  const body = Buffer.from(payload, 'utf8');
  const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return request('POST', PREFIX + urlPath, body, headers);
}

function fatal(message) {
  process.stderr.write(`lamb node runtime: ${message}\n`);
  process.exit(1);
}

// ---- logging -----------------------------------------------------------------------------

let currentRequestId = undefined;

// console.* as Lambda prints it: TIMESTAMP<tab>REQUEST_ID<tab>LEVEL<tab>message
function patchConsole() {
  const write = (level) => (...args) => {
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t` +
                         `${util.format(...args)}\n`);
  };
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.trace = (...args) => {
    const e = { name: 'Trace', message: util.format(...args) };
    Error.captureStackTrace(e, console.trace);
    write('TRACE')(e.stack);
  };
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

class InitError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

function postInitError(error) {
  const body = errorBody(error);
  console.error(`Init Error \t${JSON.stringify(body)}`);
  const done = () => process.exit(1);
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
  return {
    callbackWaitsForEmptyEventLoop: true,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    ...fnEnv,
    identity: cognito && { cognitoIdentityId: cognito.cognitoIdentityId,
                           cognitoIdentityPoolId: cognito.cognitoIdentityPoolId },
    clientContext: parseJSONHeader(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    // The pre-Node-8 API, still honoured by Lambda.
    succeed: (result) => answer(null, result, true),
    fail: (error) => answer(error == null ? '' : error, undefined, true),
    done: (error, result) => answer(error, result, true),
  };
}

// Runs one invocation; resolves once its answer has been posted.
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
        console.error(`Invoke Error \t${JSON.stringify(body)}`);
        payload = JSON.stringify(body);
        errorType = body.errorType;
        urlPath = `/invocation/${id}/error`;
      }
      post(urlPath, payload, errorType).then(() => resolve(), (e) => fatal(`POST ${urlPath}: ${e.message}`));
    };
    // callback(error, result): waits for the event loop to drain unless told not to.
    const answer = (error, result, immediately) => {
      if (answered) return;
      answered = true;
      if (immediately || !context.callbackWaitsForEmptyEventLoop) {
        process.removeListener('beforeExit', onEmpty);
        send(error, result);
      } else {
        process.removeListener('beforeExit', onEmpty);
        process.once('beforeExit', () => send(error, result));
      }
    };
    // The loop drained and nobody answered: a synchronous handler that returned, which Lambda
    // reports as a null response.
    const onEmpty = () => answer(null, null, true);
    context = makeContext(inv.headers, answer);
    let event;
    try {
      event = JSON.parse(inv.body.toString('utf8'));
    } catch (e) {
      e.name = 'Runtime.UnmarshalError';
      return answer(e, undefined, true);
    }
    let returned;
    try {
      returned = handler(event, context, (error, result) => answer(error, result, false));
    } catch (e) {
      return answer(e, undefined, true);
    }
    if (returned && typeof returned.then === 'function') {
      returned.then((result) => answer(null, result, true), (e) => answer(e === undefined ? new Error('undefined') : e, undefined, true));
    } else if (!answered) {
      process.once('beforeExit', onEmpty);
    }
  });
}

async function loop(handler) {
  for (;;) {
    const inv = await request('GET', PREFIX + '/invocation/next');
    if (inv.status !== 200) fatal(`GET /invocation/next answered ${inv.status}: ${inv.body}`);
    currentRequestId = inv.headers['lambda-runtime-aws-request-id'];
    const trace = inv.headers['lambda-runtime-trace-id'];
    if (trace) env._X_AMZN_TRACE_ID = trace;
    else delete env._X_AMZN_TRACE_ID;
    await invoke(handler, inv);
  }
}

// An error nobody caught fails the current invocation (or init), then the instance exits,
// as Lambda's Node runtime does.
function onUncaught(error) {
  if (currentRequestId === undefined) return postInitError(error);
  const body = errorBody(error);
  console.error(`Uncaught Exception \t${JSON.stringify(body)}`);
  const die = () => process.exit(129);
  post(`/invocation/${currentRequestId}/error`, JSON.stringify(body), body.errorType).then(die, die);
}

function defaultNodePath() {
  // Lambda's default NODE_PATH when lamb (or the user) passes none.
  if (env.NODE_PATH) return;
  const major = process.versions.node.split('.')[0];
  env.NODE_PATH = [`/opt/nodejs/node${major}/node_modules`, '/opt/nodejs/node_modules',
                   env.LAMBDA_TASK_ROOT || process.cwd()].join(':');
  const Module = require('module');
  if (typeof Module._initPaths === 'function') Module._initPaths();
}

async function main() {
  if (!env.AWS_LAMBDA_RUNTIME_API) fatal('AWS_LAMBDA_RUNTIME_API is not set');
  patchConsole();
  defaultNodePath();
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (currentRequestId !== undefined) error.name = 'Runtime.UnhandledPromiseRejection';
    onUncaught(error);
  });
  let handler;
  try {
    handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER || '');
  } catch (e) {
    return postInitError(e);
  }
  loop(handler).catch((e) => fatal(`Runtime API at ${env.AWS_LAMBDA_RUNTIME_API}: ${e.message}`));
}

main();
