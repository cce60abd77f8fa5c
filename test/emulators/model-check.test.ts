/** npm run model-check, as a user runs it on a model before deploying it. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { LOCAL_CREDENTIALS } from '../../local/environment';
import { DEFAULT_PORTS, LOCAL_NAMES, type LocalStack, startLocalStack } from '../../local/local-stack';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';
import { PYTHON, runPython } from '../support/python';

const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';

const modelCheck = (...args: string[]) =>
  spawnSync('node_modules/.bin/tsx', ['tools/model-check.ts', ...args], { encoding: 'utf8', env: { ...process.env, PYTHON } });

/** The command run asynchronously, for a local S3 that answers from this process; AWS settings as a shell without any. */
async function modelCheckAside(args: string[], env: Record<string, string> = {}) {
  const shell = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|S3_ENDPOINT_URL$)/.test(name)));
  try {
    const { stdout, stderr } = await promisify(execFile)('node_modules/.bin/tsx', ['tools/model-check.ts', ...args], {
      encoding: 'utf8',
      env: { ...shell, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', ...env },
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run model-check', () => {
  it('prints the file it served, the summary, the MLflow facts, and predictions for the sample rides', async () => {
    const run = modelCheck(DEMO_MODEL_DIR);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^file +${DEMO_MODEL_DIR}/model\\.pkl \\(pickle, read natively\\)$`, 'm'));
    expect(run.stdout).toMatch(/^estimator +LinearRegression$/m);
    expect(run.stdout).toMatch(/^features +5283$/m);
    expect(run.stdout).toContain(`run ${DEMO_RUN_ID}, flavors python_function, sklearn`);
    expect(run.stdout).toContain("[PU_DO, trip_distance]: matches the handler's features");
    expect(run.stdout).toMatch(new RegExp(`^version +${DEMO_RUN_ID}$`, 'm'));
    const { model } = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR });
    const [duration] = model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }]);
    expect(run.stdout).toContain(`ride.json   ride 256                        130 -> 205, 3.66 mi: ${duration.toFixed(2)} min`);
  });

  it("with --compare, compares the predictions with scikit-learn's own on the sample rides and more", () => {
    const run = modelCheck(DEMO_MODEL_DIR, '--compare');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^compare +matches scikit-learn on 509 rides \(largest relative difference .*, bound 1e-9\)$/m);
  });

  it('says when there is no MLmodel to check, and that a bare pickle needs RUN_ID to label it', () => {
    const run = modelCheck(`${FIXTURES}/linear-protocol5/model.pkl`);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^mlflow +no MLmodel: signature not checked$/m);
    expect(run.stdout).toMatch(/^version +none: the model has no MLflow run id; serve it with RUN_ID set to label its predictions$/m);
    expect(modelCheck(`${FIXTURES}/linear-protocol5/model.pkl`, '--run-id', 'v7').stdout).toMatch(/^version +v7$/m);
  });

  it('fails with the reason when there is no model', () => {
    const run = modelCheck('/nonexistent/model');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('model-check: no model at /nonexistent/model');
  });

  it('answers an unknown flag with the usage line, not a stack trace', () => {
    const run = modelCheck(DEMO_MODEL_DIR, '--frobnicate');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--frobnicate'");
    expect(run.stderr).toContain(
      'usage: npm run model-check -- <model directory | model file | s3://bucket/prefix-or-key> [--run-id <label>] [--compare]',
    );
    expect(run.stderr).not.toContain('    at ');
  });
});

describe("npm run model-check --compare, on the families and layouts users have (made by Debian's scikit-learn)", () => {
  const out = mkdtempSync(join(tmpdir(), 'model-check-coverage-'));
  beforeAll(() => {
    runPython(['test/coverage/make_coverage_fixtures.py', out]);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([
    'features-zones-str', // week 1: string zone one-hots
    'family-ttr-log1p',
    'family-voting-weights',
    'family-standard-scaler-dense-forest',
    'columns-onehot-passthrough', // a ColumnTransformer: a DataFrame's rows for scikit-learn
    'columns-scaled-distance',
    'layout-prefect-directory', // dv.pickle beside model.pickle
    'layout-dict-model-mse',
    'layout-tuple-model-dv',
  ])('%s: loads the same files in scikit-learn, puts them together the same way, and matches', (name) => {
    const spec = JSON.parse(readFileSync(join(out, name, 'case.json'), 'utf8')) as { location: string; run_id?: string };
    const run = modelCheck(join(out, name, spec.location), '--compare', ...(spec.run_id ? ['--run-id', spec.run_id] : []));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^compare +matches scikit-learn on 509 rides/m);
  });
});

describe('npm run model-check on an s3:// URI, beside a local stack', () => {
  const uri = `s3://${LOCAL_NAMES.bucket}/${LOCAL_NAMES.experimentId}/${DEMO_RUN_ID}/artifacts/model`;
  let stack: LocalStack;
  beforeAll(async () => {
    // model-check looks for the local stack's S3 where npm run local puts it.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(DEFAULT_PORTS.s3, '127.0.0.1', resolve)).catch(() => {
      throw new Error(
        `port ${DEFAULT_PORTS.s3} is taken (is npm run local running?): this test starts a local stack's S3 there; stop it first`,
      );
    });
    await new Promise((resolve) => probe.close(resolve));
    stack = await startLocalStack({ ports: { kinesis: 0, s3: DEFAULT_PORTS.s3, sqs: 0 } });
  });
  afterAll(() => stack?.stop());

  it("reads a bucket of the running local stack from the stack's S3, and says so", async () => {
    const run = await modelCheckAside([uri]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(
      `s3                   the local stack's, http://127.0.0.1:${DEFAULT_PORTS.s3}, which holds ${LOCAL_NAMES.bucket} (S3_ENDPOINT_URL chooses another)`,
    );
    expect(run.stdout).toMatch(new RegExp(`^file +${uri}/model\\.pkl \\(pickle, read natively\\)$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^version +${DEMO_RUN_ID}$`, 'm'));
  });

  it('reads another bucket from AWS, and says S3_ENDPOINT_URL reads it from another local S3', async () => {
    const run = await modelCheckAside(['s3://no-local-stack-holds-this/1/run/artifacts/model'], { AWS_REGION: 'us-east-1' });
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain("the local stack's");
    expect(run.stderr).toMatch(
      /^npm run model-check: cannot load the model from s3:\/\/no-local-stack-holds-this\/1\/run\/artifacts\/model: /,
    );
    expect(run.stderr).toContain(
      `(read from AWS: no local stack's S3 at http://127.0.0.1:${DEFAULT_PORTS.s3} holds no-local-stack-holds-this; for another local S3, set S3_ENDPOINT_URL)`,
    );
  });

  it('reads from the S3 that S3_ENDPOINT_URL names', async () => {
    const run = await modelCheckAside([uri], { ...LOCAL_CREDENTIALS, S3_ENDPOINT_URL: stack.endpoints.s3 });
    expect(run.stdout).not.toContain("the local stack's");
    expect(run.stdout).toMatch(new RegExp(`^version +${DEMO_RUN_ID}$`, 'm'));
  });
});
