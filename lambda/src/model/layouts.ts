/**
 * How the files users have make one model. A pickle may hold a whole pipeline, or its parts
 * side by side: the course's `(dv, model)` tuple, a `{"dv": ..., "model": ...}` dict, the
 * orchestration tutorial's `model.pickle` (`{"model": ..., "mse": ...}`) beside `dv.pickle`,
 * the course run's `models_mlflow/` beside `preprocessor/preprocessor.b`. Whatever the files,
 * the parts must make exactly one model: one whole model, or one featurizer and one regressor.
 * Anything else is refused, naming what was found where.
 */
import { fail } from './errors';
import { isEstimator, parseSpec, signatureOf, specFromPickle } from './families';
import { NdArray } from './pickle/numpy';
import { attributesOf, describePython, type PyObject } from './pickle/python-object';
import type { SpecBase } from './stage';

/** How a served file was written: a pickle (or joblib file), a model.json, an XGBoost or a LightGBM model file. */
export type ModelFileFormat = 'pickle' | 'json' | 'xgboost' | 'lightgbm';

/** One estimator found in a file, and what it is. */
export interface ModelPart {
  readonly spec: SpecBase;
  /** Where it was found, for messages: the file, and the key or index inside it (`model.pickle["model"]`). */
  readonly from: string;
  /** The key or index of a dict or sequence it is a value of; none when it is the file's whole content. */
  readonly key?: string | number;
  /** The file's full path or S3 URI and how it was written, once the loader knows them. */
  readonly path?: string;
  readonly format?: ModelFileFormat;
  /** The pandas DataFrame columns it was fitted on (feature_names_in_), for the message when nothing before it takes them. */
  readonly fittedOnColumns?: readonly string[];
}

/** feature_names_in_ of an estimator fitted on a DataFrame, when it is one of names. */
function fittedOnColumns(estimator: PyObject): { fittedOnColumns?: string[] } {
  const names = attributesOf(estimator).get('feature_names_in_');
  const columns = names instanceof NdArray && names.dtype?.kind === 'O' ? names.items() : [];
  return columns.length > 0 && columns.every((c) => typeof c === 'string') ? { fittedOnColumns: columns as string[] } : {};
}

/** What a part is, by what it takes and makes. */
export type Role = 'model' | 'featurizer' | 'regressor' | 'transformer';

export function roleOf(spec: SpecBase): Role {
  const { takes, makes } = signatureOf(spec);
  if (takes === 'rides') return makes === 'predictions' ? 'model' : 'featurizer';
  return makes === 'predictions' ? 'regressor' : 'transformer';
}

const quoteKey = (key: string | number) => (typeof key === 'string' ? JSON.stringify(key) : String(key));

/**
 * The estimators a pickle holds: the object itself when it is one, else the values of a dict,
 * a tuple or a list that are (other values, such as a recorded `mse`, are left alone). Each is
 * read by its family.
 */
export function partsOfPickle(root: unknown, file: string): ModelPart[] {
  // Read by the families, then checked as a model.json spec is: one set of checks, whatever the file.
  const read = (value: unknown, from: string) => parseSpec(specFromPickle(value, from), from);
  if (isEstimator(root)) return [{ spec: read(root, file), from: file, ...fittedOnColumns(root) }];
  const entries: [string | number, unknown][] =
    root instanceof Map
      ? ([...root].filter(([key]) => typeof key === 'string') as [string, unknown][])
      : Array.isArray(root)
        ? root.map((value, i) => [i, value])
        : [];
  const parts = entries
    .filter(([, value]) => isEstimator(value))
    .map(([key, value]) => {
      const from = `${file}[${quoteKey(key)}]`;
      return { spec: read(value, from), from, key, ...fittedOnColumns(value as PyObject) };
    });
  if (parts.length === 0) {
    fail(
      file,
      `holds ${describePython(root)}, with no estimator this runtime serves in it (a Pipeline, or a DictVectorizer and a regressor)`,
    );
  }
  return parts;
}

const list = (parts: readonly ModelPart[]) => parts.map((p) => `${p.spec.estimator ?? p.spec.type} (${p.from})`).join(', ');

/** What the parts make, said when they do not make one model. */
function inventory(byRole: Record<Role, ModelPart[]>): string {
  const said = (role: Role, one: string, many: string) => {
    const parts = byRole[role];
    return parts.length === 0 ? [] : [`${parts.length === 1 ? `1 ${one}` : `${parts.length} ${many}`}: ${list(parts)}`];
  };
  return [
    ...said('model', 'whole model', 'whole models'),
    ...said('featurizer', 'vectorizer', 'vectorizers'),
    ...said('regressor', 'regressor', 'regressors'),
    ...said('transformer', 'transformer', 'transformers'),
  ].join('; ');
}

/**
 * The one model the parts make: a whole model alone, or a featurizer and a regressor, joined
 * as the pipeline `[featurizer, regressor]`. Throws a ModelFormatError naming what was found
 * when the parts are ambiguous or incomplete.
 */
export function combineParts(parts: readonly ModelPart[], where: string): { spec: SpecBase; parts: readonly ModelPart[] } {
  const byRole: Record<Role, ModelPart[]> = { model: [], featurizer: [], regressor: [], transformer: [] };
  for (const part of parts) byRole[roleOf(part.spec)].push(part);
  const { model, featurizer, regressor, transformer } = byRole;
  if (model.length === 1 && featurizer.length + regressor.length + transformer.length === 0) return { spec: model[0].spec, parts };
  if (model.length === 0 && featurizer.length === 1 && regressor.length === 1 && transformer.length === 0) {
    return { spec: { type: 'pipeline', estimator: 'Pipeline', steps: [featurizer[0].spec, regressor[0].spec] } as SpecBase, parts };
  }
  const columns = regressor.length === 1 ? regressor[0].fittedOnColumns : undefined;
  if (parts.length === 1 && columns !== undefined) {
    const quoted = columns.map((c) => JSON.stringify(c)).join(', ');
    fail(
      where,
      `${list(regressor)} was fitted on a pandas DataFrame of the columns ${quoted}, with no featurizer before it to make those columns of a ride: ` +
        `fit it as a Pipeline that begins with one, make_pipeline(ColumnTransformer([("columns", "passthrough", [${quoted}])]), model) say, which this runtime serves`,
    );
  }
  if (parts.length === 1 && regressor.length === 1) {
    fail(
      where,
      `${list(regressor)} takes the matrix of a vectorizer, and there is none beside it (a DictVectorizer or ColumnTransformer: ` +
        "pickled with it, in the same directory when it has no MLmodel, or in the run's artifacts when RUN_ID locates the model)",
    );
  }
  const ambiguous = model.length + featurizer.length > 1 || regressor.length > 1 || (model.length > 0 && regressor.length > 0);
  return fail(
    where,
    `the files ${ambiguous ? 'are ambiguous' : 'do not make one model'}: found ${inventory(byRole)}; ` +
      'expected one whole model, or one vectorizer and one regressor',
  );
}
