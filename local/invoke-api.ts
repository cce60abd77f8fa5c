/**
 * Lambda's Invoke API on 127.0.0.1, as the runtime interface emulator of a Lambda container
 * image serves it (`docker run -p 8080:8080 <image>`), so that what calls a container calls the
 * local function the same way: the course's `requests.post(...)`, `curl`, and
 * `aws lambda invoke --endpoint-url`.
 *
 *   POST /2015-03-31/functions/function/invocations          (the emulator's name for its one function)
 *   POST /2015-03-31/functions/<function name or ARN>/invocations
 *
 * The answer is the emulator's: status 200 and the handler's return value as JSON; a handler
 * that throws gives status 200 and `{"errorType", "errorMessage", "trace"}`, the shape the
 * Node.js runtime reports. The headers are Lambda's own, which the emulator leaves out
 * (`X-Amz-Function-Error: Unhandled` on an error, aws-lambda-runtime-interface-emulator issue
 * 20): the AWS CLI and SDKs read them to tell an error from a result. As Lambda's API does, it
 * takes `X-Amz-Invocation-Type` (RequestResponse, Event: 202 and run in the background,
 * DryRun: 204), refuses a payload over 6 MB, or one that is not JSON, and answers an unknown
 * function with ResourceNotFoundException.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { close, listen, readBody } from './http';
import { DEFAULT_FUNCTION_TIMEOUT_MS, invokeWithTimeout, LOCAL_FUNCTION_NAME, localFunctionArn, TaskTimedOut } from './invocation';

/** The runtime interface emulator's port in the course's `docker run -p 8080:8080`. */
export const DEFAULT_INVOKE_PORT = 8080;

/** Lambda's limit on a synchronous invocation's payload. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

const INVOCATIONS_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface InvokeApiOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The function, with the parsed payload and a Lambda context. */
  handler: (event: unknown, context: Context) => Promise<unknown>;
  functionName?: string;
  /** The function's timeout; an invocation that outlasts it fails as Lambda's does. */
  timeoutMs?: number;
  /** Where an Event (asynchronous) invocation's error is reported, as nobody waits for it. */
  onAsyncError?: (error: Error) => void;
}

export interface InvokeApi {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** The URL the course posts to: the endpoint and /2015-03-31/functions/function/invocations. */
  url: string;
  stop(): Promise<void>;
}

/** What the Lambda runtime for Node.js reports for a handler's error. */
export function functionError(error: unknown, requestId: string): { errorType: string; errorMessage: string; trace?: string[] } {
  if (error instanceof TaskTimedOut)
    return { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${error.message}` };
  if (!(error instanceof Error)) return { errorType: 'Error', errorMessage: String(error) };
  return { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') };
}

/**
 * Serves the Invoke API for one function until stop().
 *
 * @example
 * ```typescript
 * import { startInvokeApi } from './invoke-api';
 *
 * const api = await startInvokeApi({ port: 8080, handler: (event, context) => service.handle(event as KinesisStreamEvent, context) });
 * // curl -XPOST http://127.0.0.1:8080/2015-03-31/functions/function/invocations -d @events/ride.json
 * await api.stop();
 * ```
 */
export async function startInvokeApi(options: InvokeApiOptions): Promise<InvokeApi> {
  const functionName = options.functionName ?? LOCAL_FUNCTION_NAME;
  const names = new Set(['function', functionName, localFunctionArn(functionName)]);
  const timeoutMs = options.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const onAsyncError = options.onAsyncError ?? ((error) => console.error(`invoke API: an Event invocation failed: ${error.message}`));

  const invoke = async (event: unknown) => {
    let requestId = '';
    try {
      const result = await invokeWithTimeout(
        (context) => {
          requestId = context.awsRequestId;
          return options.handler(event, context);
        },
        { functionName, timeoutMs },
      );
      return { requestId, body: JSON.stringify(result ?? null) };
    } catch (error) {
      return { requestId, body: JSON.stringify(functionError(error, requestId)), failed: true };
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const match = INVOCATIONS_PATH.exec(url.pathname);
    if (!match) return reply(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, '404 page not found\n');
    if (req.method !== 'POST') return reply(res, 405, { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' }, 'POST only\n');
    const { name, qualifier = url.searchParams.get('Qualifier') ?? '$LATEST' } = splitQualifier(decodeURIComponent(match[1]));
    if (!names.has(name) || qualifier !== '$LATEST') {
      const arn = name.startsWith('arn:') ? name : localFunctionArn(name);
      return apiError(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}${qualifier === '$LATEST' ? '' : `:${qualifier}`}`);
    }
    const payload = await readBody(req);
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return apiError(
        res,
        413,
        'RequestEntityTooLargeException',
        `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    let event: unknown;
    try {
      // No payload is an empty object, as Lambda passes it.
      event = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
    } catch (error) {
      return apiError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') return reply(res, 204, {}, '');
    if (type === 'Event') {
      void invoke(event).then((outcome) => outcome.failed && onAsyncError(new Error(outcome.body)));
      return reply(res, 202, {}, '');
    }
    if (type !== 'RequestResponse') {
      return apiError(res, 400, 'InvalidParameterValueException', `Unsupported invocation type ${JSON.stringify(type)}`);
    }
    const outcome = await invoke(event);
    reply(
      res,
      200,
      {
        'content-type': 'application/json',
        'x-amzn-requestid': outcome.requestId,
        'x-amz-executed-version': '$LATEST',
        ...(outcome.failed && { 'x-amz-function-error': 'Unhandled' }),
      },
      outcome.body,
    );
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: Error) => {
      if (!res.headersSent) apiError(res, 500, 'ServiceException', error.message);
    });
  });
  const endpoint = await listen(server, options.port ?? 0);
  return { endpoint, url: `${endpoint}/2015-03-31/functions/function/invocations`, stop: () => close(server) };
}

/** A function name or ARN, and the version or alias after it (`name:1`, `arn:...:function:name:live`). */
function splitQualifier(nameOrArn: string): { name: string; qualifier?: string } {
  const parts = nameOrArn.split(':');
  const nameParts = nameOrArn.startsWith('arn:') ? 7 : 1;
  return { name: parts.slice(0, nameParts).join(':'), qualifier: parts.length > nameParts ? parts.slice(nameParts).join(':') : undefined };
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** An error of Lambda's API itself (not of the function), as the AWS CLI and SDKs parse them. */
function apiError(res: ServerResponse, status: number, type: string, message: string) {
  reply(
    res,
    status,
    { 'content-type': 'application/json', 'x-amzn-errortype': type },
    JSON.stringify({ Type: status < 500 ? 'User' : 'Service', message }),
  );
}
