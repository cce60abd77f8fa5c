/**
 * moto's server (`pip install "moto[server]"`): an emulated AWS account that CloudFormation,
 * the CDK CLI, the AWS CLI and the SDK deploy to and read from, on this machine. Used by
 * `npm run deploy:moto` and the deploy test alike.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { LOCAL_CREDENTIALS, LOCAL_REGION, QUIET_TELEMETRY } from './environment';

/** moto's account: the one every call is made in, whatever the credentials. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = LOCAL_REGION;

/** moto_server's own default port, where `npm run deploy:moto` starts it. */
export const DEFAULT_MOTO_PORT = 5000;

/** The server's command; MOTO_SERVER overrides it. */
const MOTO_SERVER = process.env.MOTO_SERVER ?? 'moto_server';

export interface Moto {
  endpoint: string;
  /** The environment of a child process (the CDK CLI, the AWS CLI, the function) that talks to this server only. */
  env: NodeJS.ProcessEnv;
  /** The last error in the server's log (`KeyError: 'TagKey'`), when this process started it. */
  lastError(): string | undefined;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/** Fails with how to install moto_server when it is not there: the deploy test never passes without it. */
export function checkMotoServer(): void {
  const probe = spawnSync(MOTO_SERVER, ['--help'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`${MOTO_SERVER} is not installed (${probe.error?.message ?? `exit ${probe.status}`}): pip install "moto[server]"`);
  }
}

/**
 * Starts moto_server on "localhost" (moto reads CloudFormation's path-style template URLs only
 * for that host name: on 127.0.0.1, a deploy fails with "bucket does not exist"), on `port`
 * (0: one the system picks), and waits until it listens.
 */
export async function startMoto(port = 0): Promise<Moto> {
  checkMotoServer();
  const server = spawn(MOTO_SERVER, ['-H', 'localhost', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`moto_server did not start in 60 s:\n${output}`)), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      server.kill();
      reject(error);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /Running on http:\/\/localhost:(\d+)/.exec(output)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolve(`http://localhost:${port}`);
      }
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
    server.on('error', fail);
    server.on('exit', (code) => fail(new Error(`moto_server exited with ${code}:\n${output}`)));
  });
  // Its request log is kept only for its last error (moto answers a call it cannot serve with
  // a 500 and logs why); keep reading it so that the pipe never fills.
  let lastError: string | undefined;
  const scan = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/^\w*(Error|Exception)\b.*:/.test(line)) lastError = line.trim();
  };
  server.stdout!.removeAllListeners('data').on('data', scan);
  server.stderr!.removeAllListeners('data').on('data', scan);
  return { endpoint, env: motoEnv(endpoint), lastError: () => lastError, stop: () => stopProcess(server) };
}

/** A moto_server someone else started, at `endpoint` (MOTO_ENDPOINT). */
export function connectMoto(endpoint: string): Moto {
  return { endpoint, env: motoEnv(endpoint), lastError: () => undefined, stop: async () => {} };
}

/** Whether moto answers at the endpoint: its own API's configuration, which no AWS service has. */
export async function motoAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/config`, { signal: AbortSignal.timeout(3_000) });
    return response.ok && 'lambda' in ((await response.json()) as object);
  } catch {
    return false;
  }
}

/** The environment of a child process that talks to moto at the endpoint, and to nothing else. */
export function motoEnv(endpoint: string): NodeJS.ProcessEnv {
  // Nothing of this machine's AWS or CDK configuration: no profile, no real account.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_)/.test(name)));
  return {
    ...inherited,
    ...LOCAL_CREDENTIALS,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    // The SDK's notice in the CDK CLI that its releases after January 2027 need Node.js 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: QUIET_TELEMETRY.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED,
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill();
  });
}
