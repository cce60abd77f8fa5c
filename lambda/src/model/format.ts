/*
 * The runtime's model document, model.json (docs/model-format.md): the portable form of a
 * model, for what the function cannot read from the file MLflow logged. Version 2 holds one
 * spec tree (`model`), in the families' own spec format, the same one the pickle reader
 * builds; version 1 (`steps`: a DictVectorizer and one regressor), which tools/export_model.py
 * has written since the first release, is read into the same tree.
 */

import { isObject } from '../is-object';
import { fail } from './errors';
import { parseSpec } from './families';
import { arrayAt, field, objectAt } from './spec-checks';
import type { SpecBase } from './stage';

export { ModelFormatError } from './errors';

export const MODEL_FORMAT = 'sklearn-pipeline-json';
export const MODEL_FORMAT_VERSIONS = [1, 2] as const;
export const MODEL_FILE_NAME = 'model.json';

/** Who wrote a model document, and from what. */
export interface Producer {
  tool?: string;
  sklearn_version?: string;
  source?: string;
  /** The sha256 of the pickle it was exported from: a model.json beside that pickle is served only when it matches. */
  source_sha256?: string;
}

export interface ModelDocument {
  producer?: Producer;
  /** The model's spec tree, checked. */
  model: SpecBase;
}

/** Version 1's regressor types, by the family and estimator they are now. */
const V1_REGRESSORS: Readonly<Record<string, { type: string; estimator: string }>> = {
  LinearRegression: { type: 'linear', estimator: 'LinearRegression' },
  Ridge: { type: 'linear', estimator: 'Ridge' },
  Lasso: { type: 'linear', estimator: 'Lasso' },
  ElasticNet: { type: 'linear', estimator: 'ElasticNet' },
  DecisionTreeRegressor: { type: 'forest', estimator: 'DecisionTreeRegressor' },
  RandomForestRegressor: { type: 'forest', estimator: 'RandomForestRegressor' },
  ExtraTreesRegressor: { type: 'forest', estimator: 'ExtraTreesRegressor' },
  GradientBoostingRegressor: { type: 'gradient_boosting', estimator: 'GradientBoostingRegressor' },
  HistGradientBoostingRegressor: { type: 'hist_gradient_boosting', estimator: 'HistGradientBoostingRegressor' },
  XGBoost: { type: 'xgboost', estimator: 'XGBoost' },
};

/** A version-1 document's two steps, checked, as a pipeline spec. */
function fromVersion1(doc: Record<string, unknown>): SpecBase {
  const steps = arrayAt(field(doc, 'steps', 'model'), 'steps', '[DictVectorizer, regressor]');
  if (steps.length !== 2) fail('steps', 'expected [DictVectorizer, regressor]');
  const [vectorizer, regressor] = steps.map((step, i) => objectAt(step, `steps[${i}]`));
  if (vectorizer.type !== 'DictVectorizer') {
    fail('steps[0].type', `the first step must be a DictVectorizer, got ${JSON.stringify(vectorizer.type)}`);
  }
  const kind =
    typeof regressor.type === 'string' && Object.hasOwn(V1_REGRESSORS, regressor.type) ? V1_REGRESSORS[regressor.type] : undefined;
  if (kind === undefined) {
    fail('steps[1].type', `unsupported estimator ${JSON.stringify(regressor.type)}; supported: ${Object.keys(V1_REGRESSORS).join(', ')}`);
  }
  const { type: _, tree, ...rest } = regressor;
  const steps2 = [
    parseSpec({ ...vectorizer, type: 'dict_vectorizer' }, 'steps[0]'),
    parseSpec({ ...rest, ...kind, ...(tree !== undefined && { trees: [tree] }) }, 'steps[1]'),
  ];
  return { type: 'pipeline', estimator: 'Pipeline', steps: steps2 } as SpecBase;
}

/** Checks a parsed model.json and returns its checked spec tree; throws ModelFormatError naming the bad part. */
export function parseModelDocument(doc: unknown): ModelDocument {
  if (!isObject(doc)) fail('model', 'expected a JSON object');
  if (doc.format !== MODEL_FORMAT) fail('format', `expected ${JSON.stringify(MODEL_FORMAT)}, got ${JSON.stringify(doc.format)}`);
  const version = doc.format_version;
  if (version !== 1 && version !== 2) {
    fail(
      'format_version',
      `this runtime reads versions ${MODEL_FORMAT_VERSIONS.join(' and ')}, got ${JSON.stringify(version)}; re-export with this project's tools/export_model.py`,
    );
  }
  const producer = isObject(doc.producer) ? (doc.producer as Producer) : undefined;
  return { producer, model: version === 1 ? fromVersion1(doc) : parseSpec(field(doc, 'model', 'model'), 'model') };
}
