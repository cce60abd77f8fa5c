import { fail } from '../errors';
import type { MatrixShape, StageInput } from '../stage';

/**
 * The matrix a step takes, or a refusal that says why it cannot take its input: rides (no
 * vectorizer before it), or a sparse matrix where scikit-learn itself refuses one.
 */
export function matrixInput(input: StageInput, estimator: string, path: string, options: { dense?: boolean } = {}): MatrixShape {
  if (input.kind !== 'matrix') {
    fail(
      path,
      `${estimator} takes the matrix of a vectorizer, but nothing before it makes one (a DictVectorizer or ColumnTransformer first)`,
    );
  }
  if (options.dense && input.shape.layout === 'sparse') {
    fail(
      path,
      `${estimator} does not take a sparse matrix (scikit-learn's predict refuses one too): fit it behind DictVectorizer(sparse=False)`,
    );
  }
  return input.shape;
}
