/**
 * scikit-learn's OneHotEncoder, on the DataFrame columns a ColumnTransformer gives it (the
 * zones, as the course's orchestration tutorial and pandas users encode them). A ride's value
 * is matched against the fitted categories by their own type: numbers (an int64 column) by
 * value, strings (an `astype(str)` column) as the recipe's category text. A value the encoder
 * never saw is all zeros with handle_unknown="ignore", and refuses that ride (as scikit-learn
 * refuses the call) with "error". Infrequent-category grouping is refused.
 */
import { type FeatureUse, RECIPES, type Ride } from '../../rides/schema';
import { fail } from '../errors';
import { fitted, flag, instanceOf, sequence, text } from '../pickle/attributes';
import { NdArray, NumpyDtype } from '../pickle/numpy';
import { describePython, isPyGlobal, type PyObject } from '../pickle/python-object';
import type { SparseRows } from '../sparse-rows';
import { arrayAt, booleanAt, field, oneOf } from '../spec-checks';
import type { Batch, MatrixStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { recipeColumn } from './ride-columns';

const HANDLE_UNKNOWN = ['error', 'ignore', 'infrequent_if_exist', 'warn'] as const;

export interface OneHotEncoderSpec extends SpecBase {
  readonly type: 'one_hot_encoder';
  /** One list per input column, as fitted: all strings, or all numbers. */
  readonly categories: readonly (readonly string[] | readonly number[])[];
  /** Per input column, the index of the category dropped (drop="first", "if_binary"), or null. */
  readonly drop: readonly (number | null)[];
  readonly handle_unknown: (typeof HANDLE_UNKNOWN)[number];
  readonly sparse: boolean;
  /** OneHotEncoder(dtype=np.float32): its ones are float32, and so is a matrix made of them alone. */
  readonly float32?: boolean;
}

const CLASS = 'sklearn.preprocessing._encoders.OneHotEncoder';

/** A fitted category array: numbers, or strings (an object array of str); anything mixed is refused. */
function categoriesOf(value: unknown, where: string): string[] | number[] {
  if (!(value instanceof NdArray)) return fail(where, `expected a numpy array, got ${describePython(value)}`);
  if (value.dtype?.kind === 'O') {
    const items = value.items();
    if (!items.every((c) => typeof c === 'string'))
      fail(where, 'mixes strings with other values; only all-string or all-number categories are served');
    return items as string[];
  }
  if (value.dtype?.kind === 'U')
    fail(where, 'numpy unicode categories are not read; the zones were strings of an object column in every model seen');
  // scikit-learn encodes numbers by np.searchsorted, which finds a value only in sorted categories
  // (a NaN category last): in any other order it encodes them otherwise than by value.
  const numbers = Array.from(value.toFloat64Array());
  numbers.forEach((c, i) => {
    const next = numbers[i + 1];
    if (i < numbers.length - 1 && (Number.isNaN(c) || !(c < next || Number.isNaN(next))))
      fail(
        where,
        `numeric categories out of order (${c} before ${next}): scikit-learn's searchsorted would encode them otherwise than by value`,
      );
  });
  return numbers;
}

/** drop_idx_ (after infrequent grouping where scikit-learn keeps both): one index or None per column, or None for no drop. */
function dropOf(value: unknown, columns: number, where: string): (number | null)[] {
  if (value === null || value === undefined) return new Array(columns).fill(null);
  if (!(value instanceof NdArray)) return fail(where, `expected a numpy array, got ${describePython(value)}`);
  const items = value.dtype?.kind === 'O' ? value.items() : Array.from(value.toFloat64Array());
  if (items.length !== columns) fail(where, `${items.length} entries for ${columns} columns`);
  return items.map((d, i) =>
    d === null ? null : Number.isInteger(d) ? (d as number) : fail(`${where}[${i}]`, `expected an index or None, got ${describePython(d)}`),
  );
}

/** The width of the float dtype the encoder writes its ones in: 8 (float64, the default), 4, or undefined for an integer or bool dtype (exact once upcast). */
function floatSize(dtype: unknown, where: string): number | undefined {
  if (dtype === undefined || dtype === null) return 8;
  if (isPyGlobal(dtype)) {
    const name = dtype.pythonName;
    if (['numpy.float64', 'builtins.float'].includes(name)) return 8;
    if (name === 'numpy.float32') return 4;
    if (['numpy.int64', 'numpy.int32', 'numpy.bool_', 'builtins.int', 'builtins.bool'].includes(name)) return undefined;
  }
  if (dtype instanceof NumpyDtype) {
    if (dtype.kind === 'f' && (dtype.itemSize === 8 || dtype.itemSize === 4)) return dtype.itemSize;
    if (dtype.kind === 'i' || dtype.kind === 'u' || dtype.kind === 'b') return undefined;
  }
  return fail(
    `${where}.dtype`,
    `OneHotEncoder(dtype=${describePython(dtype)}) is not served: only float64, float32 and integer one-hots are`,
  );
}

function fromPickle(object: PyObject, where: string): Omit<OneHotEncoderSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  // Read as Python reads `if self._infrequent_enabled:`; absent before scikit-learn 1.1.
  if (flag(a, '_infrequent_enabled', where, false))
    fail(where, 'groups infrequent categories (min_frequency, max_categories), which this runtime does not evaluate');
  const categories = sequence(fitted(a, 'categories_', where), `${where}.categories_`).map((c, i) =>
    categoriesOf(c, `${where}.categories_[${i}]`),
  );
  const drop = dropOf(
    a.has('_drop_idx_after_grouping') ? a.get('_drop_idx_after_grouping') : a.get('drop_idx_'),
    categories.length,
    `${where}.drop_idx_`,
  );
  // sparse_output (1.2 and later), or sparse before it.
  const sparseOutput = a.has('sparse_output') ? a.get('sparse_output') : a.get('sparse');
  return {
    estimator: 'OneHotEncoder',
    categories,
    drop,
    handle_unknown: oneOf(text(a.get('handle_unknown'), `${where}.handle_unknown`), HANDLE_UNKNOWN, `${where}.handle_unknown`),
    sparse: sparseOutput !== false,
    float32: floatSize(a.get('dtype'), where) === 4,
  };
}

function parse(spec: Record<string, unknown>, path: string): OneHotEncoderSpec {
  const categories = arrayAt(field(spec, 'categories', path), `${path}.categories`).map((c, i) => {
    const list = arrayAt(c, `${path}.categories[${i}]`);
    if (!(list.every((v) => typeof v === 'string') || list.every((v) => typeof v === 'number'))) {
      fail(`${path}.categories[${i}]`, 'expected all strings or all numbers');
    }
    if (new Set<unknown>(list).size !== list.length) fail(`${path}.categories[${i}]`, 'has a category twice');
    return list as string[] | number[];
  });
  const drop = arrayAt(field(spec, 'drop', path), `${path}.drop`).map((d, i) =>
    d === null || (Number.isInteger(d) && (d as number) >= 0 && (d as number) < categories[i]?.length)
      ? (d as number | null)
      : fail(`${path}.drop[${i}]`, 'expected a category index or null'),
  );
  if (drop.length !== categories.length) fail(`${path}.drop`, `${drop.length} entries for ${categories.length} columns`);
  return {
    type: 'one_hot_encoder',
    estimator: 'OneHotEncoder',
    categories,
    drop,
    handle_unknown: oneOf(field(spec, 'handle_unknown', path), HANDLE_UNKNOWN, `${path}.handle_unknown`),
    sparse: booleanAt(field(spec, 'sparse', path), `${path}.sparse`),
    float32: spec.float32 === undefined ? false : booleanAt(spec.float32, `${path}.float32`),
  };
}

/** One input column's encoding: its recipe, and each category's output column (none for the dropped one). */
interface Encoded {
  name: FeatureUse['name'];
  key: (ride: Ride) => string | number | undefined;
  columns: Map<string | number, number | undefined>;
}

function build(spec: OneHotEncoderSpec, input: StageInput, path: string): MatrixStage {
  if (input.kind !== 'rides' || input.columns === undefined)
    fail(path, 'a OneHotEncoder takes the columns of a DataFrame (inside a ColumnTransformer)');
  const { columns } = input;
  if (columns.length !== spec.categories.length) fail(path, `fitted on ${spec.categories.length} columns, given ${columns.length}`);
  let width = 0;
  const encoded: Encoded[] = columns.map((column, i) => {
    const name = recipeColumn(column, path);
    const categories = spec.categories[i];
    const numeric = typeof categories[0] === 'number';
    const recipe = RECIPES[name];
    const key = numeric ? recipe.number : recipe.category;
    if (key === undefined)
      fail(path, `${column} is one-hot encoded by ${numeric ? 'number' : 'string'}, which the handler does not prepare it as`);
    // A category the recipe's text can never be ("130.0", from astype(str) of a float column) is a
    // one-hot no ride fills: every ride would be encoded as unknown. Refused, as DictVectorizer's are.
    const never = numeric ? [] : (categories as readonly string[]).filter((c) => recipe.categories?.test(c) === false);
    if (never.length > 0) {
      fail(
        path,
        `${column} has categories the handler never makes from a ride (it writes ${column} as ${recipe.categories}): ` +
          `${never
            .slice(0, 3)
            .map((c) => JSON.stringify(c))
            .join(', ')}${never.length > 3 ? ` and ${never.length - 3} more` : ''}`,
      );
    }
    const map = new Map<string | number, number | undefined>();
    categories.forEach((category, c) => {
      map.set(category, spec.drop[i] === c ? undefined : width++);
    });
    return { name, key, columns: map };
  });
  const uses: FeatureUse[] = encoded.map(({ name }, i) => ({
    name,
    as: typeof spec.categories[i][0] === 'number' ? 'number' : 'category',
  }));
  const refuseUnknown = spec.handle_unknown === 'error';
  const groups = new Int32Array(width);
  encoded.forEach((e, group) => {
    for (const column of e.columns.values()) if (column !== undefined) groups[column] = group;
  });
  return {
    output: 'matrix',
    name: 'OneHotEncoder',
    inputs: uses,
    shape: { width, layout: spec.sparse ? 'sparse' : 'dense', groups, groupCount: encoded.length, float32: spec.float32 === true },
    transform(batch: Batch): SparseRows {
      if (!('kind' in batch)) return fail(path, 'a OneHotEncoder takes rides');
      const { rides, refusals } = batch;
      const offsets = new Int32Array(rides.length + 1);
      const indices = new Int32Array(rides.length * encoded.length);
      let n = 0;
      for (let r = 0; r < rides.length; r++) {
        for (const e of encoded) {
          const value = e.key(rides[r]);
          if (value === undefined || !e.columns.has(value)) {
            if (refuseUnknown && !refusals.has(r)) {
              refusals.set(
                r,
                `${e.name} ${JSON.stringify(value)} is not a category the model's OneHotEncoder was fitted on (handle_unknown="error")`,
              );
            }
            continue;
          }
          const column = e.columns.get(value);
          if (column !== undefined) indices[n++] = column;
        }
        offsets[r + 1] = n;
      }
      return { rowCount: rides.length, offsets, indices: indices.subarray(0, n), values: new Float64Array(n).fill(1) };
    },
    describe: () => ({ features: width }),
  };
}

export const oneHotEncoder: Family<OneHotEncoderSpec> = {
  classes: { [CLASS]: 'OneHotEncoder' },
  fromPickle,
  parse,
  signature: () => ({ takes: 'rides', makes: 'matrix' }),
  build,
};
