/**
 * Which AWS CLI the commands the local tools print should name. They need v2
 * (`--cli-binary-format` is v2's), and on many machines the `aws` first on the PATH is v1 (pip's
 * awscli), with Debian's v2 at /usr/bin/aws.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Debian's AWS CLI v2 (package awscli). */
export const DEBIAN_AWS_CLI = '/usr/bin/aws';

export interface AwsCliChoice {
  /** What to type: `aws`, or `/usr/bin/aws` where `aws` is v1. */
  command: string;
  /** Why it is not plain `aws`, when it is not. */
  note?: string;
}

/** The CLI's major version from `<cli> --version` (`aws-cli/2.9.19 Python/...`), or undefined when it does not run. */
async function majorVersion(cli: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  try {
    const { stdout, stderr } = await promisify(execFile)(cli, ['--version'], { env, encoding: 'utf8', timeout: 15_000 });
    const match = /aws-cli\/(\d+)\./.exec(`${stdout}${stderr}`);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `aws` when the one on the PATH is v2; else Debian's /usr/bin/aws when that is v2; else `aws`
 * with a note saying v2 is needed.
 *
 * @example
 * ```typescript
 * import { chooseAwsCli } from './aws-cli';
 *
 * const { command, note } = await chooseAwsCli(); // { command: '/usr/bin/aws', note: 'aws on your PATH is the AWS CLI v1 ...' }
 * ```
 */
export function chooseAwsCli(env: NodeJS.ProcessEnv = process.env): Promise<AwsCliChoice> {
  // Each --version starts a Python: once per PATH and process.
  const key = env.PATH ?? '';
  if (!chosen.has(key)) chosen.set(key, choose(env));
  return chosen.get(key)!;
}

const chosen = new Map<string, Promise<AwsCliChoice>>();

async function choose(env: NodeJS.ProcessEnv): Promise<AwsCliChoice> {
  const [onPath, debian] = await Promise.all([majorVersion('aws', env), majorVersion(DEBIAN_AWS_CLI, env)]);
  if (onPath !== undefined && onPath >= 2) return { command: 'aws' };
  const found = onPath === undefined ? 'no `aws` on your PATH' : `\`aws\` on your PATH is the AWS CLI v${onPath}`;
  if (debian !== undefined && debian >= 2)
    return { command: DEBIAN_AWS_CLI, note: `${found}; these commands need v2, Debian's at ${DEBIAN_AWS_CLI}` };
  return { command: 'aws', note: `${found}; these commands need the AWS CLI v2 (on Debian: sudo apt-get install awscli)` };
}
