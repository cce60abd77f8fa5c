/*
 * The runtime's model document: the portable JSON model (docs/model-format.md) that
 * tools/export_model.py writes, and the same document built from MLflow's model.pkl by the
 * pickle reader. parseModelDocument checks a document, from either source, and names the
 * first thing that is wrong.
 */

export const MODEL_FORMAT = 'sklearn-pipeline-json';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_FILE_NAME = 'model.json';

export interface DictVectorizerSpec {
  type: 'DictVectorizer';
  separator: string;
  feature_names: string[];
  /**
   * DictVectorizer(sparse=...): with a dense matrix, a feature absent from a ride is a 0 the
   * model was trained on, not a missing value (it matters to XGBoost). Absent: sparse.
   */
  sparse?: boolean;
}

/** A numeric array: JSON numbers, packed (little-endian bytes in base64) as the exporter writes trees, or typed (from a pickle). */
export type NumericArray = ArrayLike<number>;

export interface TreeSpec {
  children_left: NumericArray;
  children_right: NumericArray;
  feature: NumericArray;
  threshold: NumericArray;
  value: NumericArray;
}

export const LINEAR_MODELS = ['LinearRegression', 'Ridge', 'Lasso', 'ElasticNet'] as const;
export const FORESTS = ['RandomForestRegressor', 'ExtraTreesRegressor'] as const;

export interface LinearModelSpec {
  type: (typeof LINEAR_MODELS)[number];
  coef: NumericArray;
  intercept: number;
}

export interface DecisionTreeSpec {
  type: 'DecisionTreeRegressor';
  tree: TreeSpec;
}

export interface ForestSpec {
  type: (typeof FORESTS)[number];
  trees: TreeSpec[];
}

export interface GradientBoostingSpec {
  type: 'GradientBoostingRegressor';
  init: number;
  learning_rate: number;
  trees: TreeSpec[];
}

/** An XGBoost tree: threshold holds split values at inner nodes and leaf values at leaves. */
export interface XGBoostTreeSpec {
  children_left: NumericArray;
  children_right: NumericArray;
  feature: NumericArray;
  threshold: NumericArray;
  /** 1 where a missing feature goes left. */
  default_left: NumericArray;
}

/** How a raw prediction (a sum of leaves) becomes a prediction: as it is, or exp() for log-link losses. */
export const LINKS = ['identity', 'exp'] as const;
export const XGBOOST_LINKS = LINKS;

export interface XGBoostSpec {
  type: 'XGBoost';
  objective: string;
  link: (typeof XGBOOST_LINKS)[number];
  base_margin: number;
  trees: XGBoostTreeSpec[];
}

/** HistGradientBoostingRegressor: baseline + the sum of the trees' leaves, then the loss's link. */
export interface HistGradientBoostingSpec {
  type: 'HistGradientBoostingRegressor';
  baseline: number;
  link: (typeof LINKS)[number];
  trees: TreeSpec[];
}

export type RegressorSpec = LinearModelSpec | DecisionTreeSpec | ForestSpec | GradientBoostingSpec | HistGradientBoostingSpec | XGBoostSpec;

export interface ModelDocument {
  format: typeof MODEL_FORMAT;
  format_version: number;
  producer?: {
    tool?: string;
    sklearn_version?: string;
    source?: string;
    /** The sha256 of the pickle it was exported from: a model.json beside that pickle is served only when it matches. */
    source_sha256?: string;
  };
  steps: [DictVectorizerSpec, RegressorSpec];
}

export const SUPPORTED_REGRESSORS: readonly string[] = [
  ...LINEAR_MODELS,
  'DecisionTreeRegressor',
  ...FORESTS,
  'GradientBoostingRegressor',
  'HistGradientBoostingRegressor',
  'XGBoost',
];

/**
 * The largest coefficient, intercept or leaf value served. A ride lasts minutes: a billion
 * (1,900 years) is no fitted model's, only a broken or hostile one's, whose predictions would
 * be garbage or overflow.
 */
export const MAX_PARAMETER_MAGNITUDE = 1e9;

/** A model file that cannot be served; the message says where and what is wrong. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

type Json = unknown;

function fail(path: string, problem: string): never {
  throw new ModelFormatError(`${path}: ${problem}`);
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(parent: Record<string, Json>, key: string, path: string): Json {
  if (!Object.hasOwn(parent, key)) fail(`${path}.${key}`, 'missing');
  return parent[key];
}

function finiteNumber(value: Json, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a finite number');
  return value;
}

/** Finite and of a sane magnitude; false for NaN too. */
const isSaneParameter = (value: number) => Math.abs(value) <= MAX_PARAMETER_MAGNITUDE;

/** `path()` builds the message's path only when the check fails: it runs for every leaf of a forest. */
function checkParameter(value: number, path: () => string): number {
  if (isSaneParameter(value)) return value;
  if (!Number.isFinite(value)) fail(path(), `${value} is not a finite number`);
  return fail(path(), `${value} is beyond ${MAX_PARAMETER_MAGNITUDE.toExponential()}, no fitted ride-duration model's`);
}

/** A model parameter (intercept, initial prediction): finite and of a sane magnitude. */
function parameter(value: Json, path: string): number {
  if (typeof value !== 'number') fail(path, 'expected a number');
  return checkParameter(value, () => path);
}

const PACKED = { int32: Int32Array, float64: Float64Array } as const;

/** Packed arrays decode straight into typed arrays: no JSON number parsing, no copy. */
function unpack(value: Record<string, Json>, path: string): Int32Array | Float64Array {
  const type = PACKED[value.dtype as keyof typeof PACKED];
  if (type === undefined || typeof value.base64 !== 'string') {
    fail(path, `expected an array of numbers, or {"dtype": "int32" | "float64", "base64": "..."}`);
  }
  const bytes = Buffer.from(value.base64, 'base64');
  if (bytes.length % type.BYTES_PER_ELEMENT !== 0) fail(path, `${bytes.length} bytes is not a whole number of ${value.dtype} values`);
  // Typed arrays read in the platform's byte order; every platform Lambda runs on is little-endian.
  const aligned = bytes.byteOffset % type.BYTES_PER_ELEMENT === 0 ? bytes : new Uint8Array(bytes); // a fresh, aligned copy
  return new type(aligned.buffer, aligned.byteOffset, bytes.length / type.BYTES_PER_ELEMENT);
}

/** What the numbers of an array must be: integers, finite numbers, or any number but NaN (split thresholds may be infinite). */
type NumberKind = 'integer' | 'finite' | 'not NaN';

const EXPECTED: Record<NumberKind, string> = { integer: 'an integer', finite: 'a finite number', 'not NaN': 'a number (not NaN)' };

const VALID: Record<NumberKind, (v: number) => boolean> = {
  integer: Number.isInteger,
  finite: Number.isFinite,
  'not NaN': (v) => !Number.isNaN(v),
};

function numberArray(value: Json, path: string, kind: NumberKind = 'finite'): NumericArray {
  const array: ArrayLike<unknown> = ArrayBuffer.isView(value)
    ? (value as unknown as ArrayLike<number>)
    : isObject(value)
      ? unpack(value, path)
      : Array.isArray(value)
        ? value
        : fail(path, 'expected an array of numbers');
  if (array instanceof Int32Array) return array;
  const valid = VALID[kind];
  // Typed arrays hold numbers only: the common packed case needs one pass over the values.
  if (array instanceof Float64Array && kind !== 'integer' && (kind === 'finite' ? array.every(Number.isFinite) : !array.some(Number.isNaN)))
    return array;
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== 'number' || !valid(v))
      fail(`${path}[${i}]`, `expected ${EXPECTED[kind]}, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  }
  return array as NumericArray;
}

/** The arrays of one tree: sklearn's have leaf values in "value", XGBoost's a "default_left". */
function parseTree<K extends 'value' | 'default_left'>(value: Json, path: string, nFeatures: number, extra: K) {
  if (!isObject(value)) fail(path, 'expected a tree object');
  const tree = {
    children_left: numberArray(field(value, 'children_left', path), `${path}.children_left`, 'integer'),
    children_right: numberArray(field(value, 'children_right', path), `${path}.children_right`, 'integer'),
    feature: numberArray(field(value, 'feature', path), `${path}.feature`, 'integer'),
    // XGBoost keeps leaf values in "threshold", which must then be finite (checked below).
    threshold: numberArray(field(value, 'threshold', path), `${path}.threshold`, 'not NaN'),
    [extra]: numberArray(field(value, extra, path), `${path}.${extra}`, extra === 'default_left' ? 'integer' : 'not NaN'),
  } as Record<'children_left' | 'children_right' | 'feature' | 'threshold' | K, NumericArray>;
  const nodes = tree.threshold.length;
  if (nodes === 0) fail(path, 'a tree needs at least one node');
  for (const key of ['children_left', 'children_right', 'feature', extra] as const) {
    if (tree[key].length !== nodes) fail(`${path}.${key}`, `has ${tree[key].length} entries, expected ${nodes}`);
  }
  const parents = new Uint8Array(nodes);
  for (let node = 0; node < nodes; node++) {
    const left = tree.children_left[node];
    const right = tree.children_right[node];
    if (left === -1 && right === -1) {
      // A leaf: its value is a prediction (sklearn's "value", XGBoost's "threshold").
      const values = extra === 'value' ? tree[extra] : tree.threshold;
      checkParameter(values[node], () => `${path}.${extra === 'value' ? 'value' : 'threshold'}[${node}] (a leaf)`);
      continue;
    }
    // Both libraries number children after their parent; checking that also rules out cycles.
    if (!(left > node && left < nodes && right > node && right < nodes)) {
      fail(`${path} node ${node}`, `children ${left}, ${right} are not nodes after it`);
    }
    // A tree: no node is reached from two parents (the walk is sized by each node's one depth).
    if (parents[left]++ > 0) fail(`${path} node ${node}`, `child ${left} has another parent too`);
    if (parents[right]++ > 0) fail(`${path} node ${node}`, `child ${right} has another parent too`);
    const feature = tree.feature[node];
    if (feature < 0 || feature >= nFeatures) {
      fail(`${path}.feature[${node}]`, `${feature} is not one of the ${nFeatures} features`);
    }
  }
  return tree;
}

function parseTrees<K extends 'value' | 'default_left'>(value: Json, path: string, nFeatures: number, extra: K) {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'expected a non-empty array of trees');
  return value.map((tree, i) => parseTree(tree, `${path}[${i}]`, nFeatures, extra));
}

function parseVectorizer(value: Json, path: string): DictVectorizerSpec {
  if (!isObject(value) || value.type !== 'DictVectorizer') {
    fail(`${path}.type`, `the first step must be a DictVectorizer, got ${JSON.stringify(isObject(value) ? value.type : value)}`);
  }
  const separator = field(value, 'separator', path);
  if (typeof separator !== 'string') fail(`${path}.separator`, 'expected a string');
  const names = field(value, 'feature_names', path);
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    fail(`${path}.feature_names`, 'expected an array of strings');
  }
  const sparse = value.sparse ?? true;
  if (typeof sparse !== 'boolean') fail(`${path}.sparse`, 'expected true or false');
  return { type: 'DictVectorizer', separator, feature_names: names as string[], sparse };
}

function parseRegressor(value: Json, path: string, nFeatures: number): RegressorSpec {
  if (!isObject(value)) fail(path, 'expected a regressor object');
  const type = value.type;
  if (typeof type !== 'string' || !SUPPORTED_REGRESSORS.includes(type)) {
    fail(`${path}.type`, `unsupported estimator ${JSON.stringify(type)}; supported: ${SUPPORTED_REGRESSORS.join(', ')}`);
  }
  // A tree fitted on other columns than the vectorizer's still walks (its splits read the
  // wrong columns) and predicts nonsense; the width it was fitted on tells.
  const fittedOn = value.n_features_in;
  if (fittedOn !== undefined && fittedOn !== nFeatures) {
    fail(
      `${path}.n_features_in`,
      `the regressor was fitted on ${JSON.stringify(fittedOn)} features, but the DictVectorizer makes ${nFeatures}: ` +
        'they were not fitted together (was the DictVectorizer fitted again after the model?)',
    );
  }
  switch (type) {
    case 'DecisionTreeRegressor':
      return { type, tree: parseTree(field(value, 'tree', path), `${path}.tree`, nFeatures, 'value') };
    case 'RandomForestRegressor':
    case 'ExtraTreesRegressor':
      return { type, trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'value') };
    case 'GradientBoostingRegressor':
      return {
        type,
        init: parameter(field(value, 'init', path), `${path}.init`),
        learning_rate: finiteNumber(field(value, 'learning_rate', path), `${path}.learning_rate`),
        trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'value'),
      };
    case 'HistGradientBoostingRegressor': {
      const link = field(value, 'link', path);
      if (!LINKS.includes(link as HistGradientBoostingSpec['link']))
        fail(`${path}.link`, `expected one of ${LINKS.join(', ')}, got ${JSON.stringify(link)}`);
      return {
        type,
        baseline: parameter(field(value, 'baseline', path), `${path}.baseline`),
        link: link as HistGradientBoostingSpec['link'],
        trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'value'),
      };
    }
    case 'XGBoost': {
      const link = field(value, 'link', path);
      if (!XGBOOST_LINKS.includes(link as XGBoostSpec['link']))
        fail(`${path}.link`, `expected one of ${XGBOOST_LINKS.join(', ')}, got ${JSON.stringify(link)}`);
      const objective = field(value, 'objective', path);
      if (typeof objective !== 'string') fail(`${path}.objective`, 'expected a string');
      return {
        type,
        objective,
        link: link as XGBoostSpec['link'],
        base_margin: parameter(field(value, 'base_margin', path), `${path}.base_margin`),
        trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'default_left'),
      };
    }
    default: {
      const coef = numberArray(field(value, 'coef', path), `${path}.coef`);
      if (coef.length !== nFeatures) fail(`${path}.coef`, `has ${coef.length} entries, expected ${nFeatures} (one per feature)`);
      for (let i = 0; i < coef.length; i++) checkParameter(coef[i], () => `${path}.coef[${i}]`);
      return {
        type: type as LinearModelSpec['type'],
        coef,
        intercept: parameter(field(value, 'intercept', path), `${path}.intercept`),
      };
    }
  }
}

/** Checks a parsed model.json and returns it typed; throws ModelFormatError naming the bad part. */
export function parseModelDocument(doc: Json): ModelDocument {
  if (!isObject(doc)) fail('model', 'expected a JSON object');
  if (doc.format !== MODEL_FORMAT) {
    fail('format', `expected ${JSON.stringify(MODEL_FORMAT)}, got ${JSON.stringify(doc.format)}`);
  }
  if (doc.format_version !== MODEL_FORMAT_VERSION) {
    fail(
      'format_version',
      `this runtime reads version ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(doc.format_version)}; re-export with this project's tools/export_model.py`,
    );
  }
  const steps = field(doc, 'steps', 'model');
  if (!Array.isArray(steps) || steps.length !== 2) fail('steps', 'expected [DictVectorizer, regressor]');
  const vectorizer = parseVectorizer(steps[0], 'steps[0]');
  const regressor = parseRegressor(steps[1], 'steps[1]', vectorizer.feature_names.length);
  return {
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    producer: isObject(doc.producer) ? (doc.producer as ModelDocument['producer']) : undefined,
    steps: [vectorizer, regressor],
  };
}
