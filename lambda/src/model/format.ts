/**
 * The portable JSON model (docs/model-format.md), as written by tools/export_model.py.
 * parseModelDocument checks a parsed document and names the first thing that is wrong.
 */

export const MODEL_FORMAT = 'sklearn-pipeline-json';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_FILE_NAME = 'model.json';

export interface DictVectorizerSpec {
  type: 'DictVectorizer';
  separator: string;
  feature_names: string[];
}

/** A numeric array: JSON numbers, or packed (little-endian bytes in base64) as the exporter writes trees. */
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

export const XGBOOST_LINKS = ['identity', 'exp'] as const;

export interface XGBoostSpec {
  type: 'XGBoost';
  objective: string;
  link: (typeof XGBOOST_LINKS)[number];
  base_margin: number;
  trees: XGBoostTreeSpec[];
}

export type RegressorSpec = LinearModelSpec | DecisionTreeSpec | ForestSpec | GradientBoostingSpec | XGBoostSpec;

export interface ModelDocument {
  format: typeof MODEL_FORMAT;
  format_version: number;
  producer?: { tool?: string; sklearn_version?: string; source?: string };
  steps: [DictVectorizerSpec, RegressorSpec];
}

export const SUPPORTED_REGRESSORS: readonly string[] = [
  ...LINEAR_MODELS,
  'DecisionTreeRegressor',
  ...FORESTS,
  'GradientBoostingRegressor',
  'XGBoost',
];

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

function numberArray(value: Json, path: string, integers = false): NumericArray {
  const array: ArrayLike<unknown> = isObject(value) ? unpack(value, path) : Array.isArray(value) ? value : fail(path, 'expected an array of numbers');
  if (array instanceof Int32Array) return array;
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || (integers && !Number.isInteger(v))) {
      fail(`${path}[${i}]`, integers ? 'expected an integer' : 'expected a finite number');
    }
  }
  return array as NumericArray;
}

/** The arrays of one tree: sklearn's have leaf values in "value", XGBoost's a "default_left". */
function parseTree<K extends 'value' | 'default_left'>(value: Json, path: string, nFeatures: number, extra: K) {
  if (!isObject(value)) fail(path, 'expected a tree object');
  const tree = {
    children_left: numberArray(field(value, 'children_left', path), `${path}.children_left`, true),
    children_right: numberArray(field(value, 'children_right', path), `${path}.children_right`, true),
    feature: numberArray(field(value, 'feature', path), `${path}.feature`, true),
    threshold: numberArray(field(value, 'threshold', path), `${path}.threshold`),
    [extra]: numberArray(field(value, extra, path), `${path}.${extra}`, extra === 'default_left'),
  } as Record<'children_left' | 'children_right' | 'feature' | 'threshold' | K, NumericArray>;
  const nodes = tree.threshold.length;
  if (nodes === 0) fail(path, 'a tree needs at least one node');
  for (const key of ['children_left', 'children_right', 'feature', extra] as const) {
    if (tree[key].length !== nodes) fail(`${path}.${key}`, `has ${tree[key].length} entries, expected ${nodes}`);
  }
  for (let node = 0; node < nodes; node++) {
    const left = tree.children_left[node];
    const right = tree.children_right[node];
    if (left === -1 && right === -1) continue; // a leaf
    // Both libraries number children after their parent; checking that also rules out cycles.
    if (!(left > node && left < nodes && right > node && right < nodes)) {
      fail(`${path} node ${node}`, `children ${left}, ${right} are not nodes after it`);
    }
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
  return { type: 'DictVectorizer', separator, feature_names: names as string[] };
}

function parseRegressor(value: Json, path: string, nFeatures: number): RegressorSpec {
  if (!isObject(value)) fail(path, 'expected a regressor object');
  const type = value.type;
  if (typeof type !== 'string' || !SUPPORTED_REGRESSORS.includes(type)) {
    fail(`${path}.type`, `unsupported estimator ${JSON.stringify(type)}; supported: ${SUPPORTED_REGRESSORS.join(', ')}`);
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
        init: finiteNumber(field(value, 'init', path), `${path}.init`),
        learning_rate: finiteNumber(field(value, 'learning_rate', path), `${path}.learning_rate`),
        trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'value'),
      };
    case 'XGBoost': {
      const link = field(value, 'link', path);
      if (!XGBOOST_LINKS.includes(link as XGBoostSpec['link'])) fail(`${path}.link`, `expected one of ${XGBOOST_LINKS.join(', ')}, got ${JSON.stringify(link)}`);
      const objective = field(value, 'objective', path);
      if (typeof objective !== 'string') fail(`${path}.objective`, 'expected a string');
      return {
        type,
        objective,
        link: link as XGBoostSpec['link'],
        base_margin: finiteNumber(field(value, 'base_margin', path), `${path}.base_margin`),
        trees: parseTrees(field(value, 'trees', path), `${path}.trees`, nFeatures, 'default_left'),
      };
    }
    default: {
      const coef = numberArray(field(value, 'coef', path), `${path}.coef`);
      if (coef.length !== nFeatures) fail(`${path}.coef`, `has ${coef.length} entries, expected ${nFeatures} (one per feature)`);
      return {
        type: type as LinearModelSpec['type'],
        coef,
        intercept: finiteNumber(field(value, 'intercept', path), `${path}.intercept`),
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
    fail('format_version', `this runtime reads version ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(doc.format_version)}; re-export with this project's tools/export_model.py`);
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
