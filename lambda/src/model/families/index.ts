/**
 * Every model family the runtime serves, in one table keyed by the spec's `type`: the only
 * place that routes a pickled class or a model.json spec to the code that reads, checks and
 * evaluates it. A family missing from the table, or filed under another type than its spec's,
 * does not compile.
 *
 * @example
 * ```typescript
 * import { buildStage, parseSpec, specFromPickle } from './families';
 *
 * const spec = specFromPickle(unpickle(bytes), 'model.pkl');  // or parseSpec(json.model, 'model')
 * const stage = buildStage(spec, { kind: 'rides' }, 'model', context);
 * ```
 */
import { fail } from '../errors';
import { activeLimits, chargeSteps } from '../limits';
import { attributesOf, describePython, type PyGlobal, PyObject } from '../pickle/python-object';
import { integerAt, objectAt } from '../spec-checks';
import type { SpecBase, Stage, StageInput } from '../stage';
import { columnTransformer } from './column-transformer';
import { dictVectorizer } from './dict-vectorizer';
import type { BuildContext, Family, ParseContext, PickleContext, Signature } from './family';
import { forest } from './forest';
import { gradientBoosting } from './gradient-boosting';
import { histGradientBoosting } from './hist-gradient-boosting';
import { lightgbm } from './lightgbm';
import { linear } from './linear';
import { oneHotEncoder } from './one-hot-encoder';
import { pipeline } from './pipeline';
import { scaler } from './scaler';
import { transformedTarget } from './transformed-target';
import { voting } from './voting';
import { xgboost } from './xgboost';

export const FAMILIES = {
  // featurizers: rides -> matrix
  dict_vectorizer: dictVectorizer,
  column_transformer: columnTransformer,
  one_hot_encoder: oneHotEncoder,
  // transformers: matrix -> matrix (and a DataFrame's columns -> matrix, in a ColumnTransformer)
  scaler,
  // predictors: matrix -> predictions
  linear,
  forest,
  gradient_boosting: gradientBoosting,
  hist_gradient_boosting: histGradientBoosting,
  xgboost,
  lightgbm,
  // composites: their members' inputs and outputs
  pipeline,
  transformed_target: transformedTarget,
  voting,
} as const;

type Families = typeof FAMILIES;
type SpecOfFamily<F> = F extends Family<infer S> ? S : never;

/** Every spec the runtime serves. */
export type Spec = { [K in keyof Families]: SpecOfFamily<Families[K]> }[keyof Families];

/** Compiles only when every family sits under its own spec's type. */
type FiledUnderItsType = { [K in keyof Families]: SpecOfFamily<Families[K]>['type'] extends K ? true : never };
const filedUnderItsType: FiledUnderItsType = Object.fromEntries(Object.keys(FAMILIES).map((k) => [k, true])) as FiledUnderItsType;
void filedUnderItsType;

type FamilyName = keyof Families;
const familyOf = (type: string): Family<SpecBase> | undefined =>
  Object.hasOwn(FAMILIES, type) ? (FAMILIES[type as FamilyName] as unknown as Family<SpecBase>) : undefined;

/** Each class the families read, with its family: built once, a class claimed twice is a programming error. */
const CLASS_FAMILY: ReadonlyMap<string, FamilyName> = (() => {
  const byClass = new Map<string, FamilyName>();
  for (const [name, family] of Object.entries(FAMILIES) as [FamilyName, Family<SpecBase>][]) {
    for (const pythonClass of Object.keys(family.classes)) {
      if (byClass.has(pythonClass)) throw new Error(`${pythonClass} is claimed by both ${byClass.get(pythonClass)} and ${name}`);
      byClass.set(pythonClass, name);
    }
  }
  return byClass;
})();

/** The Python classes of the estimators the families read. */
export const FAMILY_CLASSES: readonly string[] = [...CLASS_FAMILY.keys()];

/** The other globals their pickles hold, by name or as the global itself (see Family.parts). */
export const FAMILY_PARTS: readonly (string | PyGlobal)[] = Object.values(FAMILIES).flatMap(
  (family: Family<SpecBase>) => family.parts ?? [],
);

/** The estimators served, by their scikit-learn names, for messages. */
export const SERVED_ESTIMATORS: readonly string[] = [
  ...new Set(Object.values(FAMILIES).flatMap((f: Family<SpecBase>) => Object.values(f.classes))),
];

/** Whether an unpickled value is an instance of a class some family reads. */
export const isEstimator = (value: unknown): value is PyObject => value instanceof PyObject && CLASS_FAMILY.has(value.type);

// How deep the estimator being read sits: a pipeline that holds itself (through the pickle's
// memo) or a crafted nesting would otherwise recurse until the call stack runs out.
let depth = 0;

function nested<T>(where: string, read: () => T): T {
  if (depth >= activeLimits().nesting) {
    fail(where, `estimators nested more than ${activeLimits().nesting} deep: an estimator that holds itself, or no real model`);
  }
  depth += 1;
  try {
    return read();
  } finally {
    depth -= 1;
  }
}

const pickleContext: PickleContext = { read: specFromPickle };

/**
 * The spec of an unpickled estimator, read by its family; the number of features it was
 * fitted on (scikit-learn's n_features_in_, set by fit since 0.24) rides along, for the build
 * to check against what the steps before it make.
 */
export function specFromPickle(value: unknown, where: string): SpecBase {
  chargeSteps(1, where);
  return nested(where, () => readSpecFromPickle(value, where));
}

function readSpecFromPickle(value: unknown, where: string): SpecBase {
  const type = value instanceof PyObject ? CLASS_FAMILY.get(value.type) : undefined;
  if (type === undefined)
    return fail(where, `expected an estimator this runtime serves (${SERVED_ESTIMATORS.join(', ')}), got ${describePython(value)}`);
  const object = value as PyObject;
  const width = attributesOf(object).get('n_features_in_');
  if (width !== undefined && typeof width !== 'number')
    fail(`${where}.n_features_in_`, `expected an integer, got ${describePython(width)}`);
  const spec = (FAMILIES[type] as unknown as Family<SpecBase>).fromPickle(object, where, pickleContext);
  return { type, ...spec, ...(width !== undefined && { n_features_in: width }) };
}

const parseContext: ParseContext = { parse: parseSpec };

/** Checks a spec of any family (model.json's, or one read from a pickle); throws ModelFormatError naming the part at fault. */
export function parseSpec(value: unknown, path: string): SpecBase {
  return nested(path, () => parseAnySpec(value, path));
}

function parseAnySpec(value: unknown, path: string): SpecBase {
  const spec = objectAt(value, path, 'a model step (an object with a "type")');
  const family = typeof spec.type === 'string' ? familyOf(spec.type) : undefined;
  if (family === undefined) fail(`${path}.type`, `unknown step ${JSON.stringify(spec.type)}; known: ${Object.keys(FAMILIES).join(', ')}`);
  const parsed = family.parse(spec, path, parseContext);
  const width = spec.n_features_in === undefined ? undefined : integerAt(spec.n_features_in, `${path}.n_features_in`);
  return width === undefined ? parsed : { ...parsed, n_features_in: width };
}

/**
 * Builds the stage of a checked spec for its input. A regressor fitted on another number of
 * features than the steps before it make is refused: it would still walk, reading the wrong
 * columns, and predict nonsense.
 */
export function buildStage(spec: SpecBase, input: StageInput, path: string, context: Omit<BuildContext, 'build'>): Stage {
  const family = familyOf(spec.type);
  if (family === undefined) return fail(`${path}.type`, `unknown step ${JSON.stringify(spec.type)}`);
  const fittedOn = (spec as { n_features_in?: number }).n_features_in;
  if (fittedOn !== undefined && input.kind === 'matrix' && fittedOn !== input.shape.width) {
    fail(
      `${path}.n_features_in`,
      `the ${spec.estimator ?? spec.type} was fitted on ${fittedOn} features, but the steps before it make ${input.shape.width}: ` +
        'they were not fitted together (was the vectorizer fitted again after the model?)',
    );
  }
  return family.build(spec, input, path, {
    ...context,
    build: (child, childInput, childPath) => buildStage(child, childInput, childPath, context),
  });
}

/** What a checked spec takes and makes, without building it: a featurizer, a transformer, a regressor or a whole model. */
export function signatureOf(spec: SpecBase): Signature {
  const family = familyOf(spec.type);
  return family?.signature?.(spec, signatureOf) ?? { takes: 'matrix', makes: 'predictions' };
}
