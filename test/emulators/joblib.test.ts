/**
 * joblib files named as the model (MODEL_LOCATION), as joblib.load reads them: Debian's joblib
 * 1.2 (made here) and joblib 1.6 (vendored, test/fixtures/joblib-1.6), uncompressed, zlib and
 * gzip, served equal to scikit-learn; other compressions, old formats, XGBoost's binary formats
 * and a zip bomb refused with a message that names them.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadBudget, MODEL_LIMITS, withLoadBudget } from '../../lambda/src/model/limits';
import { loadModelAt, ModelLoadError } from '../../lambda/src/model/load-model';
import { readPickledModel } from '../../lambda/src/model/model-files';
import { rideOf, worstRelativeDifference } from '../support/parity';

type FeatureRow = Parameters<typeof rideOf>[0];

import { runPython } from '../support/python';

const VENDORED = 'test/fixtures/joblib-1.6';
const out = mkdtempSync(join(tmpdir(), 'joblib-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const MAKE = `
import json, os, sys
import joblib, xgboost, numpy as np
sys.path.insert(0, 'tools')
import synthetic_rides
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LinearRegression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor, HistGradientBoostingRegressor
out = sys.argv[1]
rides, y = synthetic_rides.generate(900, seed=5)
X = [synthetic_rides.prepare_features(r) for r in rides]
test = X[:80]
expected = {'rides': test, 'joblib': joblib.__version__}
models = {
    'linear': make_pipeline(DictVectorizer(), LinearRegression()),
    'forest': make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=3, max_depth=6, random_state=1)),
    'boosting': make_pipeline(DictVectorizer(), GradientBoostingRegressor(n_estimators=5, max_depth=3, random_state=1)),
    'hist-boosting': make_pipeline(DictVectorizer(sparse=False), HistGradientBoostingRegressor(max_iter=5)),
}
for name, pipeline in models.items():
    pipeline.fit(X, y)
    for compress in (0, ('zlib', 3), ('gzip', 3), ('bz2', 3), ('xz', 3), ('lzma', 3)):
        joblib.dump(pipeline, os.path.join(out, f"{name}-{compress[0] if compress else 'plain'}.joblib"), compress=compress)
    expected[name] = [float(v) for v in joblib.load(os.path.join(out, f'{name}-plain.joblib')).predict(test)]
# joblib reads an array's bytes after the frame the unpickler has read ahead: a FRAME stretched
# over them makes joblib.load read elsewhere (it fails), where the bytes after BUILD are the array.
data = bytearray(open(os.path.join(out, 'linear-plain.joblib'), 'rb').read())
at = 2
while data[at + 9 + int.from_bytes(data[at + 1:at + 9], 'little')] == 0x95:
    at += 9 + int.from_bytes(data[at + 1:at + 9], 'little')
length = int.from_bytes(data[at + 1:at + 9], 'little')
assert data[at] == 0x95 and data[at + 9 + length - 1] == ord('b'), "the frame ends at the array wrapper's BUILD"
data[at + 1:at + 9] = (length + 16).to_bytes(8, 'little')
open(os.path.join(out, 'linear-frame-over-array.joblib'), 'wb').write(bytes(data))
try:
    joblib.load(os.path.join(out, 'linear-frame-over-array.joblib')).predict(test)
    expected['frame-over-array'] = 'served'
except Exception as error:
    expected['frame-over-array'] = type(error).__name__
import pickle
for protocol in (0, 1):
    pickle.dump(models['linear'], open(os.path.join(out, f'linear-protocol{protocol}.pkl'), 'wb'), protocol=protocol)
booster = xgboost.train({'max_depth': 2}, xgboost.DMatrix(np.arange(20.0).reshape(10, 2), label=np.arange(10.0)), 2)
booster.save_model(os.path.join(out, 'model.xgb'))
booster.save_model(os.path.join(out, 'model.ubj'))
json.dump(expected, open(os.path.join(out, 'expected.json'), 'w'))
`;

let expected: Record<string, number[]> & { rides: FeatureRow[] };
beforeAll(() => {
  runPython(['-c', MAKE, out]);
  expected = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
});

async function refusal(path: string): Promise<string> {
  const error = await loadModelAt({ kind: 'local', path }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}

const FAMILIES = [
  ['linear', 'LinearRegression'],
  ['forest', 'RandomForestRegressor'],
  ['boosting', 'GradientBoostingRegressor'],
  ['hist-boosting', 'HistGradientBoostingRegressor'],
] as const;

describe("Debian's joblib 1.2", () => {
  it.each(FAMILIES.flatMap(([family, estimator]) => ['plain', 'zlib', 'gzip'].map((c) => [`${family}-${c}.joblib`, family, estimator])))(
    '%s is served equal to scikit-learn',
    async (file, family, estimator) => {
      const served = await loadModelAt({ kind: 'local', path: join(out, file) });
      expect(served.model.summary().estimator).toBe(estimator);
      expect(worstRelativeDifference(served.model.predict(expected.rides.map(rideOf)), expected[family])).toBeLessThanOrEqual(1e-9);
    },
  );

  it.each(['bz2', 'xz', 'lzma'])('a joblib file compressed with %s is refused, naming the compression', async (compression) => {
    const path = join(out, `linear-${compression}.joblib`);
    expect(await refusal(path)).toBe(
      `cannot serve ${path}: it is a joblib file compressed with ${compression}, which this runtime does not decompress: dump it uncompressed, or with compress=('zlib', 3) or ('gzip', 3)`,
    );
  });

  it("a FRAME stretched over an array's bytes is refused: joblib.load reads the array after the frame, not after its BUILD", async () => {
    expect(expected['frame-over-array']).not.toBe('served');
    expect(await refusal(join(out, 'linear-frame-over-array.joblib'))).toContain(
      "an array wrapper's BUILD inside a pickle frame (joblib would read the array's bytes after the frame, not here)",
    );
  });

  it("a joblib file as an MLflow directory's model.pkl is refused: MLflow's pickle.load cannot read it", async () => {
    const dir = join(out, 'mlflow-joblib');
    cpSync('test/fixtures/pickles-sklearn-1.9.1-numpy-2.4/linear-protocol4', dir, { recursive: true });
    cpSync(join(out, 'linear-plain.joblib'), join(dir, 'model.pkl'));
    const message = await refusal(dir);
    expect(message).toContain('it needs joblib.numpy_pickle.NumpyArrayWrapper, which this runtime does not evaluate (supported: ');
    expect(message).toContain("); a joblib file, which MLflow's pickle.load cannot read either");
  });
});

describe('joblib 1.6 (vendored, with its scikit-learn 1.9.1 predictions)', () => {
  const vendored = JSON.parse(readFileSync(join(VENDORED, 'expected.json'), 'utf8'));

  it.each(
    FAMILIES.slice(0, 3).flatMap(([family, estimator]) =>
      ['plain', 'zlib', 'gzip'].map((c) => [`${family}-${c}.joblib`, family, estimator]),
    ),
  )('%s is served equal to scikit-learn', async (file, family, estimator) => {
    const served = await loadModelAt({ kind: 'local', path: join(VENDORED, file) });
    expect(served.model.summary()).toMatchObject({ estimator, sklearnVersion: '1.9.1' });
    expect(worstRelativeDifference(served.model.predict(vendored.rides.map(rideOf)), vendored[family])).toBeLessThanOrEqual(1e-9);
  });

  it('lz4 is refused, naming it (no maintained npm package reads its frame format)', async () => {
    const path = join(VENDORED, 'forest-lz4.joblib');
    expect(await refusal(path)).toContain(
      `cannot serve ${path}: it is a joblib file compressed with lz4, which this runtime does not decompress`,
    );
  });
});

describe('what else is refused by name, not as "not valid JSON"', () => {
  it("XGBoost's legacy binary model.xgb and its UBJSON, each named as what it is", async () => {
    expect(await refusal(join(out, 'model.xgb'))).toContain(
      `cannot serve ${join(out, 'model.xgb')}: model.xgb is in XGBoost's legacy binary format (what xgboost 2.0 and older write`,
    );
    // Read as the UBJSON it is: refused only because a Booster alone has no featurizer to fill its columns.
    expect(await refusal(join(out, 'model.ubj'))).toContain(
      'XGBoost Booster (model.ubj) takes the matrix of a vectorizer, and there is none beside it (a DictVectorizer or ColumnTransformer: ' +
        "pickled with it, in the same directory when it has no MLmodel, or in the run's artifacts when RUN_ID locates the model)",
    );
  });

  it.each([0, 1])('a pickle of protocol %i, named as one, with the protocol to dump it with', async (protocol) => {
    const path = join(out, `linear-protocol${protocol}.pkl`);
    expect(await refusal(path)).toBe(
      `cannot serve ${path}: it is a pickle of protocol 0 or 1 (it has no PROTO opcode), which this runtime does not read: dump it with protocol 2 or later (pickle.dump's default)`,
    );
  });

  it('an old joblib file with its arrays in separate .npy files (NDArrayWrapper)', async () => {
    const path = join(out, 'old.joblib');
    writeFileSync(path, Buffer.from('\x80\x02cjoblib.numpy_pickle_compat\nNDArrayWrapper\n)\x81.', 'latin1'));
    expect(await refusal(path)).toBe(
      `cannot serve ${path}: joblib: it needs joblib.numpy_pickle_compat.NDArrayWrapper: a joblib file of joblib before 0.10, with its arrays in separate .npy files, which this runtime does not read`,
    );
  });

  it('a zip bomb: inflating stops at the limit', () => {
    const bomb = deflateSync(Buffer.alloc(64 * 2 ** 20)); // 64 MiB of zeros in some 64 KiB
    expect(bomb.length).toBeLessThan(2 ** 17);
    const budget = new LoadBudget({ ...MODEL_LIMITS, inflatedBytes: 16 * 2 ** 20 });
    expect(() => withLoadBudget(() => readPickledModel(bomb), budget)).toThrow(
      "joblib: the zlib file inflates to more than 16 MiB, beyond any model's",
    );
  });
});
