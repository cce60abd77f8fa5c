/**
 * scikit-learn's scalers, before any estimator: StandardScaler, MaxAbsScaler, MinMaxScaler and
 * RobustScaler, each applied with the very operations its `transform` uses, in its order, so
 * the scaled values are the same doubles. On a sparse matrix scikit-learn multiplies each
 * stored value by the reciprocal of the scale (`inplace_column_scale(X, 1 / scale_)`); on a
 * dense one it subtracts the center and divides by the scale. What scikit-learn refuses
 * (centering or MinMaxScaler on a sparse matrix) is refused here too. Inside a
 * ColumnTransformer a scaler takes the ride's numeric columns by name.
 */
import { fail } from '../errors';
import { fitted, flag, instanceOf, ndarray, numberOf } from '../pickle/attributes';
import type { PyObject } from '../pickle/python-object';
import type { SparseRows } from '../sparse-rows';
import { arrayAt, field, finiteNumber, type NumericArray, numberArray, oneOf } from '../spec-checks';
import type { MatrixShape, MatrixStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { numberColumns } from './ride-columns';

const ESTIMATORS = ['StandardScaler', 'MaxAbsScaler', 'MinMaxScaler', 'RobustScaler'] as const;
type Estimator = (typeof ESTIMATORS)[number];

export interface ScalerSpec extends SpecBase {
  readonly type: 'scaler';
  readonly estimator: Estimator;
  /** Subtracted first, on a dense matrix: StandardScaler's mean_ (with_mean), RobustScaler's center_ (with_centering); null when not centering. */
  readonly center: NumericArray | null;
  /** Then divided by (dense) or multiplied by its reciprocal (sparse): scale_; MinMaxScaler multiplies by it. Null when not scaling. */
  readonly scale: NumericArray | null;
  /** MinMaxScaler: added after the scale (min_). */
  readonly offset: NumericArray | null;
  /** The range values are clipped to after (MaxAbsScaler(clip=True): [-1, 1]; MinMaxScaler(clip=True): feature_range); null without clip. */
  readonly clip: readonly [number, number] | null;
}

const MODULE = 'sklearn.preprocessing._data';
const CLASSES: Record<string, Estimator> = Object.fromEntries(ESTIMATORS.map((name) => [`${MODULE}.${name}`, name]));

function fromPickle(object: PyObject, where: string): Omit<ScalerSpec, 'type'> {
  const estimator = CLASSES[object.type];
  const a = instanceOf(object, [object.type], where);
  const on = (name: string, absent?: boolean) => flag(a, name, where, absent);
  /** A fitted array transform always applies: scikit-learn fails on None (`X /= None`), so it is refused here. */
  const required = (name: string) => {
    const value = fitted(a, name, where);
    if (value === null) fail(`${where}.${name}`, 'is None, which transform cannot apply');
    return ndarray(value, `${where}.${name}`).toFloat64Array();
  };
  /** A fitted array transform applies under its flag (`if self.with_mean:`): None with the flag set is refused, as scikit-learn fails on it. */
  const under = (flagName: string, name: string) => {
    if (!on(flagName)) return null;
    const value = a.get(name);
    if (value === null || value === undefined) fail(`${where}.${name}`, `is None with ${flagName}=True, which transform cannot apply`);
    return ndarray(value, `${where}.${name}`).toFloat64Array();
  };
  switch (estimator) {
    case 'StandardScaler': {
      // On a sparse matrix scikit-learn scales by scale_ whenever it is set, whatever with_std says;
      // a fit sets it exactly when with_std is true, so a scale_ that disagrees is refused.
      const scale = under('with_std', 'scale_');
      if (scale === null && a.get('scale_') !== null && a.get('scale_') !== undefined)
        fail(`${where}.scale_`, 'is set with with_std=False, which no fit makes');
      return { estimator, center: under('with_mean', 'mean_'), scale, offset: null, clip: null };
    }
    case 'RobustScaler':
      return {
        estimator,
        center: under('with_centering', 'center_'),
        scale: under('with_scaling', 'scale_'),
        offset: null,
        clip: null,
      };
    case 'MaxAbsScaler':
      // clip came in a later scikit-learn than 1.2: an older pickle has none.
      return { estimator, center: null, scale: required('scale_'), offset: null, clip: on('clip', false) ? [-1, 1] : null };
    default: {
      // A tuple of Python ints or floats: (0, 1) or (0.0, 1.0).
      const range = a.get('feature_range');
      const bounds = Array.isArray(range) ? range.map(numberOf) : range;
      const clip = on('clip', false) ? (arrayAt(bounds, `${where}.feature_range`, 'a (min, max) pair') as [number, number]) : null;
      return { estimator, center: null, scale: required('scale_'), offset: required('min_'), clip };
    }
  }
}

function parse(spec: Record<string, unknown>, path: string): ScalerSpec {
  const optional = (key: string) => (spec[key] === null || spec[key] === undefined ? null : numberArray(spec[key], `${path}.${key}`));
  const clip = spec.clip === null || spec.clip === undefined ? null : arrayAt(spec.clip, `${path}.clip`, 'a [min, max] pair');
  if (clip !== null && clip.length !== 2) fail(`${path}.clip`, 'expected a [min, max] pair');
  const parsed: ScalerSpec = {
    type: 'scaler',
    estimator: oneOf(field(spec, 'estimator', path), ESTIMATORS, `${path}.estimator`),
    center: optional('center'),
    scale: optional('scale'),
    offset: optional('offset'),
    clip: clip === null ? null : [finiteNumber(clip[0], `${path}.clip[0]`), finiteNumber(clip[1], `${path}.clip[1]`)],
  };
  // No fit makes a zero scale (scikit-learn's fit replaces one by 1): dividing by it makes every ride infinite, which the estimator after it refuses.
  if (parsed.scale !== null && Array.prototype.some.call(parsed.scale, (s: number) => s === 0))
    fail(`${path}.scale`, 'holds a 0, which no fit makes: every ride would scale to infinity, which scikit-learn refuses');
  const lengths = [parsed.center, parsed.scale, parsed.offset].filter((a) => a !== null).map((a) => a.length);
  if (new Set(lengths).size > 1) fail(path, `its arrays have different lengths (${lengths.join(', ')})`);
  if (parsed.estimator === 'MinMaxScaler' && (parsed.scale === null || parsed.offset === null))
    fail(path, 'a MinMaxScaler needs scale and offset');
  return parsed;
}

/** The scaling of one value of column j, exactly as scikit-learn's transform computes it for the matrix's layout. */
function columnOperation(spec: ScalerSpec, layout: MatrixShape['layout'], path: string): (value: number, column: number) => number {
  const { estimator, center, offset, clip } = spec;
  const scale = spec.scale === null ? null : Float64Array.from(spec.scale);
  const clamp = clip === null ? (v: number) => v : (v: number) => Math.min(Math.max(v, clip[0]), clip[1]);
  if (layout === 'sparse') {
    if (estimator === 'MinMaxScaler') fail(path, 'MinMaxScaler does not take a sparse matrix (scikit-learn refuses one too)');
    if (estimator === 'StandardScaler' && center !== null) {
      fail(path, 'StandardScaler(with_mean=True) cannot center a sparse matrix (scikit-learn refuses it too): use with_mean=False');
    }
    // inplace_column_scale(X, 1 / scale_): each stored value times the reciprocal; RobustScaler ignores its center here, as scikit-learn does.
    const reciprocal = scale === null ? null : scale.map((s) => 1 / s);
    return reciprocal === null ? (v) => v : (v, j) => clamp(v * reciprocal[j]);
  }
  if (estimator === 'MinMaxScaler') {
    const add = Float64Array.from(offset ?? []);
    return (v, j) => clamp(v * (scale as Float64Array)[j] + add[j]);
  }
  const subtract = center === null ? null : Float64Array.from(center);
  return (v, j) => {
    let x = v;
    if (subtract !== null) x -= subtract[j];
    if (scale !== null) x /= scale[j];
    return clamp(x);
  };
}

function scaled(rows: SparseRows, operation: (value: number, column: number) => number): SparseRows {
  const values = new Float64Array(rows.values.length);
  for (let k = 0; k < values.length; k++) values[k] = operation(rows.values[k], rows.indices[k]);
  return { ...rows, values };
}

function build(spec: ScalerSpec, input: StageInput, path: string): MatrixStage {
  const width = (spec.scale ?? spec.center ?? spec.offset)?.length;
  // Inside a ColumnTransformer: the ride's numeric columns by name, a dense block of them.
  const columns = input.kind === 'rides' ? numberColumns(input.columns, spec.estimator, path) : undefined;
  const shape: MatrixShape =
    input.kind === 'matrix'
      ? input.shape
      : {
          width: columns?.recipes.length ?? 0,
          layout: 'dense',
          groups: Int32Array.from({ length: columns?.recipes.length ?? 0 }, (_, i) => i),
          groupCount: columns?.recipes.length ?? 0,
        };
  if (shape.float32)
    fail(path, `${spec.estimator} after float32 one-hots (OneHotEncoder(dtype=np.float32)) scales in float32, which this runtime does not`);
  if (width !== undefined && width !== shape.width)
    fail(path, `${spec.estimator} was fitted on ${width} columns, but it is given ${shape.width}`);
  const operation = columnOperation(spec, shape.layout, path);
  // A dense matrix's absent columns hold values too: what the same operation makes of them.
  // (Given a DataFrame's columns, every row has all of them: nothing is absent.)
  const absent =
    input.kind === 'matrix' && shape.layout === 'dense'
      ? Float64Array.from({ length: shape.width }, (_, j) => operation(shape.absent?.[j] ?? 0, j))
      : undefined;
  return {
    output: 'matrix',
    name: spec.estimator,
    inputs: columns?.uses ?? [],
    shape: { ...shape, absent },
    transform(batch) {
      if ('kind' in batch) {
        if (columns === undefined) return fail(path, `${spec.estimator} takes a matrix`);
        return scaled(columns.fill(batch.rides, batch.refusals), operation);
      }
      return scaled(batch, operation);
    },
    describe: () => ({ features: shape.width }),
  };
}

export const scaler: Family<ScalerSpec> = {
  classes: CLASSES,
  fromPickle,
  parse,
  signature: () => ({ takes: 'matrix', makes: 'matrix' }),
  build,
};
