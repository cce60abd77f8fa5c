/**
 * The CDK app deployed to moto's emulated account, with what moto 5.2 needs, in one place for
 * `npm run deploy:moto` and the deploy test:
 * - moto_server on `localhost` (local/moto.ts), as it reads CloudFormation's template URLs
 *   only for that host name;
 * - the zip packaging (no Docker, and moto runs no function anyway);
 * - the KMS key's Tags left out of the template moto gets: moto's CloudFormation tagger fails
 *   on them with `KeyError: 'TagKey'` and then reports the stack CREATE_COMPLETE with none of
 *   its resources; test/unit/stack.test.ts asserts those tags;
 * - `cdk deploy --require-approval never --method=direct`: no prompt without a terminal, and a
 *   plain CreateStack;
 * - success checked on the resources, never on the CLI's exit code (see checkDeployed).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chooseAwsCli } from './aws-cli';
import { MOTO_ACCOUNT, MOTO_REGION, type Moto } from './moto';

/** The project's directory, where cdk.json is. */
export const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
const CDK = join(PROJECT_DIR, 'node_modules', '.bin', 'cdk');

/** What moto does not do, said with every deploy. */
export const MOTO_LIMITS =
  'moto records the stack; it does not run it. It runs no function: rides put on the input stream stay there, nothing is ' +
  'predicted (npm run local runs the stream). It ignores the alarms (they never fire or notify), encryption (of the streams, ' +
  'queues, buckets and topic), the IAM policies (nothing is enforced) and the architecture. So a deploy here shows that the ' +
  'template deploys, its outputs, and that the stage can be destroyed and deployed again; test/unit/stack.test.ts checks what moto ignores.';

/** A synthesized cloud assembly of one stage's stack. */
export interface MotoAssembly {
  dir: string;
  stackName: string;
  /** Its resources, as the template moto gets has them. */
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** A deploy that did not do what it says: a stack moto reports done without its resources. */
export class DeployCheckError extends Error {
  override name = 'DeployCheckError';
}

/** Runs a command; on failure, throws with everything it printed. */
export async function run(
  command: string,
  args: string[],
  { cwd = PROJECT_DIR, env }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}\n${e.message}`);
  }
}

let cli: Promise<string> | undefined;
/** The AWS CLI against moto (v2 where there is one; Debian's 2.9 ignores AWS_ENDPOINT_URL), its JSON answer parsed. */
export async function awsOnMoto<T = Record<string, unknown>>(moto: Moto, ...args: string[]): Promise<T> {
  cli ??= process.env.AWS_CLI ? Promise.resolve(process.env.AWS_CLI) : chooseAwsCli().then((choice) => choice.command);
  const stdout = await run(await cli, ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], { env: moto.env });
  return (stdout.trim() === '' ? {} : JSON.parse(stdout)) as T;
}

const cdk = (moto: Moto, ...args: string[]) => run(CDK, [...args, '--no-notices'], { env: moto.env });

/** What in the context (`key=value` each) moto cannot deploy, if anything. */
export function motoContextProblem(context: string[]): string | undefined {
  const malformed = context.find((c) => !/^[^=]+=/.test(c));
  if (malformed !== undefined) return `-c takes key=value, got ${JSON.stringify(malformed)}`;
  const packaging = context.find((c) => c.startsWith('packaging='));
  if (packaging !== undefined && packaging !== 'packaging=zip') {
    return `${packaging}: moto takes the zip packaging only (an image needs Docker, and moto runs no function)`;
  }
  return undefined;
}

/**
 * `cdk synth` of one stage for moto into `outdir`: `-c packaging=zip` and the given context
 * (`key=value` each), then the KMS key tags taken out of its template.
 */
export async function synthForMoto(moto: Moto, outdir: string, context: string[] = []): Promise<MotoAssembly> {
  const problem = motoContextProblem(context);
  if (problem !== undefined) throw new DeployCheckError(problem);
  await cdk(moto, 'synth', '-q', '-o', outdir, ...context.flatMap((c) => ['-c', c]), '-c', 'packaging=zip');
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new DeployCheckError(`expected one stack in the app, synthesized ${stacks.length}`);
  const [[stackName, artifact]] = stacks;
  const file = join(outdir, artifact.properties!.templateFile);
  const template = JSON.parse(readFileSync(file, 'utf8'));
  for (const resource of Object.values(template.Resources) as MotoAssembly['resources'][string][]) {
    if (resource.Type === 'AWS::KMS::Key') delete resource.Properties?.Tags;
  }
  writeFileSync(file, JSON.stringify(template));
  return { dir: outdir, stackName, resources: template.Resources };
}

/** `cdk bootstrap` of moto's account and region (again is harmless). */
export const bootstrapMoto = (moto: Moto) => cdk(moto, 'bootstrap', `aws://${MOTO_ACCOUNT}/${MOTO_REGION}`);

/** `cdk deploy` of the assembly's stack to moto. */
export const deployToMoto = (moto: Moto, assembly: MotoAssembly) =>
  cdk(moto, 'deploy', '--app', assembly.dir, '--require-approval', 'never', '--method=direct', assembly.stackName);

/** `cdk destroy` of the assembly's stack on moto. */
export const destroyOnMoto = (moto: Moto, assembly: MotoAssembly) =>
  cdk(moto, 'destroy', '--app', assembly.dir, '--force', assembly.stackName);

export interface DeployedStack {
  status: string;
  outputs: { key: string; value: string; description?: string }[];
  resources: { LogicalResourceId: string; ResourceType: string; PhysicalResourceId: string; ResourceStatus: string }[];
}

/** What moto says of the stack: its status and outputs, and its resources (moto lists the types it does not model with empty names). */
export async function describeOnMoto(moto: Moto, stackName: string): Promise<DeployedStack> {
  const { Stacks } = await awsOnMoto<{
    Stacks: { StackStatus: string; Outputs?: { OutputKey: string; OutputValue: string; Description?: string }[] }[];
  }>(moto, 'cloudformation', 'describe-stacks', '--stack-name', stackName);
  const [stack] = Stacks;
  const resources = await awsOnMoto<{ StackResourceSummaries: DeployedStack['resources'] }>(
    moto,
    'cloudformation',
    'list-stack-resources',
    '--stack-name',
    stackName,
  ).then(
    (r) => r.StackResourceSummaries,
    () => [], // moto answers a stack it made nothing of with an internal error
  );
  return {
    status: stack.StackStatus,
    outputs: (stack.Outputs ?? []).map((o) => ({ key: o.OutputKey, value: o.OutputValue, description: o.Description })),
    resources,
  };
}

/**
 * Checks that the stack is there as its template says: complete, with every resource of the
 * template complete. moto can report CREATE_COMPLETE, and the CDK CLI success, for a stack of
 * which it made nothing; that is a DeployCheckError, naming moto's last error when known.
 */
export async function checkDeployed(moto: Moto, assembly: MotoAssembly): Promise<DeployedStack> {
  const deployed = await describeOnMoto(moto, assembly.stackName);
  const expected = Object.keys(assembly.resources).length;
  const complete = deployed.resources.filter((r) => /_COMPLETE$/.test(r.ResourceStatus) && !/DELETE|ROLLBACK/.test(r.ResourceStatus));
  const cause = moto.lastError() === undefined ? '' : ` (moto's log: ${moto.lastError()})`;
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(deployed.status)) {
    throw new DeployCheckError(`${assembly.stackName} is ${deployed.status}, not deployed${cause}`);
  }
  if (complete.length !== expected) {
    throw new DeployCheckError(
      `${assembly.stackName} is reported ${deployed.status}, but moto made ${complete.length} of its ${expected} resources: the deploy did not happen${cause}`,
    );
  }
  return deployed;
}
