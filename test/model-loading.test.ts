import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, ModelLoadError, type ModelLocation } from '../lambda/src/model/load-model';
import { DEMO_MODEL_DIR } from '../models/demo-model';
import { startLocalAws, uploadDirectory, type LocalAws } from '../local/aws-setup';

const BUCKET = 'mlflow-artifacts';
let aws: LocalAws;
const s3 = () => aws.clients.s3;
const demo = JSON.parse(readFileSync(join(DEMO_MODEL_DIR, 'model.json'), 'utf8'));

beforeAll(async () => {
  aws = await startLocalAws([BUCKET]);
  await uploadDirectory(aws.clients.s3, DEMO_MODEL_DIR, BUCKET, '1/run-ok/artifacts/model/');
});
afterAll(() => aws.stop());

async function putModelFile(prefix: string, name: string, body: string) {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: body }));
}

async function loadError(location: ModelLocation): Promise<string> {
  const error = await loadModel(location, s3).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}

describe('loading the model from S3 (s3rver)', () => {
  it('reads the MLflow layout and predicts', async () => {
    const model = await loadModel({ kind: 's3', bucket: BUCKET, prefix: '1/run-ok/artifacts/model/' }, s3);
    expect(model.summary()).toMatchObject({ estimator: 'LinearRegression', features: demo.steps[0].feature_names.length });
    const [duration] = model.predict([{ PU_DO: '130_205', trip_distance: 3.66 }]);
    expect(duration).toBeGreaterThan(1);
  });

  it('names the location when the run has no model', async () => {
    expect(await loadError({ kind: 's3', bucket: BUCKET, prefix: '1/no-such-run/artifacts/model/' })).toBe(
      'no model.json at s3://mlflow-artifacts/1/no-such-run/artifacts/model/ (is RUN_ID right, and was the model exported with tools/export_model.py?)',
    );
  });

  it('says how to export when the directory holds only MLflow\'s model.pkl', async () => {
    await putModelFile('1/pickle-only/artifacts/model/', 'model.pkl', 'pickle bytes');
    const message = await loadError({ kind: 's3', bucket: BUCKET, prefix: '1/pickle-only/artifacts/model/' });
    expect(message).toContain("the model at s3://mlflow-artifacts/1/pickle-only/artifacts/model/ holds only MLflow's model.pkl");
    expect(message).toContain('python3 tools/export_model.py');
  });

  it('reports an unreachable bucket with the location', async () => {
    const message = await loadError({ kind: 's3', bucket: 'no-such-bucket', prefix: 'm/' });
    expect(message).toMatch(/^cannot load the model from s3:\/\/no-such-bucket\/m\/: cannot read model.json: .*bucket/i);
  });

  it.each([
    ['malformed JSON', '{"format": ', 'model.json is not valid JSON'],
    ['another format', JSON.stringify({ ...demo, format: 'onnx' }), 'malformed model.json: format: expected "sklearn-pipeline-json", got "onnx"'],
    ['a newer format version', JSON.stringify({ ...demo, format_version: 2 }), 'format_version: this runtime reads version 1, got 2'],
    ['an unsupported estimator', JSON.stringify({ ...demo, steps: [demo.steps[0], { type: 'SVR' }] }), 'steps[1].type: unsupported estimator "SVR"; supported: LinearRegression'],
    ['no vectorizer first', JSON.stringify({ ...demo, steps: [demo.steps[1], demo.steps[1]] }), 'steps[0].type: the first step must be a DictVectorizer'],
    ['coefficients that do not fit', JSON.stringify({ ...demo, steps: [demo.steps[0], { ...demo.steps[1], coef: [1, 2] }] }), `steps[1].coef: has 2 entries, expected ${demo.steps[0].feature_names.length}`],
    ['a non-numeric coefficient', JSON.stringify({ ...demo, steps: [demo.steps[0], { ...demo.steps[1], intercept: 'x' }] }), 'steps[1].intercept: expected a finite number'],
  ])('fails on %s, naming the location and the fault', async (_, body, fault) => {
    const prefix = `bad/${encodeURIComponent(fault).slice(0, 40)}/`;
    await putModelFile(prefix, 'model.json', body);
    const message = await loadError({ kind: 's3', bucket: BUCKET, prefix });
    expect(message).toContain(`cannot load the model from s3://${BUCKET}/${prefix}`);
    expect(message).toContain(fault);
  });
});

describe('loading the model from a local directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads model.json from the directory', async () => {
    cpSync(DEMO_MODEL_DIR, dir, { recursive: true });
    const model = await loadModel({ kind: 'local', directory: dir }, s3);
    expect(model.summary().estimator).toBe('LinearRegression');
  });

  it('rejects a packed array whose bytes do not fit its dtype', async () => {
    const tree = { children_left: [-1], children_right: [-1], feature: [-2], threshold: [-2], value: { dtype: 'float64', base64: Buffer.alloc(12).toString('base64') } };
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...demo, steps: [demo.steps[0], { type: 'DecisionTreeRegressor', tree }] }));
    expect(await loadError({ kind: 'local', directory: dir })).toContain('steps[1].tree.value: 12 bytes is not a whole number of float64 values');
  });

  it('rejects a non-finite packed threshold', async () => {
    const tree = { children_left: [-1], children_right: [-1], feature: [-2], threshold: { dtype: 'float64', base64: Buffer.from(new Float64Array([NaN]).buffer).toString('base64') }, value: [1] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...demo, steps: [demo.steps[0], { type: 'DecisionTreeRegressor', tree }] }));
    expect(await loadError({ kind: 'local', directory: dir })).toContain('steps[1].tree.threshold[0]: expected a finite number');
  });

  it('rejects a tree whose children loop back', async () => {
    const tree = { children_left: [1, 0, -1], children_right: [2, -1, -1], feature: [0, -2, -2], threshold: [1, -2, -2], value: [0, 1, 2] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...demo, steps: [demo.steps[0], { type: 'DecisionTreeRegressor', tree }] }));
    expect(await loadError({ kind: 'local', directory: dir })).toContain('steps[1].tree node 1: children 0, -1 are not nodes after it');
  });

  it('names a missing directory', async () => {
    expect(await loadError({ kind: 'local', directory: '/nonexistent/model' })).toBe(
      'no model.json at /nonexistent/model (is RUN_ID right, and was the model exported with tools/export_model.py?)',
    );
  });
});
