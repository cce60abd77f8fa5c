/**
 * A fitted model, built: rides in, one duration per ride out. It prepares the features the
 * model was trained on itself (decided at load from the model's own columns), so a caller
 * hands it validated rides and nothing else.
 */
import { type FeatureUse, RECIPES, type Ride } from '../rides/schema';
import { fail } from './errors';
import { buildStage } from './families';
import type { PredictionStage, SpecBase } from './stage';

export interface ModelSummary {
  /** The estimator that predicts: `RandomForestRegressor`, `TransformedTargetRegressor`. */
  estimator: string;
  sklearnVersion?: string;
  [size: string]: string | number | undefined;
}

/** One batch's predictions: a number per ride, NaN where the model refused the ride, with the reason. */
export interface Predictions {
  values: Float64Array;
  refusals: ReadonlyMap<number, string>;
}

export class RideModel {
  /** What was worth saying at load (a tree walk in JavaScript, and why), for the start-up log. */
  readonly notes: readonly string[];
  /** The ride features the model reads, each once, in the schema's order. */
  readonly inputs: readonly FeatureUse[];

  constructor(
    private readonly stage: PredictionStage,
    notes: readonly string[],
    private readonly sklearnVersion?: string,
    /** How the training code gave it rows: as dicts (a DictVectorizer first) or as a DataFrame's rows. */
    readonly inputFormat: 'dicts' | 'frame' = 'dicts',
  ) {
    this.notes = notes;
    const seen = new Set<string>();
    this.inputs = stage.inputs.filter(({ name, as }) => !seen.has(`${name} ${as}`) && seen.add(`${name} ${as}`));
  }

  /** Predicts a batch in one pass, with the reason for each ride the model cannot take. */
  predictBatch(rides: readonly Ride[]): Predictions {
    const refusals = new Map<number, string>();
    const values = this.stage.predict({ kind: 'rides', rides, refusals });
    for (const index of refusals.keys()) values[index] = Number.NaN;
    return { values, refusals };
  }

  /** Predicts a batch; NaN for a ride the model cannot take. */
  predict(rides: readonly Ride[]): Float64Array {
    return this.predictBatch(rides).values;
  }

  /**
   * The rides as the training code's own rows: `{"PU_DO": "130_205", "trip_distance": 3.66}`,
   * each input the model reads, a string where it was a category and a number where it was
   * one (a value the ride does not have is left out). What scikit-learn's `predict` is given to
   * compare with this model's.
   */
  featureRecords(rides: readonly Ride[]): Record<string, string | number>[] {
    return rides.map((ride) =>
      Object.fromEntries(
        this.inputs
          // biome-ignore lint/style/noNonNullAssertion: an input is used as what its recipe makes.
          .map(({ name, as }) => [name, as === 'category' ? RECIPES[name].category!(ride) : RECIPES[name].number!(ride)])
          .filter(([, value]) => value !== undefined),
      ),
    );
  }

  summary(): ModelSummary {
    return { estimator: this.stage.name, sklearnVersion: this.sklearnVersion, ...this.stage.describe() };
  }
}

/** Builds a checked spec into a model that takes rides; refuses one that does not predict from rides. */
export function buildModel(spec: SpecBase, sklearnVersion?: string): RideModel {
  const notes: string[] = [];
  const stage = buildStage(spec, { kind: 'rides' }, 'model', { note: (message) => notes.push(message) });
  if (stage.output !== 'predictions') fail('model', `${stage.name} makes features but predicts nothing: the regressor is missing`);
  return new RideModel(stage, notes, sklearnVersion, inputFormatOf(spec));
}

/** dicts when the first step the rides meet is a DictVectorizer, else a DataFrame's rows (a ColumnTransformer, a booster's named columns). */
function inputFormatOf(spec: SpecBase): 'dicts' | 'frame' {
  const s = spec as SpecBase & { steps?: SpecBase[]; regressor?: SpecBase; estimators?: SpecBase[] };
  const first = s.steps?.[0] ?? s.regressor ?? s.estimators?.[0];
  if (first !== undefined) return inputFormatOf(first);
  return spec.type === 'dict_vectorizer' ? 'dicts' : 'frame';
}
