/**
 * scikit-learn's VotingRegressor: the (weighted) average of its members' predictions, as
 * `np.average(predictions, axis=1, weights=...)` computes it: in float32 when every member
 * predicts float32 (XGBRegressors) and there are no weights. Members set to "drop" are not
 * fitted and carry no weight.
 */
import { fail } from '../errors';
import { fitted, instanceOf, numberOf, sequence } from '../pickle/attributes';
import { NdArray } from '../pickle/numpy';
import { describePython, PyObject } from '../pickle/python-object';
import { arrayAt, field, numberArray } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import type { BuildContext, Family, ParseContext, PickleContext } from './family';

export interface VotingSpec extends SpecBase {
  readonly type: 'voting';
  readonly estimators: readonly SpecBase[];
  /** One per member, in order; null: the plain mean. */
  readonly weights: ArrayLike<number> | null;
}

const CLASS = 'sklearn.ensemble._voting.VotingRegressor';

/** The weights of the members that were fitted (scikit-learn's _weights_not_none). */
function fittedWeights(a: Map<unknown, unknown>, where: string): number[] | null {
  const weights = a.get('weights');
  if (weights === null || weights === undefined) return null;
  const all = weights instanceof NdArray ? Array.from(weights.toFloat64Array()) : sequence(weights, `${where}.weights`);
  const declared = sequence(a.get('estimators'), `${where}.estimators`);
  if (declared.length !== all.length) fail(`${where}.weights`, `${all.length} weights for ${declared.length} estimators`);
  const numbers = all.map((w, i) => numberOf(w) ?? fail(`${where}.weights[${i}]`, `expected a number, got ${describePython(w)}`));
  return numbers.filter((_, i) => {
    const member = declared[i];
    return !(Array.isArray(member) && (member[1] === 'drop' || member[1] === null));
  });
}

/**
 * Whether a member predicts a column (rides, 1) rather than a vector: a linear model fitted on
 * a 2-D y (coef_ of shape (1, n)), or a TransformedTargetRegressor that was. np.average over
 * axis 1 then averages each member over the rides, not the members for each ride.
 */
function predictsColumn(member: unknown): boolean {
  if (!(member instanceof PyObject)) return false;
  const a = member.attributes;
  if (member.type === 'sklearn.pipeline.Pipeline') {
    const steps = a.get('steps');
    const last = Array.isArray(steps) ? steps[steps.length - 1] : undefined;
    return Array.isArray(last) && predictsColumn(last[1]);
  }
  if (a.has('_training_dim')) return a.get('_training_dim') !== 1;
  const coef = a.get('coef_');
  return coef instanceof NdArray && coef.shape.length === 2;
}

function fromPickle(object: PyObject, where: string, context: PickleContext): Omit<VotingSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  const members = sequence(fitted(a, 'estimators_', where), `${where}.estimators_`);
  members.forEach((member, i) => {
    if (predictsColumn(member)) {
      fail(
        `${where}.estimators_[${i}]`,
        'predicts a column (it was fitted on a 2-D y), which VotingRegressor averages over the rides rather than the members',
      );
    }
  });
  return {
    estimator: 'VotingRegressor',
    estimators: members.map((member, i) => context.read(member, `${where}.estimators_[${i}]`)),
    weights: fittedWeights(a, where),
  };
}

function parse(spec: Record<string, unknown>, path: string, context: ParseContext): VotingSpec {
  const estimators = arrayAt(field(spec, 'estimators', path), `${path}.estimators`, 'an array of estimators');
  const weights = spec.weights === null || spec.weights === undefined ? null : numberArray(spec.weights, `${path}.weights`);
  if (estimators.length === 0) fail(`${path}.estimators`, 'a voting regressor with no member');
  if (weights !== null && weights.length !== estimators.length)
    fail(`${path}.weights`, `${weights.length} weights for ${estimators.length} estimators`);
  return {
    type: 'voting',
    estimator: 'VotingRegressor',
    estimators: estimators.map((e, i) => context.parse(e, `${path}.estimators[${i}]`)),
    weights,
  };
}

function build(spec: VotingSpec, input: StageInput, path: string, context: BuildContext): PredictionStage {
  const members = spec.estimators.map((member, i) => {
    const stage = context.build(member, input, `${path}.estimators[${i}]`);
    if (stage.output !== 'predictions') fail(`${path}.estimators[${i}]`, `${stage.name} does not predict`);
    return stage;
  });
  const weights = spec.weights === null ? null : Float64Array.from(spec.weights);
  let total = members.length;
  if (weights !== null) {
    total = weights.reduce((sum, w) => sum + w, 0);
    // np.average raises ZeroDivisionError: such a model cannot predict in scikit-learn either.
    if (total === 0 || !Number.isFinite(total)) fail(`${path}.weights`, 'the weights sum to zero');
  }
  // np.asarray of the members' predictions is float32 only when every one is; np.average of it
  // without weights is then a float32 mean (summed in member order, then divided), and with
  // weights (a float64 array) float64.
  const float32 = weights === null && members.every((m) => m.float32 === true);
  const round = float32 ? Math.fround : (v: number) => v;
  return {
    output: 'predictions',
    name: 'VotingRegressor',
    inputs: members.flatMap((m) => m.inputs),
    float32,
    predict(batch) {
      const predictions = members.map((m) => m.predict(batch));
      const out = new Float64Array(predictions[0].length);
      for (let r = 0; r < out.length; r++) {
        let sum = 0;
        for (let m = 0; m < predictions.length; m++)
          sum = round(sum + (weights === null ? predictions[m][r] : predictions[m][r] * weights[m]));
        out[r] = round(sum / total);
      }
      return out;
    },
    describe: () => ({ members: members.map((m) => m.name).join(', ') }),
  };
}

export const voting: Family<VotingSpec> = {
  classes: { [CLASS]: 'VotingRegressor' },
  // Its named_estimators_, a Bunch, is allowed by the unpickler as a dict.
  fromPickle,
  parse,
  signature: (spec, of) => ({ takes: of(spec.estimators[0]).takes, makes: 'predictions' }),
  build,
};
