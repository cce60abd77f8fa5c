/**
 * What to say when a local stack cannot listen on a port: one line naming the port, and
 * whether a local stack is what holds it (a second `npm run local`) or another program.
 */
import { RESOURCE_NAMES } from '../lambda/src/names';

/** The services of a local stack, by the name a person knows them by, and the flag that moves each. */
export const LOCAL_SERVICES = {
  kinesis: { label: 'Kinesis', flag: '--kinesis-port' },
  s3: { label: 'S3', flag: '--s3-port' },
  sqs: { label: 'SQS', flag: '--sqs-port' },
  invoke: { label: 'the invoke API', flag: '--invoke-port' },
} as const;

export type LocalService = keyof typeof LOCAL_SERVICES;

/** Whether the local SQS server of a local stack answers there: its journal of the dead-letter queue. */
export async function localStackAnswers(sqsEndpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${sqsEndpoint}/_local/queues/${RESOURCE_NAMES.deadLetterQueue}/messages?after=0`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The line for an EADDRINUSE error of a local stack started on `ports`; undefined for any other error.
 *
 * @example
 * ```typescript
 * import { explainPortInUse } from './port-in-use';
 *
 * await explainPortInUse(error, { kinesis: 4567, s3: 4568, sqs: 9324, invoke: 8080 });
 * // 'port 4567 (Kinesis) is in use: a local stack is already running (its SQS server answers at http://127.0.0.1:9324); ...'
 * ```
 */
export async function explainPortInUse(error: unknown, ports: Record<LocalService, number>): Promise<string | undefined> {
  const { code, port } = error as { code?: string; port?: number };
  if (code !== 'EADDRINUSE') return undefined;
  const service = (Object.keys(LOCAL_SERVICES) as LocalService[]).find((name) => ports[name] === port);
  const what = service === undefined ? `port ${port}` : `port ${port} (${LOCAL_SERVICES[service].label})`;
  const sqs = `http://127.0.0.1:${ports.sqs}`;
  if (ports.sqs !== 0 && (await localStackAnswers(sqs))) {
    return `${what} is in use: a local stack is already running (its SQS server answers at ${sqs}). Use that one, or stop it (Ctrl-C where it runs) and start again.`;
  }
  const move = service === undefined ? '' : `, or choose another port with ${LOCAL_SERVICES[service].flag} <port>`;
  return `${what} is in use by another program, not a local stack: stop that program${move}.`;
}
