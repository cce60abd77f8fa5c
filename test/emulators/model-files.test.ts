/**
 * What the loader opens: only regular files, no bigger than the limit, checked before they are
 * read, on the local disk and on S3 (s3rver). A FIFO would block the open and a link to
 * /dev/zero would read forever; both are refused at once, by name.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_LIMITS } from '../../lambda/src/model/limits';
import { loadModelAt, ModelLoadError } from '../../lambda/src/model/load-model';
import { type LocalAws, startLocalAws } from '../../local/aws-setup';

const BUCKET = 'model-files';
const LINEAR = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4/linear-protocol4';
const work = mkdtempSync(join(tmpdir(), 'model-files-'));
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws([BUCKET]);
});
afterAll(async () => {
  await aws.stop();
  rmSync(work, { recursive: true, force: true });
});

async function refusal(starting: Promise<unknown>): Promise<string> {
  const error = await starting.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}

const LIMIT_MIB = MODEL_LIMITS.fileBytes / 2 ** 20;

describe('local files', () => {
  it('a FIFO named as the model is refused without blocking on its open', async () => {
    const fifo = join(work, 'fifo.pkl');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal(loadModelAt({ kind: 'local', path: fifo }))).toBe(
      `cannot load the model from ${fifo}: ${fifo} is a FIFO, not a regular file: only a regular model file is read`,
    );
  });

  it("a FIFO as an MLflow directory's model.pkl is refused the same way", async () => {
    const dir = join(work, 'fifo-dir');
    cpSync(LINEAR, dir, { recursive: true });
    rmSync(join(dir, 'model.pkl'));
    execFileSync('mkfifo', [join(dir, 'model.pkl')]);
    expect(await refusal(loadModelAt({ kind: 'local', path: dir }))).toContain(`${join(dir, 'model.pkl')} is a FIFO, not a regular file`);
  });

  it('a link to /dev/zero is refused, not read forever', async () => {
    const zero = join(work, 'zero.pkl');
    symlinkSync('/dev/zero', zero);
    expect(await refusal(loadModelAt({ kind: 'local', path: zero }))).toBe(
      `cannot load the model from ${zero}: ${zero} is a device, not a regular file: only a regular model file is read`,
    );
  });

  it('a file beyond the size limit is refused from its size, before it is read', async () => {
    const big = join(work, 'big.pkl');
    writeFileSync(big, '');
    truncateSync(big, MODEL_LIMITS.fileBytes + 1); // sparse: nothing is written, nothing would be read
    expect(await refusal(loadModelAt({ kind: 'local', path: big }))).toBe(
      `cannot load the model from ${big}: ${big} is ${LIMIT_MIB + 1} MiB, beyond the ${LIMIT_MIB} MiB a model file may be (docs/model-format.md, Limits)`,
    );
  });

  it('a link to a regular model file is still served', async () => {
    const link = join(work, 'linked.pkl');
    symlinkSync(join(process.cwd(), LINEAR, 'model.pkl'), link);
    expect((await loadModelAt({ kind: 'local', path: link })).format).toBe('pickle');
  });
});

describe('model.json', () => {
  it('of more trees than the limit is refused, as a pickle of them is', async () => {
    const leaf = { children_left: [-1], children_right: [-1], feature: [-2], threshold: [-2], value: [1] };
    const path = join(work, 'many-trees.json');
    writeFileSync(
      path,
      JSON.stringify({
        format: 'sklearn-pipeline-json',
        format_version: 1,
        steps: [
          { type: 'DictVectorizer', separator: '=', feature_names: ['trip_distance'] },
          { type: 'RandomForestRegressor', trees: Array(MODEL_LIMITS.estimators + 1).fill(leaf) },
        ],
      }),
    );
    expect(await refusal(loadModelAt({ kind: 'local', path }))).toBe(
      `cannot serve ${path}: steps[1].trees: the model has more than 20,000 trees, beyond any real model's (the limit of this runtime)`,
    );
  });
});

describe('S3 objects', () => {
  it('an object whose ContentLength is beyond the limit is refused before its body is read', async () => {
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big/model.pkl', Body: 'small' }));
    // s3rver cannot hold 3 GiB here: a layer gives the real response the ContentLength of one, and records whether the body was read.
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: aws.env.S3_ENDPOINT_URL,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    let bodyRead = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { ContentLength?: number; Body?: AsyncIterable<Uint8Array> };
        if (output.Body !== undefined) {
          output.ContentLength = MODEL_LIMITS.fileBytes + 1;
          const body = output.Body;
          const iterate = body[Symbol.asyncIterator].bind(body);
          Object.assign(body, {
            [Symbol.asyncIterator]: () => {
              bodyRead = true;
              return iterate();
            },
          });
        }
        return result;
      },
      { step: 'initialize', name: 'reportHugeContentLength' },
    );
    const where = `s3://${BUCKET}/big/model.pkl`;
    expect(await refusal(loadModelAt({ kind: 's3', bucket: BUCKET, path: 'big/model.pkl' }, () => client))).toBe(
      `cannot load the model from ${where}: ${where} is ${LIMIT_MIB + 1} MiB, beyond the ${LIMIT_MIB} MiB a model file may be (docs/model-format.md, Limits)`,
    );
    expect(bodyRead).toBe(false);
    client.destroy();
  });
});
