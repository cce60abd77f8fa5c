/**
 * npm run deploy:moto: the app deployed to moto's emulated AWS account, as a user would deploy
 * it to AWS, to see that the template deploys, what its outputs are, and that a stage can be
 * destroyed and deployed again (local/moto-stack.ts says what moto needs for it).
 *
 *   npm run deploy:moto                          # moto_server on localhost:5000, stage dev; Ctrl-C stops it
 *   npm run deploy:moto -- -c stage=stg -c memorySize=1024
 *   npm run deploy:moto -- --destroy             # from the moto_server that holds the stage
 *   MOTO_ENDPOINT=http://localhost:5000 npm run deploy:moto
 *
 * With a moto_server already answering (at MOTO_ENDPOINT, or localhost:5000), it deploys there
 * and exits; otherwise it starts one, deploys, and keeps it running until Ctrl-C: moto holds
 * everything in memory, so the stage lives as long as that server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseAwsCli } from './aws-cli';
import { fail, readCommandLine, readPort } from './cli';
import { EXPORT_LOCAL_CREDENTIALS } from './environment';
import { connectMoto, DEFAULT_MOTO_PORT, type Moto, motoAnswers, startMoto } from './moto';
import {
  bootstrapMoto,
  checkDeployed,
  deployToMoto,
  describeOnMoto,
  destroyOnMoto,
  MOTO_LIMITS,
  motoContextProblem,
  synthForMoto,
} from './moto-stack';

const COMMAND = 'npm run deploy:moto';
const USAGE = `usage: ${COMMAND} -- [-c <key>=<value> ...] [--destroy] [--moto-port <port>]   (MOTO_ENDPOINT: a moto_server already running)`;

const { values } = readCommandLine(COMMAND, USAGE, {
  options: {
    context: { type: 'string', short: 'c', multiple: true, default: [] },
    destroy: { type: 'boolean', default: false },
    'moto-port': { type: 'string' },
  },
});
const problem = motoContextProblem(values.context);
if (problem !== undefined) fail(COMMAND, `${problem}\n${USAGE}`, 2);
const port = values['moto-port'] === undefined ? DEFAULT_MOTO_PORT : readPort(COMMAND, '--moto-port', values['moto-port']);

const given = process.env.MOTO_ENDPOINT;
if (given !== undefined && new URL(given).hostname !== 'localhost') {
  fail(COMMAND, `MOTO_ENDPOINT must name localhost (moto reads CloudFormation's template URLs only for that host name), got ${given}`);
}
const endpoint = given ?? `http://localhost:${port}`;

let moto: Moto;
let started = false;
if (await motoAnswers(endpoint)) {
  moto = connectMoto(endpoint);
} else if (given !== undefined || values.destroy) {
  fail(
    COMMAND,
    values.destroy
      ? `nothing to destroy: no moto_server answers at ${endpoint} (a stage deployed to moto lives only while its server runs)`
      : `no moto_server answers at MOTO_ENDPOINT=${endpoint}`,
  );
} else {
  moto = await startMoto(port).catch((error: Error) => fail(COMMAND, error.message));
  console.error(`started moto_server at ${moto.endpoint}`);
  started = true;
}
const at = moto!.endpoint;

const work = mkdtempSync(join(tmpdir(), 'deploy-moto-'));
const cleanUp = () => rmSync(work, { recursive: true, force: true });
try {
  const assembly = await synthForMoto(moto!, join(work, 'cdk.out'), values.context);
  const existing = await describeOnMoto(moto!, assembly.stackName).then(
    (stack) => stack.status,
    () => undefined,
  );
  if (values.destroy) {
    if (existing === undefined) fail(COMMAND, `nothing to destroy: moto at ${at} has no stack ${assembly.stackName}`);
    await destroyOnMoto(moto!, assembly);
    const left = await describeOnMoto(moto!, assembly.stackName).then(
      (stack) => stack.status,
      () => undefined,
    );
    if (left !== undefined) fail(COMMAND, `${assembly.stackName} is still there after cdk destroy (${left})`);
    console.log(`${assembly.stackName} destroyed on moto at ${at}.`);
  } else {
    console.error(`${existing === undefined ? 'deploying' : 'updating'} ${assembly.stackName} on moto at ${at}...`);
    await bootstrapMoto(moto!);
    await deployToMoto(moto!, assembly);
    const deployed = await checkDeployed(moto!, assembly);
    const width = Math.max(...deployed.outputs.map((o) => o.key.length));
    const cli = await chooseAwsCli();
    console.log(`${assembly.stackName} deployed to moto at ${at}: ${deployed.status}, ${deployed.resources.length} resources.

Outputs:
${deployed.outputs.map((o) => `  ${o.key.padEnd(width)}  ${o.value}`).join('\n')}

What moto does not do: ${MOTO_LIMITS}

Against it, with the AWS CLI (with --endpoint-url, which the CLI v2 before 2.13 needs: it ignores AWS_ENDPOINT_URL)${
      cli.note ? `\n(${cli.note}: write ${cli.command} for aws in the commands above)` : ''
    }:

  ${EXPORT_LOCAL_CREDENTIALS}
  ${cli.command} --endpoint-url ${at} cloudformation describe-stacks --stack-name ${assembly.stackName}

Remove it: ${at === `http://localhost:${DEFAULT_MOTO_PORT}` ? '' : `MOTO_ENDPOINT=${at} `}${COMMAND} -- ${[...values.context.map((c) => `-c ${c}`), '--destroy'].join(' ')}`);
  }
} catch (error) {
  cleanUp();
  await moto!.stop();
  fail(COMMAND, (error as Error).message);
}
cleanUp();

if (started) {
  console.log(`\nmoto_server keeps running at ${at}, with the stage, until Ctrl-C.`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, async () => {
      await moto.stop();
      process.exit(0);
    });
  }
}
