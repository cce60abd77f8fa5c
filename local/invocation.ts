/**
 * One invocation of the function on this machine, as Lambda makes it: a context whose
 * remaining time counts down the function's timeout, and a "Task timed out" failure when the
 * handler outlasts it. The local event source mapping, the local invoke API and
 * `npm run invoke` all invoke this way.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { RESOURCE_NAMES } from '../lambda/src/names';
import { DEFAULTS } from '../lib/stack-defaults';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './environment';

/** The local function's name: the stack's, without a stage. */
export const LOCAL_FUNCTION_NAME = RESOURCE_NAMES.function;

/** The stack's function timeout. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = DEFAULTS.timeoutSeconds * 1000;

/** The ARN of a local function. */
export const localFunctionArn = (functionName: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;

/** A Lambda context for one invocation, its remaining time counting down from the timeout. */
export function invocationContext(functionName: string = LOCAL_FUNCTION_NAME, timeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS): Context {
  const deadline = Date.now() + timeoutMs;
  const noop = () => {};
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: String(DEFAULTS.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

/** What Lambda reports when an invocation outlasts the function's timeout. */
export class TaskTimedOut extends Error {
  override name = 'TaskTimedOut';
  constructor(timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/**
 * Invokes the handler with a fresh context, failing with TaskTimedOut when it outlasts the
 * timeout. Its work is not stopped, as Lambda would stop it: what it still writes lands.
 *
 * @example
 * ```typescript
 * import { invokeWithTimeout } from './invocation';
 *
 * const result = await invokeWithTimeout((context) => service.handle(event, context), { timeoutMs: 60_000 });
 * ```
 */
export async function invokeWithTimeout<T>(
  handler: (context: Context) => Promise<T>,
  {
    functionName = LOCAL_FUNCTION_NAME as string,
    timeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS,
  }: { functionName?: string; timeoutMs?: number } = {},
): Promise<T> {
  const context = invocationContext(functionName, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TaskTimedOut(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([handler(context), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
