/**
 * Loading the served model as the function starts: from S3 (s3rver) by RUN_ID or by
 * MODEL_LOCATION, from a local directory or a single file; which file is served; and the
 * checks that refuse a model that would serve wrong or mislabelled predictions.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/src/config';
import { loadModelAt, ModelLoadError } from '../../lambda/src/model/load-model';
import { loadServedModel, ModelIdentityError } from '../../lambda/src/served-model';
import { type LocalAws, startLocalAws, uploadDirectory } from '../../local/aws-setup';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';
import { rideOf, worstRelativeDifference } from '../support/parity';
import { runPython } from '../support/python';

const BUCKET = 'mlflow-artifacts';
const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';
const FOREST = join(FIXTURES, 'forest-protocol5'); // MLmodel run_id: fixtureforest5
let aws: LocalAws;
const s3 = () => aws.clients.s3;
const work = mkdtempSync(join(tmpdir(), 'model-loading-'));

/** A small valid model.json: PU_DO one-hots and trip_distance into a linear model. */
const JSON_MODEL = {
  format: 'sklearn-pipeline-json',
  format_version: 1,
  steps: [
    { type: 'DictVectorizer', separator: '=', feature_names: ['PU_DO=130_205', 'trip_distance'] },
    { type: 'LinearRegression', coef: [2, 3], intercept: 4 },
  ],
};

/** Models a course user might really have, made with Debian's scikit-learn. */
const MAKE_MODELS = `
import os, pickle, sys
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LinearRegression
out = sys.argv[1]
rng = np.random.default_rng(1)
pu, do, dist = rng.integers(1, 60, 800), rng.integers(1, 60, 800), rng.uniform(0, 20, 800)
y = 3 + 2.5 * dist + rng.normal(0, 1, 800)
# The course's week 1: separate PULocationID and DOLocationID one-hots.
week1 = [{'PULocationID': str(p), 'DOLocationID': str(d), 'trip_distance': t} for p, d, t in zip(pu, do, dist)]
week1_model = make_pipeline(DictVectorizer(), LinearRegression()).fit(week1, y)
with open(os.path.join(out, 'week1.bin'), 'wb') as f:
    pickle.dump(week1_model, f)
import json
# Zones it never saw (100 and 200) among them: sklearn ignores them, as the runtime must.
week1_rides = [{'PULocationID': int(p), 'DOLocationID': int(d), 'trip_distance': float(t)} for p, d, t in zip(pu[:100], do[:100], dist[:100])]
week1_rides += [{'PULocationID': 100, 'DOLocationID': 200, 'trip_distance': 3.0}]
rows = [{'PULocationID': str(r['PULocationID']), 'DOLocationID': str(r['DOLocationID']), 'trip_distance': r['trip_distance']} for r in week1_rides]
json.dump({'rides': week1_rides, 'expected': week1_model.predict(rows).tolist()}, open(os.path.join(out, 'week1.json'), 'w'))
rides = [{'PU_DO': '%d_%d' % (p, d), 'trip_distance': t} for p, d, t in zip(pu, do, dist)]
broken = make_pipeline(DictVectorizer(), LinearRegression()).fit(rides, y)
broken[-1].coef_[3] = np.nan
with open(os.path.join(out, 'nan-coefficient.pkl'), 'wb') as f:
    pickle.dump(broken, f)
huge = make_pipeline(DictVectorizer(), LinearRegression()).fit(rides, y)
huge[-1].intercept_ = 1e12
with open(os.path.join(out, 'huge-intercept.pkl'), 'wb') as f:
    pickle.dump(huge, f)
`;

beforeAll(async () => {
  aws = await startLocalAws([BUCKET]);
  await uploadDirectory(aws.clients.s3, FOREST, BUCKET, '1/fixtureforest5/artifacts/model/');
  runPython(['-c', MAKE_MODELS, work]);
});
afterAll(async () => {
  await aws.stop();
  rmSync(work, { recursive: true, force: true });
});

async function put(key: string, body: string | Uint8Array) {
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The function's start-up, configured as the environment would configure it. */
function serve(env: Record<string, string>) {
  return loadServedModel(parseConfig({ TEST_RUN: 'true', ...aws.env, ...env }).model, s3);
}

async function refusal(
  starting: Promise<unknown>,
  kind: typeof ModelLoadError | typeof ModelIdentityError = ModelLoadError,
): Promise<string> {
  const error = await starting.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  return (error as Error).message;
}

const forestCases = () =>
  JSON.parse(readFileSync(join(FOREST, 'expected.json'), 'utf8')) as {
    features: { PU_DO: string; trip_distance: number };
    prediction: number;
  }[];

describe('an MLflow directory holding only MLmodel and model.pkl, on S3', () => {
  it('is served by RUN_ID, equal to scikit-learn, labelled with the run', async () => {
    const served = await serve({ RUN_ID: 'fixtureforest5', MODEL_BUCKET: BUCKET });
    expect(served).toMatchObject({
      format: 'pickle',
      file: { name: 'model.pkl', uri: `s3://${BUCKET}/1/fixtureforest5/artifacts/model/model.pkl` },
      version: 'fixtureforest5',
    });
    const cases = forestCases();
    expect(
      worstRelativeDifference(
        served.model.predict(cases.map((c) => rideOf(c.features))),
        cases.map((c) => c.prediction),
      ),
    ).toBeLessThanOrEqual(1e-9);
  });

  it('is served by MODEL_LOCATION, with or without the trailing slash, labelled with its MLmodel run_id', async () => {
    for (const location of [`s3://${BUCKET}/1/fixtureforest5/artifacts/model/`, `s3://${BUCKET}/1/fixtureforest5/artifacts/model`]) {
      const served = await serve({ MODEL_LOCATION: location });
      expect(served).toMatchObject({ format: 'pickle', version: 'fixtureforest5', runId: undefined });
    }
  });

  it('is served under the label RUN_ID gives it with MODEL_LOCATION (the course serves a local model as Test123)', async () => {
    const served = await serve({ MODEL_LOCATION: `s3://${BUCKET}/1/fixtureforest5/artifacts/model/`, RUN_ID: 'Test123' });
    expect(served).toMatchObject({ version: 'Test123', runId: 'Test123', mlmodel: { runId: 'fixtureforest5' } });
  });

  it("is refused by RUN_ID when its MLmodel is another run's: the artifacts were copied", async () => {
    await uploadDirectory(aws.clients.s3, FOREST, BUCKET, '1/run-b/artifacts/model/');
    expect(await refusal(serve({ RUN_ID: 'run-b', MODEL_BUCKET: BUCKET }), ModelIdentityError)).toBe(
      `cannot serve run run-b: the MLmodel at s3://${BUCKET}/1/run-b/artifacts/model/ is run fixtureforest5's (the artifacts were copied from another run); ` +
        'set RUN_ID to the run the model belongs to, or serve it with MODEL_LOCATION and RUN_ID as its label',
    );
  });

  it('is refused by RUN_ID when there is no MLmodel to check the run against', async () => {
    await put('1/no-mlmodel/artifacts/model/model.pkl', readFileSync(join(FOREST, 'model.pkl')));
    expect(await refusal(serve({ RUN_ID: 'no-mlmodel', MODEL_BUCKET: BUCKET }), ModelIdentityError)).toBe(
      `cannot serve run no-mlmodel: s3://${BUCKET}/1/no-mlmodel/artifacts/model/ has no MLmodel with a run_id, so it cannot be checked to be that run's model`,
    );
  });

  it('names the location when the run has no model', async () => {
    expect(await refusal(serve({ RUN_ID: 'no-such-run', MODEL_BUCKET: BUCKET }))).toBe(
      `no model at s3://${BUCKET}/1/no-such-run/artifacts/model/: expected MLflow's MLmodel and model.pkl, a pickle or joblib file, or a model.json (is the run id or location right?)`,
    );
  });

  it('reports an unreachable bucket with the location', async () => {
    expect(await refusal(serve({ MODEL_LOCATION: 's3://no-such-bucket/m/' }))).toMatch(
      /^cannot load the model from s3:\/\/no-such-bucket\/m\/: cannot read it: .*bucket/i,
    );
  });
});

describe('S3 that answers a missing key with 403, as it does to a role that may list only the model prefix', () => {
  /** s3rver grants everything; this layer answers as real S3 does without the bucket-wide ListBucket. */
  function s3WithoutBucketListing(options: { listing: boolean }): S3Client {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: aws.env.S3_ENDPOINT_URL,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const denied = () =>
      new S3ServiceException({ name: 'AccessDenied', message: 'Access Denied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command' && !options.listing) throw denied();
        try {
          return await next(args);
        } catch (error) {
          throw error instanceof NoSuchKey ? denied() : error;
        }
      },
      { step: 'initialize', name: 'answerAsS3WithoutBucketListing' },
    );
    return client;
  }

  it('still finds a model directory by RUN_ID, and one named without its trailing slash, when the prefix may be listed', async () => {
    const s3 = s3WithoutBucketListing({ listing: true });
    const byRunId = await loadServedModel(
      parseConfig({ TEST_RUN: 'true', RUN_ID: 'fixtureforest5', MODEL_BUCKET: BUCKET }).model,
      () => s3,
    );
    expect(byRunId).toMatchObject({ format: 'pickle', version: 'fixtureforest5' });
    const noSlash = await loadModelAt({ kind: 's3', bucket: BUCKET, path: '1/fixtureforest5/artifacts/model' }, () => s3);
    expect(noSlash.format).toBe('pickle');
    s3.destroy();
  });

  it('names the denial when even the prefix cannot be listed and a file is missing', async () => {
    const s3 = s3WithoutBucketListing({ listing: false });
    expect(await refusal(loadModelAt({ kind: 's3', bucket: BUCKET, path: '1/fixtureforest5/artifacts/model' }, () => s3))).toMatch(
      /^cannot load the model from s3:\/\/mlflow-artifacts\/1\/fixtureforest5\/artifacts\/model: .*Access Denied/,
    );
    s3.destroy();
  });
});

describe('a single model file named by MODEL_LOCATION', () => {
  it("serves the course's (DictVectorizer, model) pickle from S3, labelled with RUN_ID", async () => {
    const course = runPython([
      '-c',
      `
import pickle, sys
sys.path.insert(0, 'tools')
import synthetic_rides
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression
rides, y = synthetic_rides.generate(500, seed=3)
dv = DictVectorizer(); lr = LinearRegression().fit(dv.fit_transform([synthetic_rides.prepare_features(r) for r in rides]), y)
with open(sys.argv[1], 'wb') as f:
    pickle.dump((dv, lr), f)
print(repr(float(lr.predict(dv.transform([{'PU_DO': '130_205', 'trip_distance': 3.66}]))[0])))
`,
      join(work, 'lin_reg.bin'),
    ]);
    await put('web-service/lin_reg.bin', readFileSync(join(work, 'lin_reg.bin')));
    const served = await serve({ MODEL_LOCATION: `s3://${BUCKET}/web-service/lin_reg.bin`, RUN_ID: 'lin-reg-v1' });
    expect(served).toMatchObject({ format: 'pickle', file: { name: 'lin_reg.bin' }, version: 'lin-reg-v1' });
    expect(served.mlmodel).toBeUndefined();
    const [duration] = served.model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }]);
    expect(duration).toBe(Number(course.trim())); // Python's repr of a float reads back to the very same double
  });

  it('refuses a file with no MLflow run id when RUN_ID does not label it', async () => {
    expect(await refusal(serve({ MODEL_LOCATION: join(work, 'lin_reg.bin') }), ModelIdentityError)).toBe(
      `set RUN_ID: the model at ${join(work, 'lin_reg.bin')} has no MLflow run id (no MLmodel with a run_id) to label its predictions with`,
    );
  });
});

describe('a model.json beside a pickle is never served stale', () => {
  const dir = (name: string) => {
    const path = join(work, name);
    cpSync(FOREST, path, { recursive: true });
    return path;
  };

  it('a readable pickle wins over a model.json beside it', async () => {
    const path = dir('pickle-wins');
    writeFileSync(join(path, 'model.json'), JSON.stringify(JSON_MODEL));
    const served = await loadModelAt({ kind: 'local', path });
    expect(served).toMatchObject({
      format: 'pickle',
      file: { name: 'model.pkl' },
      note: 'model.pkl served; the pickle wins, so a model.json beside it would be read only if the pickle could not be',
    });
  });

  it('a pickle the runtime cannot read is replaced only by the model.json that records its sha256', async () => {
    const path = join(work, 'xgboost-like');
    cpSync(FOREST, path, { recursive: true });
    const unreadable = Buffer.from([
      0x80,
      0x04,
      0x95,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x8c,
      0x07,
      ...Buffer.from('xgboost'),
      0x94,
      0x8c,
      0x03,
      ...Buffer.from('Foo'),
      0x94,
      0x93,
      0x94,
      0x2e,
    ]);
    writeFileSync(join(path, 'model.pkl'), unreadable);
    const sha = (await import('node:crypto')).createHash('sha256').update(unreadable).digest('hex');

    writeFileSync(join(path, 'model.json'), JSON.stringify({ ...JSON_MODEL, producer: { source_sha256: 'f'.repeat(64) } }));
    const message = await refusal(loadModelAt({ kind: 'local', path }));
    expect(message).toContain(`cannot serve model.pkl at ${path}: it needs xgboost.Foo, which this runtime does not evaluate`);
    expect(message).toContain(
      `the model.json beside it is not its export (it records sha256 ${'f'.repeat(64)}, model.pkl has ${sha}): re-export it with tools/export_model.py`,
    );

    writeFileSync(join(path, 'model.json'), JSON.stringify({ ...JSON_MODEL, producer: { source_sha256: sha } }));
    const served = await loadModelAt({ kind: 'local', path });
    expect(served.format).toBe('json');
    expect(served.note).toContain(`model.json served: it is the export of model.pkl (sha256 ${sha})`);
    expect(Array.from(served.model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 1 }]))).toEqual([2 + 3 + 4]);
  });

  it('with no pickle, model.json is the model', async () => {
    const path = join(work, 'json-only');
    cpSync(DEMO_MODEL_DIR, path, { recursive: true });
    rmSync(join(path, 'model.pkl'));
    writeFileSync(join(path, 'model.json'), JSON.stringify(JSON_MODEL));
    const served = await loadModelAt({ kind: 'local', path });
    expect(served).toMatchObject({ format: 'json', file: { name: 'model.json' }, mlmodel: { runId: DEMO_RUN_ID } });
  });
});

describe('MLmodel', () => {
  it('a sklearn flavor serialized with skops is refused, saying how to log it', async () => {
    const path = join(work, 'skops');
    cpSync(DEMO_MODEL_DIR, path, { recursive: true });
    writeFileSync(
      join(path, 'MLmodel'),
      readFileSync(join(path, 'MLmodel'), 'utf8').replace('serialization_format: cloudpickle', 'serialization_format: skops'),
    );
    expect(await refusal(loadModelAt({ kind: 'local', path }))).toContain(
      'its sklearn flavor is serialized as skops; log the model with serialization_format "cloudpickle"',
    );
  });

  it('a pickled_model that points outside the directory is refused', async () => {
    const path = join(work, 'escape');
    cpSync(DEMO_MODEL_DIR, path, { recursive: true });
    writeFileSync(
      join(path, 'MLmodel'),
      readFileSync(join(path, 'MLmodel'), 'utf8').replace('pickled_model: model.pkl', 'pickled_model: ../../secret.pkl'),
    );
    expect(await refusal(loadModelAt({ kind: 'local', path }))).toContain(
      "the sklearn flavor's pickled_model must be a file name in the model directory",
    );
  });
});

describe("the course's week-1 model: PULocationID and DOLocationID one-hots, as strings", () => {
  it('is served with the features it was trained on, equal to scikit-learn, unseen zones ignored as sklearn ignores them', async () => {
    const served = await serve({ MODEL_LOCATION: join(work, 'week1.bin'), RUN_ID: 'week1' });
    expect(served.model.inputs).toEqual([
      { name: 'PULocationID', as: 'category' },
      { name: 'DOLocationID', as: 'category' },
      { name: 'trip_distance', as: 'number' },
    ]);
    const { rides, expected } = JSON.parse(readFileSync(join(work, 'week1.json'), 'utf8'));
    expect(worstRelativeDifference(served.model.predict(rides), expected)).toBeLessThanOrEqual(1e-9);
  });
});

describe('a model that would serve wrong predictions is refused at start', () => {
  it('a model with a column no recipe fills (passenger_count), naming it and what the handler prepares', async () => {
    const path = join(work, 'passengers.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...JSON_MODEL,
        steps: [{ ...JSON_MODEL.steps[0], feature_names: ['PU_DO=130_205', 'passenger_count'] }, JSON_MODEL.steps[1]],
      }),
    );
    expect(await refusal(serve({ MODEL_LOCATION: path, RUN_ID: 'x' }))).toContain(
      'the model was trained on features the handler never prepares: passenger_count; the handler prepares PULocationID=<value> one-hots or PULocationID as a number',
    );
  });

  it('a model with a column the handler never fills (PU_DO of a float id)', async () => {
    const path = join(work, 'float-ids.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...JSON_MODEL,
        steps: [{ ...JSON_MODEL.steps[0], feature_names: ['PU_DO=130.0_205', 'trip_distance'] }, JSON_MODEL.steps[1]],
      }),
    );
    expect(await refusal(serve({ MODEL_LOCATION: path, RUN_ID: 'x' }))).toContain(
      'trained on features the handler never prepares: PU_DO=* (1 one-hot, such as PU_DO=130.0_205);',
    );
  });

  it.each([
    ['nan-coefficient.pkl', 'steps[1].coef[3]: expected a finite number, got NaN'],
    ['huge-intercept.pkl', "intercept: 1000000000000 is beyond 1e+9, no fitted ride-duration model's"],
  ])('%s: %s', async (file, cause) => {
    expect(await refusal(serve({ MODEL_LOCATION: join(work, file), RUN_ID: 'x' }))).toContain(cause);
  });

  it.each([
    ['malformed JSON', '{"format": ', 'not valid JSON'],
    ['another format', JSON.stringify({ ...JSON_MODEL, format: 'onnx' }), 'format: expected "sklearn-pipeline-json", got "onnx"'],
    [
      'a newer format version',
      JSON.stringify({ ...JSON_MODEL, format_version: 3 }),
      'format_version: this runtime reads versions 1 and 2, got 3',
    ],
    [
      'an unsupported estimator',
      JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { type: 'SVR' }] }),
      'steps[1].type: unsupported estimator "SVR"; supported: LinearRegression',
    ],
    [
      'no vectorizer first',
      JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[1], JSON_MODEL.steps[1]] }),
      'steps[0].type: the first step must be a DictVectorizer',
    ],
    [
      'coefficients that do not fit',
      JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { ...JSON_MODEL.steps[1], coef: [1] }] }),
      'model.steps[1].coef: has 1 entries, expected 2',
    ],
    [
      'a coefficient of absurd size',
      JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { ...JSON_MODEL.steps[1], coef: [1, 1e300] }] }),
      'steps[1].coef[1]: 1e+300 is beyond 1e+9',
    ],
    [
      'a non-numeric intercept',
      JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { ...JSON_MODEL.steps[1], intercept: 'x' }] }),
      'steps[1].intercept: expected a number',
    ],
  ])('a model.json with %s, naming the location and the fault', async (_, body, fault) => {
    const key = `bad/${encodeURIComponent(fault).slice(0, 40)}/model.json`;
    await put(key, body);
    const message = await refusal(loadModelAt({ kind: 's3', bucket: BUCKET, path: key }, s3));
    expect(message).toContain(`s3://${BUCKET}/${key}`);
    expect(message).toContain(fault);
  });

  it.each([
    [
      'a packed array whose bytes do not fit its dtype',
      {
        children_left: [-1],
        children_right: [-1],
        feature: [-2],
        threshold: [-2],
        value: { dtype: 'float64', base64: Buffer.alloc(12).toString('base64') },
      },
      'steps[1].trees[0].value: 12 bytes is not a whole number of float64 values',
    ],
    [
      'a NaN packed threshold',
      {
        children_left: [-1],
        children_right: [-1],
        feature: [-2],
        threshold: { dtype: 'float64', base64: Buffer.from(new Float64Array([Number.NaN]).buffer).toString('base64') },
        value: [1],
      },
      'steps[1].trees[0].threshold[0]: expected a number (not NaN), got NaN',
    ],
    [
      'a leaf of absurd size',
      { children_left: [-1], children_right: [-1], feature: [-2], threshold: [-2], value: [1e10] },
      'steps[1].trees[0].value[0] (a leaf): 10000000000 is beyond 1e+9',
    ],
    [
      'children that loop back',
      { children_left: [1, 0, -1], children_right: [2, -1, -1], feature: [0, -2, -2], threshold: [1, -2, -2], value: [0, 1, 2] },
      'steps[1].trees[0] node 1: children 0, -1 are not nodes after it',
    ],
    [
      'a node reached from two parents (a graph, not a tree)',
      {
        children_left: [1, 3, 3, -1, -1],
        children_right: [2, 4, 4, -1, -1],
        feature: [0, 0, 0, -2, -2],
        threshold: [1, 2, 3, -2, -2],
        value: [0, 0, 0, 1, 2],
      },
      'steps[1].trees[0] node 2: child 3 has another parent too',
    ],
    [
      'a node whose two children are one',
      { children_left: [1, -1], children_right: [1, -1], feature: [0, -2], threshold: [1, -2], value: [0, 1] },
      'steps[1].trees[0] node 0: child 1 has another parent too',
    ],
  ])('a tree with %s', async (_, tree, fault) => {
    const path = join(work, `${encodeURIComponent(fault).slice(0, 30)}.json`);
    writeFileSync(path, JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { type: 'DecisionTreeRegressor', tree }] }));
    expect(await refusal(loadModelAt({ kind: 'local', path }))).toContain(fault);
  });

  it('refuses a model.json whose regressor was fitted on another number of features than the vectorizer makes', async () => {
    const path = join(work, 'width.json');
    const regressor = { ...JSON_MODEL.steps[1], n_features_in: 3 };
    writeFileSync(path, JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], regressor] }));
    expect(await refusal(loadModelAt({ kind: 'local', path }))).toContain(
      'model.steps[1].n_features_in: the LinearRegression was fitted on 3 features, but the steps before it make 2: they were not fitted together',
    );
    writeFileSync(path, JSON.stringify({ ...JSON_MODEL, steps: [JSON_MODEL.steps[0], { ...regressor, n_features_in: 2 }] }));
    await expect(loadModelAt({ kind: 'local', path })).resolves.toBeDefined();
  });

  it('names a missing directory', async () => {
    expect(await refusal(loadModelAt({ kind: 'local', path: '/nonexistent/model' }))).toBe(
      "no model at /nonexistent/model: expected MLflow's MLmodel and model.pkl, a pickle or joblib file, or a model.json (is the run id or location right?)",
    );
  });
});
