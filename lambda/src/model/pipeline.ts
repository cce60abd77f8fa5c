import { DictVectorizer, type FeatureRow } from './dict-vectorizer';
import type { ModelDocument } from './format';
import { LinearModel } from './linear-model';
import type { Regressor } from './sparse-rows';
import { TreeEnsemble } from './tree-ensemble';
import { XGBoostTrees } from './xgboost-trees';

export interface ModelSummary {
  estimator: string;
  features: number;
  sklearnVersion?: string;
  [size: string]: string | number | undefined;
}

/** A fitted DictVectorizer -> regressor pipeline, evaluated natively. */
export class PipelineModel {
  constructor(
    private readonly vectorizer: DictVectorizer,
    private readonly regressor: Regressor,
    private readonly sklearnVersion?: string,
  ) {}

  /** The columns the model was trained on, and the separator of its one-hot columns' names. */
  get features(): { names: readonly string[]; separator: string } {
    return { names: this.vectorizer.featureNames, separator: this.vectorizer.separator };
  }

  /** Predicts all rows in one pass; one number per row, in row order. */
  predict(rows: readonly FeatureRow[]): Float64Array {
    return this.regressor.predict(this.vectorizer.transform(rows));
  }

  summary(): ModelSummary {
    return {
      estimator: this.regressor.kind,
      features: this.vectorizer.featureCount,
      sklearnVersion: this.sklearnVersion,
      ...this.regressor.describe(),
    };
  }
}

export function buildModel(doc: ModelDocument): PipelineModel {
  const [vectorizerSpec, spec] = doc.steps;
  const vectorizer = new DictVectorizer(vectorizerSpec);
  const regressor: Regressor = (() => {
    switch (spec.type) {
      case 'DecisionTreeRegressor':
        return TreeEnsemble.decisionTree(spec);
      case 'RandomForestRegressor':
      case 'ExtraTreesRegressor':
        return TreeEnsemble.forest(spec);
      case 'GradientBoostingRegressor':
        return TreeEnsemble.gradientBoosting(spec);
      case 'HistGradientBoostingRegressor':
        return TreeEnsemble.histGradientBoosting(spec);
      case 'XGBoost':
        // A dense DictVectorizer gave XGBoost a 0 for every absent one-hot, not a missing value.
        return new XGBoostTrees(spec, { absentIsZero: vectorizerSpec.sparse === false });
      default:
        return new LinearModel(spec);
    }
  })();
  return new PipelineModel(vectorizer, regressor, doc.producer?.sklearn_version);
}
