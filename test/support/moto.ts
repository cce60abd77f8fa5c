/**
 * moto's server (`pip install "moto[server]"`): an emulated AWS account that CloudFormation,
 * the CDK CLI and the SDK deploy to and read from, on a free port of this machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/environment';

/** moto's account: the one every call is made in, whatever the credentials. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = LOCAL_REGION;

/** The server's command; MOTO_SERVER overrides it. */
const MOTO_SERVER = process.env.MOTO_SERVER ?? 'moto_server';

export interface Moto {
  endpoint: string;
  /** The environment of a child process (the CDK CLI, the AWS CLI, the function) that talks to this server only. */
  env: NodeJS.ProcessEnv;
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
 * for that host name), on a port the system picks, and waits until it listens.
 */
export async function startMoto(): Promise<Moto> {
  checkMotoServer();
  const server = spawn(MOTO_SERVER, ['-H', 'localhost', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  // Its request log is of no use here; keep reading it so that the pipe never fills.
  server.stdout!.removeAllListeners('data').resume();
  server.stderr!.removeAllListeners('data').resume();
  return { endpoint, env: motoEnv(endpoint), stop: () => stopProcess(server) };
}

function motoEnv(endpoint: string): NodeJS.ProcessEnv {
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
