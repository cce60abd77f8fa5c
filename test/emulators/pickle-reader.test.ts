/**
 * The allowlisting unpickler on pickles written by real scikit-learn: the newer releases'
 * (test/fixtures, scikit-learn 1.9.1 with numpy 2), Debian's (1.2.1 with numpy 1, made here
 * at protocols 2 to 5), the shapes users save (a Pipeline, the course's (dv, model) tuple),
 * and hostile or unsupported pickles, which must be refused without anything running.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineSpec } from '../../lambda/src/model/families/pipeline';
import { ModelFormatError } from '../../lambda/src/model/format';
import { LoadBudget, MODEL_LIMITS, withLoadBudget } from '../../lambda/src/model/limits';
import { loadModelAt, ModelLoadError } from '../../lambda/src/model/load-model';
import { readPickledModel } from '../../lambda/src/model/model-files';
import type { Ride } from '../../lambda/src/rides/schema';
import { rideOf, worstRelativeDifference } from '../support/parity';
import { runPython } from '../support/python';

const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';
const out = mkdtempSync(join(tmpdir(), 'pickles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Pickles the ways users (and attackers) do, with Debian's scikit-learn; their own predictions in expected.json. */
const MAKE_PICKLES = `
import json, os, pickle, sys
import numpy as np
sys.path.insert(0, 'tools')
import synthetic_rides, xgboost
from sklearn.feature_extraction import DictVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.linear_model import LinearRegression
from sklearn.ensemble import RandomForestRegressor
from sklearn.preprocessing import StandardScaler
out = sys.argv[1]
rides, y = synthetic_rides.generate(1500, seed=11)
X = [synthetic_rides.prepare_features(r) for r in rides]
rows = X[:300] + [{'PU_DO': '999_999', 'trip_distance': 0.0}, {'PU_DO': '130_205', 'trip_distance': 3.66}]
expected = {'rows': rows}
def dump(name, obj, protocol=4, predict=None):
    with open(os.path.join(out, name), 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    if predict is not None:
        expected[name] = [float(v) for v in predict(rows)]
linear = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
for protocol in (2, 3, 4, 5):
    dump(f'linear-protocol{protocol}.pkl', linear, protocol, linear.predict)
dv = DictVectorizer(); model = LinearRegression().fit(dv.fit_transform(X), y)
dump('lin_reg.bin', (dv, model), 4, lambda r: model.predict(dv.transform(r)))
dense = make_pipeline(DictVectorizer(sparse=False), LinearRegression()).fit(X, y)
dump('dense.pkl', dense, 5, dense.predict)
passthrough = Pipeline([('dv', DictVectorizer()), ('nothing', 'passthrough'), ('lr', LinearRegression())]).fit(X, y)
dump('passthrough.pkl', passthrough, 4, passthrough.predict)
big_endian = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
big_endian[-1].coef_ = big_endian[-1].coef_.astype('>f8')
dump('big-endian.pkl', big_endian, 4, big_endian.predict)
forest = make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=5, max_depth=8, random_state=1)).fit(X, y)
dump('forest-protocol2.pkl', forest, 2, forest.predict)
# Rows of every feature the schema has: zones as strings (week 1), PU_DO and the distance, four groups of columns.
def every_feature(r):
    pu, do = r['PU_DO'].split('_')
    return dict(r, PULocationID=pu, DOLocationID=do)
wide_rows = [every_feature(r) for r in rows]
wide = make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=5, max_depth=8, random_state=1)).fit([every_feature(x) for x in X], y)
dump('wide-forest.pkl', wide, 4)
expected['wide-forest.pkl'] = [float(v) for v in wide.predict(wide_rows)]
from sklearn.preprocessing import PolynomialFeatures
dump('polynomial.pkl', make_pipeline(DictVectorizer(), PolynomialFeatures(), LinearRegression()).fit(X, y))
class MyForest(RandomForestRegressor):
    def predict(self, X):
        return 2 * super().predict(X)
dump('subclass.pkl', make_pipeline(DictVectorizer(), MyForest(n_estimators=2, max_depth=3)).fit(X, y))
xgb = make_pipeline(DictVectorizer(), xgboost.XGBRegressor(n_estimators=3)).fit(X, y)
dump('xgboost.pkl', xgb, 4, xgb.predict)
class Exploit:
    def __reduce__(self):
        return (os.system, ('touch ' + os.path.join(out, 'PWNED'),))
dump('exploit.pkl', make_pipeline(DictVectorizer(), Exploit()))
class ExploitInState:
    def __reduce__(self):
        return (eval, ("open(" + repr(os.path.join(out, 'PWNED')) + ", 'w')",))
hidden = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
hidden[-1].__dict__['note'] = ExploitInState()
dump('exploit-in-state.pkl', hidden)
dump('float32.pkl', make_pipeline(DictVectorizer(dtype=np.float32), LinearRegression()).fit(X, y))
dump('two-outputs.pkl', make_pipeline(DictVectorizer(), LinearRegression()).fit(X, np.c_[y, y]))
dump('unfitted.pkl', make_pipeline(DictVectorizer(), LinearRegression()))
dump('three-steps.pkl', (dv, model, model))
# A forest fitted behind a vectorizer of some rides, shipped with one fitted again on all of them.
few = DictVectorizer(); few_forest = RandomForestRegressor(n_estimators=3, max_depth=6, random_state=1).fit(few.fit_transform(X[:200]), y[:200])
everything = DictVectorizer().fit(X)
dump('refitted-vectorizer.pkl', (everything, few_forest))
expected['refitted-widths'] = [len(few.vocabulary_), len(everything.vocabulary_)]
negative = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
negative[-1].__dict__['note'] = -2**40
dump('negative-long.pkl', negative, 4, negative.predict)
huge = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
huge[-1].__dict__['note'] = 7**100000
dump('huge-long.pkl', huge)
polluting = make_pipeline(DictVectorizer(), LinearRegression()).fit(X, y)
polluting[-1].__dict__['__proto__'] = {'polluted': 'yes'}
polluting.__dict__['constructor'] = {'prototype': {'polluted': 'yes'}}
dump('proto-keys.pkl', polluting, 4, polluting.predict)
# A histogram boosting behind a sparse DictVectorizer: scikit-learn's predict refuses sparse input.
from sklearn.ensemble import HistGradientBoostingRegressor
sparse_hgb = make_pipeline(DictVectorizer(sparse=False), HistGradientBoostingRegressor(max_iter=3)).fit(X, y)
sparse_hgb[0].sparse = True
dump('sparse-hist-boosting.pkl', sparse_hgb)
# One tree referenced many times through the memo: a tiny file, a huge model.
shared = make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=1, max_depth=1, random_state=1)).fit(X, y)
shared[-1].estimators_ = shared[-1].estimators_ * 25000
dump('shared-tree.pkl', shared)
deep = make_pipeline(DictVectorizer(), RandomForestRegressor(n_estimators=1, random_state=1)).fit(X, y)
expected['deep-tree-nodes'] = [int(deep[-1].estimators_[0].tree_.node_count)]
deep[-1].estimators_ = deep[-1].estimators_ * 100
dump('shared-deep-tree.pkl', deep)
buffers = []
with open(os.path.join(out, 'out-of-band.pkl'), 'wb') as f:
    f.write(pickle.dumps(linear, protocol=5, buffer_callback=buffers.append))
json.dump(expected, open(os.path.join(out, 'expected.json'), 'w'))
`;

let rides: Ride[];
let expected: Record<string, number[]>;
beforeAll(() => {
  runPython(['-c', MAKE_PICKLES, out]);
  let rows: { PU_DO: string; trip_distance: number }[];
  ({ rows, ...expected } = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8')));
  rides = rows.map(rideOf);
});

/** Loads a single pickle file the way MODEL_LOCATION names one; returns the error's message when it is refused. */
async function refusal(file: string): Promise<string> {
  const error = await loadModelAt({ kind: 'local', path: join(out, file) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}

describe('pickles of scikit-learn 1.9.1 with numpy 2 (numpy._core), protocols 4 and 5', () => {
  const folders = readdirSync(FIXTURES).filter((f) => existsSync(join(FIXTURES, f, 'model.pkl')));

  it('covers every fixture folder', () => {
    expect(folders.sort()).toEqual([
      'boosting-protocol4',
      'boosting-protocol5',
      'forest-protocol4',
      'forest-protocol5',
      'linear-protocol4',
      'linear-protocol5',
    ]);
  });

  it.each(folders)('%s: served from its MLflow directory equals scikit-learn to 1e-9', async (folder) => {
    const served = await loadModelAt({ kind: 'local', path: join(FIXTURES, folder) });
    expect(served.format).toBe('pickle');
    expect(served.file.name).toBe('model.pkl');
    expect(served.model.summary().sklearnVersion).toBe('1.9.1');
    const cases = JSON.parse(readFileSync(join(FIXTURES, folder, 'expected.json'), 'utf8')) as {
      features: { PU_DO: string; trip_distance: number };
      prediction: number;
    }[];
    expect(cases.length).toBeGreaterThan(200);
    const predictions = served.model.predict(cases.map((c) => rideOf(c.features)));
    expect(
      worstRelativeDifference(
        predictions,
        cases.map((c) => c.prediction),
      ),
    ).toBeLessThanOrEqual(1e-9);
  });
});

describe("pickles of Debian's scikit-learn 1.2.1 with numpy 1 (numpy.core)", () => {
  it.each([
    ['linear-protocol2.pkl', 'LinearRegression'],
    ['linear-protocol3.pkl', 'LinearRegression'],
    ['linear-protocol4.pkl', 'LinearRegression'],
    ['linear-protocol5.pkl', 'LinearRegression'],
    ['forest-protocol2.pkl', 'RandomForestRegressor'],
    ['lin_reg.bin', 'LinearRegression'], // the course web service's pickle.dump((dv, model), f_out)
    ['dense.pkl', 'LinearRegression'], // DictVectorizer(sparse=False)
    ['passthrough.pkl', 'LinearRegression'], // a 'passthrough' step
    ['big-endian.pkl', 'LinearRegression'], // coefficients stored big-endian
    ['proto-keys.pkl', 'LinearRegression'], // "__proto__" and "constructor" as attribute names
    ['xgboost.pkl', 'XGBRegressor'], // its booster's raw UBJSON bytes, read natively
    ['negative-long.pkl', 'LinearRegression'], // -2**40 in an attribute: a negative LONG1, read exactly
  ])('%s is served as a %s equal to scikit-learn to 1e-9', async (file, estimator) => {
    const served = await loadModelAt({ kind: 'local', path: join(out, file) });
    expect(served.format).toBe('pickle');
    expect(served.model.summary().estimator).toBe(estimator);
    expect(worstRelativeDifference(served.model.predict(rides), expected[file])).toBeLessThanOrEqual(1e-9);
  });

  it('serves a forest that reads every feature of the schema (four groups of columns), equal to scikit-learn', async () => {
    const served = await loadModelAt({ kind: 'local', path: join(out, 'wide-forest.pkl') });
    expect(served.model.inputs.map((i) => `${i.name} as ${i.as}`)).toEqual([
      'PULocationID as category',
      'DOLocationID as category',
      'PU_DO as category',
      'trip_distance as number',
    ]);
    expect(worstRelativeDifference(served.model.predict(rides), expected['wide-forest.pkl'])).toBeLessThanOrEqual(1e-9);
  });

  it('keeps attribute names such as __proto__ as data, never reaching a prototype', async () => {
    await loadModelAt({ kind: 'local', path: join(out, 'proto-keys.pkl') });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('what is refused, with the cause named', () => {
  it('a step the runtime does not evaluate, as the message the issue asks for', async () => {
    const message = await refusal('polynomial.pkl');
    expect(message).toContain(
      `cannot serve ${join(out, 'polynomial.pkl')}: it needs sklearn.preprocessing._polynomial.PolynomialFeatures, which this runtime does not evaluate (supported: `,
    );
    expect(message).toContain('HistGradientBoostingRegressor');
  });

  it('a subclass of a supported estimator, even one that only overrides predict', async () => {
    expect(await refusal('subclass.pkl')).toContain('it needs __main__.MyForest, which this runtime does not evaluate (supported: ');
  });

  it('a pickle that would run a command, without running it', async () => {
    expect(await refusal('exploit.pkl')).toContain('it needs posix.system, which this runtime does not evaluate');
    expect(await refusal('exploit-in-state.pkl')).toContain('it needs builtins.eval, which this runtime does not evaluate');
    expect(existsSync(join(out, 'PWNED'))).toBe(false);
  });

  it.each([
    ['float32.pkl', 'DictVectorizer(dtype=numpy.float32) is not served; only float64 keeps the features exact'],
    ['two-outputs.pkl', 'coef_: shape (2, '],
    ['unfitted.pkl', 'unfitted.pkl.steps[0]: has no vocabulary_: it was not fitted'],
    ['three-steps.pkl', 'the files are ambiguous: found 1 vectorizer: DictVectorizer (three-steps.pkl[0]); 2 regressors: '],
    ['sparse-hist-boosting.pkl', "HistGradientBoostingRegressor does not take a sparse matrix (scikit-learn's predict refuses one too)"],
    ['huge-long.pkl', 'not a pickle this runtime can read (the pickle holds an integer of 35093 bytes (LONG4), which no model needs)'],
    ['out-of-band.pkl', 'not a pickle this runtime can read (pickle stream refers to out-of-band data'],
  ])('%s: %s', async (file, cause) => {
    expect(await refusal(file)).toContain(cause);
  });

  it('a tree shared through the memo counts each time it is read: 25,000 references are more trees than the limit', async () => {
    expect(await refusal('shared-tree.pkl')).toContain(
      "shared-tree.pkl.steps[1].estimators_: the model has more than 20,000 trees, beyond any real model's (the limit of this runtime)",
    );
  });

  it('and so do its nodes: 100 references of one deep tree count 100 times its nodes', () => {
    const [nodes] = expected['deep-tree-nodes'];
    const bytes = readFileSync(join(out, 'shared-deep-tree.pkl'));
    const budget = (limit: number) => new LoadBudget({ ...MODEL_LIMITS, nodes: limit });
    const spec = withLoadBudget(() => readPickledModel(bytes), budget(100 * nodes)) as PipelineSpec;
    expect(spec.steps[1].estimator).toBe('RandomForestRegressor');
    expect(() => withLoadBudget(() => readPickledModel(bytes), budget(100 * nodes - 1))).toThrow(
      `the model's trees come to more than ${new Intl.NumberFormat('en-US').format(100 * nodes - 1)} nodes`,
    );
  });

  it('a regressor fitted behind another vectorizer than the one shipped with it (sklearn would refuse to predict)', async () => {
    const [fitted, shipped] = expected['refitted-widths'];
    expect(await refusal('refitted-vectorizer.pkl')).toContain(
      `model.steps[1].n_features_in: the RandomForestRegressor was fitted on ${fitted} features, but the steps before it make ${shipped}: ` +
        'they were not fitted together (was the vectorizer fitted again after the model?)',
    );
  });

  it('bytes that are not a pickle, or are cut short', () => {
    const pickle = readFileSync(join(out, 'linear-protocol4.pkl'));
    const read = (bytes: Uint8Array) => () => readPickledModel(bytes);
    expect(read(Buffer.from("cos\nsystem\n(S'true'\ntR."))).toThrow(
      new ModelFormatError('not a pickle of protocol 2 or later (it does not start with the PROTO opcode)'),
    );
    expect(read(pickle.subarray(0, pickle.length - 500))).toThrow(/^not a pickle this runtime can read \(/);
    expect(read(Buffer.from([0x80, 0x05, 0xff]))).toThrow(/^not a pickle this runtime can read \(invalid load key, 0xff/);
  });

  it('a pickle that tries to change a shared global, or to give a record fields outside it', () => {
    // BUILD on the numpy.dtype global itself: globals are frozen, so nothing changes for the next model.
    const onGlobal = craft(global('numpy', 'dtype'), '}', text('pythonName'), text('hacked'), 's', 'b', '.');
    expect(() => readPickledModel(onGlobal)).toThrow(/^not a pickle this runtime can read \(/);
    // A record dtype of 8 bytes with an 8-byte field at offset 4.
    const f8 = [global('numpy', 'dtype'), text('f8'), 0x89, 0x88, 0x87, 'R'];
    const record = craft(
      global('numpy', 'dtype'),
      text('V8'),
      0x89,
      0x88,
      0x87,
      'R',
      '(',
      'K',
      3,
      text('|'),
      'N',
      text('a'),
      0x85,
      '}',
      text('a'),
      ...f8,
      'K',
      4,
      0x86,
      's',
      'K',
      8,
      'K',
      1,
      'K',
      16,
      't',
      'b',
      '.',
    );
    expect(() => readPickledModel(record)).toThrow(
      new ModelFormatError('structured numpy dtype field "a" does not fit its 8-byte records'),
    );
    // The next model still reads: the dtype global was not changed.
    expect((readPickledModel(readFileSync(join(out, 'linear-protocol4.pkl'))) as PipelineSpec).steps[1].estimator).toBe('LinearRegression');
  });
});

/** Pickle opcodes by hand: strings are opcodes, numbers raw bytes, arrays spread. */
type Piece = string | number | Piece[];
const text = (value: string): Piece[] => [0x8c, value.length, ...Buffer.from(value)]; // SHORT_BINUNICODE
const global = (module: string, name: string): Piece[] => ['c', ...Buffer.from(`${module}\n${name}\n`)]; // GLOBAL
function craft(...pieces: Piece[]): Uint8Array {
  const bytes: number[] = [0x80, 4]; // PROTO 4
  const add = (piece: Piece): void => {
    if (Array.isArray(piece)) piece.forEach(add);
    else if (typeof piece === 'string') bytes.push(piece.charCodeAt(0));
    else bytes.push(piece);
  };
  pieces.forEach(add);
  return Uint8Array.from(bytes);
}
