/**
 * LightGBM's text model format: what `Booster.save_model` and `model_to_string` write, and
 * what a pickled `Booster` (alone or in an `LGBMRegressor`) carries in its `_handle`. A
 * header of `key=value` lines, then one `Tree=` block per tree, `end of trees`, feature
 * importances, the parameters, and the Python package's `pandas_categorical:` line. Read and
 * checked here into what an exact prediction needs; anything else is refused by name.
 */
import { fail, ModelFormatError } from '../errors';
import { checkTree, checkValue, integerOf } from './tree-checks';

/** How the raw score (the sum of the trees) becomes a prediction: the objective's ConvertOutput. */
export type LightGBMLink = 'identity' | 'exp' | 'signed-square';

/** The regression objectives by their ConvertOutput; `sqrt` (reg_sqrt) makes an identity one signed-square. */
export const LIGHTGBM_OBJECTIVES: Readonly<Record<string, LightGBMLink>> = {
  regression: 'identity',
  regression_l1: 'identity',
  huber: 'identity',
  fair: 'identity',
  quantile: 'identity',
  mape: 'identity',
  poisson: 'exp',
  gamma: 'exp',
  tweedie: 'exp',
};

/** decision_type's bits (LightGBM's tree.h): categorical, default left, and the missing type above them. */
export const CATEGORICAL_MASK = 1;
export const DEFAULT_LEFT_MASK = 2;
export const MISSING_NONE = 0;
export const MISSING_ZERO = 1;
export const MISSING_NAN = 2;
export const missingType = (decisionType: number) => (decisionType >> 2) & 3;

/** One tree: inner nodes 0 .. numLeaves-2; a child >= 0 is an inner node, a child c < 0 is leaf ~c. */
export interface LightGBMTree {
  numLeaves: number;
  splitFeature: Int32Array;
  threshold: Float64Array;
  decisionType: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  leafValue: Float64Array;
}

export interface LightGBMSpec {
  family: 'lightgbm';
  /** The format's version line: v2, v3, v4. */
  version: string;
  /** The objective line, as written ("regression", "regression sqrt", "poisson"). */
  objective: string;
  link: LightGBMLink;
  /** rf (random forest) mode: the raw score is the mean of the iterations, not their sum. */
  averageOutput: boolean;
  /** The trees predict uses, in order. */
  trees: LightGBMTree[];
  /** Iterations used (what average_output divides by), and in the model. */
  iterations: number;
  totalIterations: number;
  bestIteration?: number;
  numFeatures: number;
  /** feature_names: a DataFrame's columns, or LightGBM's Column_0, Column_1, ... for a bare matrix. */
  featureNames: readonly string[];
  /** True when the names are LightGBM's own Column_<i>: the model was trained on a matrix without names. */
  featureNamesGenerated: boolean;
}

export interface LightGBMReadOptions {
  /**
   * The Booster's best_iteration as the Python object holds it (a pickle's state): predict
   * then uses the first best_iteration iterations. A saved file already holds only those.
   */
  bestIteration?: number;
  /** Names the source in messages. */
  source?: string;
}

/** A number as LightGBM prints one (`%.17g`, or inf/nan as C++ streams them). */
function parseNumber(text: string, where: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  const n = t === '' ? Number.NaN : Number(t);
  if (Number.isNaN(n)) fail(where, `${JSON.stringify(text)} is not a number`);
  return n;
}

const listOf = (line: string | undefined): string[] => (line === undefined || line.trim() === '' ? [] : line.trim().split(/\s+/));

/** The `key=value` lines of a block, stopping at the first line `stop` matches. */
function keyValues(lines: string[], start: number, stop: (line: string) => boolean): { values: Map<string, string>; end: number } {
  const values = new Map<string, string>();
  let i = start;
  for (; i < lines.length && !stop(lines[i]); i++) {
    const line = lines[i];
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
    else if (line.trim() !== '') values.set(line.trim(), '');
  }
  return { values, end: i };
}

function required(values: Map<string, string>, key: string, where: string): string {
  const value = values.get(key);
  if (value === undefined) fail(where, `no ${key}= line`);
  return value as string;
}

function readTree(values: Map<string, string>, where: string, nFeatures: number): LightGBMTree {
  const numLeaves = integerOf(required(values, 'num_leaves', where), `${where} num_leaves`);
  if (numLeaves < 1) fail(where, `num_leaves=${numLeaves}`);
  if (integerOf(values.get('num_cat') ?? '0', `${where} num_cat`) > 0) {
    fail(where, 'LightGBM categorical splits (categorical_feature) are not served; one-hot encode the categories instead');
  }
  if ((values.get('is_linear') ?? '0').trim() !== '0') fail(where, 'linear trees (linear_tree=True) are not served');
  const inner = numLeaves - 1;
  const ints = (key: string) => {
    const items = listOf(values.get(key));
    if (items.length !== inner) fail(`${where} ${key}`, `has ${items.length} entries, expected ${inner}`);
    return Int32Array.from(items, (s) => integerOf(s, `${where} ${key}`));
  };
  const splitFeature = ints('split_feature');
  const left = ints('left_child');
  const right = ints('right_child');
  // LightGBM keeps decision_type in a byte and writes it from 0 to 15: anything else would be read as another byte.
  const decisionTypes = ints('decision_type');
  decisionTypes.forEach((d, i) => {
    if (d < 0 || d > 255) fail(`${where} decision_type[${i}]`, `${d} is not a decision type (one byte of bits)`);
  });
  const decisionType = Uint8Array.from(decisionTypes);
  const thresholds = listOf(values.get('threshold'));
  if (thresholds.length !== inner) fail(`${where} threshold`, `has ${thresholds.length} entries, expected ${inner}`);
  const threshold = Float64Array.from(thresholds, (s) => parseNumber(s, `${where} threshold`));
  const leaves = listOf(required(values, 'leaf_value', where));
  if (leaves.length !== numLeaves) fail(`${where} leaf_value`, `has ${leaves.length} entries, expected ${numLeaves}`);
  const leafValue = Float64Array.from(leaves, (s) => parseNumber(s, `${where} leaf_value`));
  for (let i = 0; i < leafValue.length; i++) checkValue(leafValue[i], () => `${where} leaf_value[${i}]`);
  decisionType.forEach((d, i) => {
    if (d & CATEGORICAL_MASK) fail(`${where} decision_type[${i}]`, 'a categorical split, which is not served');
    if (missingType(d) > MISSING_NAN) fail(`${where} decision_type[${i}]`, `${d} has an unknown missing type`);
  });
  if (inner > 0) {
    // Inner node i is node i, leaf j is node inner + j.
    const node = (child: number) => (child >= 0 ? child : inner + ~child);
    checkTree(
      where,
      inner + numLeaves,
      nFeatures,
      (n) => n >= inner,
      (n, side) => node(side === 0 ? left[n] : right[n]),
      (n) => splitFeature[n],
    );
  }
  return { numLeaves, splitFeature, threshold, decisionType, left, right, leafValue };
}

/** The objective line's link: its first word names it, `sqrt` squares an identity one back. */
function linkOf(objective: string, where: string): LightGBMLink {
  const [name, ...options] = objective.trim().split(/\s+/);
  if (name === undefined || !Object.hasOwn(LIGHTGBM_OBJECTIVES, name)) {
    const kind = /^(binary|multiclass|multiclassova|cross_entropy|cross_entropy_lambda)$/.test(name ?? '')
      ? "a classifier's"
      : /^(lambdarank|rank_xendcg)$/.test(name ?? '')
        ? "a ranker's"
        : name === 'custom'
          ? 'a custom (Python) objective, whose output conversion the model does not hold'
          : 'not one this runtime evaluates';
    return fail(
      where,
      `LightGBM objective ${JSON.stringify(objective)} is ${kind}; served: ${Object.keys(LIGHTGBM_OBJECTIVES).join(', ')}`,
    );
  }
  const link = LIGHTGBM_OBJECTIVES[name];
  if (options.includes('sqrt')) {
    // huber drops sqrt as it loads ("Cannot use sqrt transform in huber Regression"): it never writes one.
    if (link !== 'identity' || name === 'huber')
      fail(where, `LightGBM objective ${JSON.stringify(objective)}: sqrt with ${name} is not served`);
    return 'signed-square';
  }
  return link;
}

/**
 * LightGBM finds the trees by the header's tree_sizes (each Tree= block's length in bytes,
 * with its blank line), not by their Tree= lines: it reads only as many trees as tree_sizes
 * lists, and a block of another length (a hand-edited leaf value, CRLF line ends) makes it
 * read from the wrong place and abort. The blocks must be exactly what tree_sizes says.
 */
function checkTreeSizes(text: string, blockStarts: readonly number[], end: number, sizes: string, where: string): void {
  const declared = listOf(sizes);
  if (declared.length !== blockStarts.length) {
    fail(
      `${where} tree_sizes`,
      `lists ${declared.length} trees, but the model holds ${blockStarts.length}: LightGBM would read only those`,
    );
  }
  const encoder = new TextEncoder();
  blockStarts.forEach((start, i) => {
    const bytes = encoder.encode(text.slice(start, i + 1 < blockStarts.length ? blockStarts[i + 1] : end)).length;
    if (declared[i] !== String(bytes)) {
      fail(
        `${where} tree_sizes`,
        `says tree ${i} is ${declared[i]} bytes, but its block is ${bytes}: LightGBM would not find the trees (was the file edited?)`,
      );
    }
  });
}

/** The pandas_categorical line the Python package appends: null, or [] when no column was categorical. */
function checkPandasCategorical(lines: string[], where: string): void {
  const line = lines.find((l) => l.startsWith('pandas_categorical:'));
  const value = line?.slice('pandas_categorical:'.length).trim();
  if (value !== undefined && value !== 'null' && value !== '[]') {
    fail(
      where,
      'the model was trained on pandas categorical columns (pandas_categorical), which are not served; one-hot encode them instead',
    );
  }
}

/**
 * Reads LightGBM's text model format into a LightGBMSpec; throws ModelFormatError naming
 * what is not served (several classes, categorical or linear trees, pandas categoricals, an
 * objective other than the regression ones).
 *
 * @example
 * const spec = readLightGBMModel(readFileSync('model.lgb', 'utf8'), { source: 'model.lgb' });
 * const model = new LightGBMEvaluator(spec);
 */
export function readLightGBMModel(text: string, options: LightGBMReadOptions = {}): LightGBMSpec {
  const where = options.source ?? 'the LightGBM model';
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') {
    throw new ModelFormatError(`${where} is not a LightGBM text model (it does not start with a "tree" line)`);
  }
  const { values: header, end: headerEnd } = keyValues(lines, 1, (l) => l.startsWith('Tree='));
  const version = header.get('version') ?? 'v1';
  const numClass = integerOf(header.get('num_class') ?? '1', `${where} num_class`);
  const perIteration = integerOf(header.get('num_tree_per_iteration') ?? '1', `${where} num_tree_per_iteration`);
  if (numClass !== 1 || perIteration !== 1) {
    fail(where, `a LightGBM model with several outputs (num_class=${numClass}, num_tree_per_iteration=${perIteration}) is not served`);
  }
  const objective = header.get('objective');
  if (objective === undefined) fail(where, 'no objective= line: a model without an objective (objective="none") is not served');
  const link = linkOf(objective as string, where);
  const numFeatures = integerOf(required(header, 'max_feature_idx', where), `${where} max_feature_idx`) + 1;
  const featureNames = listOf(header.get('feature_names'));
  if (featureNames.length !== numFeatures) fail(`${where} feature_names`, `has ${featureNames.length} names for ${numFeatures} features`);
  // LightGBM refuses a model without a feature_infos line, or with one of another count.
  const featureInfos = listOf(required(header, 'feature_infos', where));
  if (featureInfos.length !== numFeatures) fail(`${where} feature_infos`, `has ${featureInfos.length} entries for ${numFeatures} features`);
  if (header.has('linear_tree') && header.get('linear_tree')?.trim() !== '0') fail(where, 'linear trees (linear_tree=True) are not served');
  checkPandasCategorical(lines, where);

  // Where each line starts in the text, for the blocks' lengths.
  const lineStarts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  const trees: LightGBMTree[] = [];
  const blockStarts: number[] = [];
  let i = headerEnd;
  while (i < lines.length && lines[i].startsWith('Tree=')) {
    blockStarts.push(lineStarts[i]);
    const block = keyValues(lines, i + 1, (l) => l.startsWith('Tree=') || l.startsWith('end of trees'));
    trees.push(readTree(block.values, `${where} ${lines[i].trim()}`, numFeatures));
    i = block.end;
  }
  if (trees.length === 0) fail(where, 'has no trees');
  if (!lines[i]?.startsWith('end of trees')) fail(where, 'is cut short: no "end of trees" line after its trees');
  const treeSizes = header.get('tree_sizes');
  if (treeSizes !== undefined) checkTreeSizes(text, blockStarts, lineStarts[i], treeSizes, where);

  let used = trees.length;
  const best = options.bestIteration;
  if (best !== undefined && best > 0) {
    if (best > trees.length) fail(where, `best_iteration ${best} is beyond the model's ${trees.length} iterations`);
    used = best;
  }
  return {
    family: 'lightgbm',
    version,
    objective: (objective as string).trim(),
    link,
    averageOutput: header.has('average_output'),
    trees: trees.slice(0, used),
    iterations: used,
    totalIterations: trees.length,
    bestIteration: best !== undefined && best > 0 ? best : undefined,
    numFeatures,
    featureNames,
    featureNamesGenerated: featureNames.every((name, f) => name === `Column_${f}`),
  };
}
