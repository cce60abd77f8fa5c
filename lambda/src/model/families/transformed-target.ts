/**
 * scikit-learn's TransformedTargetRegressor: its regressor predicts the transformed target,
 * and `predict` undoes the transform with the fitted transformer's `inverse_transform`. Served
 * for the inverses that are exact here: numpy's `expm1` and `exp` (a model fitted on log1p or
 * log of the duration, the usual way), none (identity), and a StandardScaler's. Any other
 * inverse is refused by name, and so is any but the identity on an XGBRegressor's float32
 * predictions, which numpy inverts in float32.
 */
import { fail } from '../errors';
import { fitted, flag, instanceOf, singleNumber } from '../pickle/attributes';
import { describePython, isPyGlobal, type PyObject, pythonClass } from '../pickle/python-object';
import { functionValue } from '../pickle/sklearn-globals';
import { field, finiteNumber, objectAt, oneOf } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import type { BuildContext, Family, ParseContext, PickleContext } from './family';
import { NUMPY_UFUNCS, ufuncName } from './numpy-functions';

/** How a prediction of the transformed target becomes a duration. */
export type TargetInverse =
  | { readonly kind: 'function'; readonly inverse: (typeof INVERSES)[number] }
  | { readonly kind: 'standard_scaler'; readonly scale?: number; readonly mean?: number };

const INVERSES = ['identity', 'expm1', 'exp'] as const;

export interface TransformedTargetSpec extends SpecBase {
  readonly type: 'transformed_target';
  readonly regressor: SpecBase;
  readonly target: TargetInverse;
}

const CLASS = 'sklearn.compose._target.TransformedTargetRegressor';
const FUNCTION_TRANSFORMER = 'sklearn.preprocessing._function_transformer.FunctionTransformer';
const STANDARD_SCALER = 'sklearn.preprocessing._data.StandardScaler';

/** A FunctionTransformer's inverse_func: one of the exact ones, or a refusal naming it. */
function inverseFunction(a: Map<unknown, unknown>, where: string): TargetInverse {
  const inverse = a.get('inverse_func');
  const kwargs = a.get('inv_kw_args');
  if (kwargs !== undefined && kwargs !== null && !(kwargs instanceof Map && kwargs.size === 0)) {
    fail(`${where}.inv_kw_args`, 'arguments to the inverse function are not served');
  }
  if (inverse === null || inverse === undefined) return { kind: 'function', inverse: 'identity' };
  const name = isPyGlobal(inverse) ? ufuncName(inverse.pythonName) : undefined;
  if (name === 'expm1' || name === 'exp') return { kind: 'function', inverse: name };
  const named = name === undefined ? describePython(inverse) : `numpy.${name}`;
  return fail(
    `${where}.inverse_func`,
    `${named} is not an inverse this runtime serves exactly: numpy.expm1 (func=numpy.log1p), numpy.exp (func=numpy.log), or none`,
  );
}

function fromPickle(object: PyObject, where: string, context: PickleContext): Omit<TransformedTargetSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  const regressor = context.read(fitted(a, 'regressor_', where), `${where}.regressor_`);
  const transformer = fitted(a, 'transformer_', where);
  const here = `${where}.transformer_`;
  const t = instanceOf(transformer, [FUNCTION_TRANSFORMER, STANDARD_SCALER], here);
  if ((transformer as PyObject).type === FUNCTION_TRANSFORMER)
    return { estimator: 'TransformedTargetRegressor', regressor, target: inverseFunction(t, here) };
  // inverse_transform multiplies by scale_ only with with_std, and adds mean_ only with with_mean (mean_ is kept either way).
  const number = (name: string, flagName: string) => {
    if (!flag(t, flagName, here)) return undefined;
    const value = t.get(name);
    if (value === null || value === undefined)
      fail(`${here}.${name}`, `is None with ${flagName}=True, which inverse_transform cannot apply`);
    return singleNumber(value, `${here}.${name}`);
  };
  return {
    estimator: 'TransformedTargetRegressor',
    regressor,
    target: { kind: 'standard_scaler', scale: number('scale_', 'with_std'), mean: number('mean_', 'with_mean') },
  };
}

function parse(spec: Record<string, unknown>, path: string, context: ParseContext): TransformedTargetSpec {
  const target = objectAt(field(spec, 'target', path), `${path}.target`);
  const kind = oneOf(field(target, 'kind', `${path}.target`), ['function', 'standard_scaler'] as const, `${path}.target.kind`);
  const optional = (name: string) => (target[name] === undefined ? undefined : finiteNumber(target[name], `${path}.target.${name}`));
  return {
    type: 'transformed_target',
    estimator: 'TransformedTargetRegressor',
    regressor: context.parse(field(spec, 'regressor', path), `${path}.regressor`),
    target:
      kind === 'function'
        ? { kind, inverse: oneOf(field(target, 'inverse', `${path}.target`), INVERSES, `${path}.target.inverse`) }
        : { kind, scale: optional('scale'), mean: optional('mean') },
  };
}

/**
 * The inverse, applied in place as numpy does: expm1/exp elementwise, or X *= scale_ then
 * X += mean_. On float32 predictions (XGBoost's) numpy computes them in float32, and how
 * depends on the version (scikit-learn 1.9 casts scale_ and mean_ to float32 first, 1.2 does
 * not; numpy's float32 expm1 and exp are its own): only the identity is served on them.
 */
function inverter(target: TargetInverse, float32: boolean, path: string): (values: Float64Array) => void {
  const inverse = target.kind === 'function' ? target.inverse : 'StandardScaler';
  if (float32 && inverse !== 'identity') {
    fail(
      path,
      `its regressor predicts float32 (XGBoost), on which numpy computes the inverse (${inverse}) in float32, whose last bits this runtime does not reproduce`,
    );
  }
  if (target.kind === 'standard_scaler') {
    const { scale, mean } = target;
    return (values) => {
      for (let i = 0; i < values.length; i++) {
        let v = values[i];
        if (scale !== undefined) v *= scale;
        if (mean !== undefined) v += mean;
        values[i] = v;
      }
    };
  }
  const f = { identity: undefined, expm1: Math.expm1, exp: Math.exp }[target.inverse];
  return (values) => {
    if (f) for (let i = 0; i < values.length; i++) values[i] = f(values[i]);
  };
}

function build(spec: TransformedTargetSpec, input: StageInput, path: string, context: BuildContext): PredictionStage {
  const regressor = context.build(spec.regressor, input, `${path}.regressor`);
  if (regressor.output !== 'predictions') fail(`${path}.regressor`, `${regressor.name} does not predict`);
  const float32 = regressor.float32 === true;
  const invert = inverter(spec.target, float32, path);
  const inverse = spec.target.kind === 'function' ? spec.target.inverse : 'StandardScaler';
  return {
    output: 'predictions',
    name: 'TransformedTargetRegressor',
    inputs: regressor.inputs,
    float32,
    predict: (batch) => {
      const values = regressor.predict(batch);
      invert(values);
      return values;
    },
    describe: () => ({ ...regressor.describe(), regressor: regressor.name, inverse }),
  };
}

export const transformedTarget: Family<TransformedTargetSpec> = {
  classes: { [CLASS]: 'TransformedTargetRegressor' },
  parts: [pythonClass(FUNCTION_TRANSFORMER, { estimator: true }), STANDARD_SCALER, ...NUMPY_UFUNCS.map(functionValue)],
  fromPickle,
  parse,
  signature: (spec, of) => ({ takes: of(spec.regressor).takes, makes: 'predictions' }),
  build,
};
