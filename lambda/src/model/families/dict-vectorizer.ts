/**
 * scikit-learn's DictVectorizer: the course's featurizer. Its vocabulary names the model's
 * columns: `PU_DO=130_205` is a one-hot of PU_DO's category "130_205", `trip_distance` a
 * number. Each column is matched once, at load, to the recipe that fills it; a column no
 * recipe can fill refuses the model, since it would stay 0 for every ride where training saw
 * other values.
 */
import { describeRecipes, RECIPES, recipeOf } from '../../rides/schema';
import { fail } from '../errors';
import { fitted, flag, instanceOf } from '../pickle/attributes';
import { NumpyDtype } from '../pickle/numpy';
import { describePython, isPyGlobal, type PyObject } from '../pickle/python-object';
import { checkVectorizerTransform } from '../pickle/sklearn-predict';
import { booleanAt, field, stringArray, stringAt } from '../spec-checks';
import type { MatrixStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { fillRows, inSchemaOrder, type RecipeColumns, usesOf } from './features';

export interface DictVectorizerSpec extends SpecBase {
  readonly type: 'dict_vectorizer';
  /** Between a feature's name and a string value in a one-hot column's name: `PU_DO=130_205`. */
  readonly separator: string;
  /** The model's columns, in order (the vocabulary's names by index). */
  readonly feature_names: readonly string[];
  /**
   * DictVectorizer(sparse=...): with a dense matrix, a feature absent from a ride is a 0 the
   * model was trained on, not a missing value (it matters to XGBoost). Absent: sparse.
   */
  readonly sparse: boolean;
}

const CLASS = 'sklearn.feature_extraction._dict_vectorizer.DictVectorizer';

/**
 * The float64 types a DictVectorizer may have been given: anything else rounds the features
 * before the model sees them. Its transform calls `self.dtype(value)`, so a dtype instance
 * (`np.dtype("float64")`) fails there in scikit-learn: only the type itself is served.
 */
function isFloat64(dtype: unknown): boolean {
  return isPyGlobal(dtype) && ['numpy.float64', 'builtins.float', '__builtin__.float'].includes(dtype.pythonName);
}

function fromPickle(object: PyObject, where: string): Omit<DictVectorizerSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  const vocabulary = fitted(a, 'vocabulary_', where);
  checkVectorizerTransform(a, where);
  if (!(vocabulary instanceof Map)) return fail(`${where}.vocabulary_`, `expected a dict, got ${describePython(vocabulary)}`);
  const names: string[] = new Array(vocabulary.size);
  for (const [name, index] of vocabulary) {
    if (
      typeof name !== 'string' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= vocabulary.size ||
      names[index as number] !== undefined
    ) {
      fail(`${where}.vocabulary_`, `entry ${describePython(name)}: ${describePython(index)} is not a distinct column index`);
    }
    names[index as number] = name as string;
  }
  const dtype = a.get('dtype');
  if (dtype instanceof NumpyDtype) {
    fail(
      `${where}.dtype`,
      `is the dtype instance numpy.dtype("${dtype.kind}${dtype.itemSize}"), which scikit-learn's transform cannot call: no fit makes it`,
    );
  }
  if (!isFloat64(dtype)) {
    fail(`${where}.dtype`, `DictVectorizer(dtype=${describePython(dtype)}) is not served; only float64 keeps the features exact`);
  }
  return {
    estimator: 'DictVectorizer',
    // Python reads both as attributes: a DictVectorizer without them fails in transform. parse checks the separator's type;
    // sparse is read as transform's `if self.sparse:` reads it.
    separator: fitted(a, 'separator', where) as string,
    sparse: flag(a, 'sparse', where),
    feature_names: names,
  };
}

function parse(spec: Record<string, unknown>, path: string): DictVectorizerSpec {
  return {
    type: 'dict_vectorizer',
    estimator: 'DictVectorizer',
    separator: stringAt(field(spec, 'separator', path), `${path}.separator`),
    feature_names: stringArray(field(spec, 'feature_names', path), `${path}.feature_names`),
    sparse: spec.sparse === undefined ? true : booleanAt(spec.sparse, `${path}.sparse`),
  };
}

/** Columns by the feature they encode, for a message: `PULocationID=* (12 one-hots, such as PULocationID=130)`. */
function describeColumns(columns: readonly string[], separator: string): string {
  if (separator === '') {
    const more = columns.length > 3 ? ` and ${columns.length - 3} more` : '';
    return `${columns.slice(0, 3).join(', ')}${more} (DictVectorizer(separator="") joins a feature and its value with nothing between, so no column says which feature it is)`;
  }
  const byFeature = new Map<string, string[]>();
  for (const column of columns) {
    const at = column.indexOf(separator);
    const feature = at < 0 ? column : column.slice(0, at);
    byFeature.set(feature, [...(byFeature.get(feature) ?? []), column]);
  }
  return [...byFeature]
    .map(([feature, [first, ...rest]]) =>
      first === feature ? feature : `${feature}${separator}* (${rest.length + 1} one-hot${rest.length ? 's' : ''}, such as ${first})`,
    )
    .join(', ');
}

/** The recipe and category a column name stands for, or undefined when no recipe can fill it. */
function matchColumn(name: string, separator: string): { recipe: string; category?: string } | undefined {
  if (recipeOf(name)?.number) return { recipe: name };
  const at = separator === '' ? -1 : name.indexOf(separator);
  for (let i = at; i >= 0; i = name.indexOf(separator, i + 1)) {
    const recipe = recipeOf(name.slice(0, i));
    const category = name.slice(i + separator.length);
    if (recipe?.category && recipe.categories?.test(category)) return { recipe: name.slice(0, i), category };
  }
  return undefined;
}

/** Matches every column to its recipe; refuses a column none can fill, and a feature used both ways. */
export function vectorizerColumns(names: readonly string[], separator: string, path: string): RecipeColumns[] {
  if (names.length === 0) fail(path, 'the model has no features');
  const numbers = new Map<string, number>();
  const categories = new Map<string, Map<string, number>>();
  const foreign: string[] = [];
  names.forEach((name, column) => {
    const match = matchColumn(name, separator);
    if (match === undefined) foreign.push(name);
    else if (match.category === undefined) numbers.set(match.recipe, column);
    else categories.set(match.recipe, (categories.get(match.recipe) ?? new Map()).set(match.category, column));
  });
  if (foreign.length > 0) {
    fail(
      path,
      `the model was trained on features the handler never prepares: ${describeColumns(foreign, separator)}; ` +
        `the handler prepares ${describeRecipes()}`,
    );
  }
  const both = [...numbers.keys()].filter((name) => categories.has(name));
  if (both.length > 0) {
    fail(path, `the vectorizer has ${both.join(', ')} both as a number and as one-hots: which one a ride sends is not known`);
  }
  const recipes: RecipeColumns[] = [
    ...[...numbers].map(([name, column]) => {
      const recipe = RECIPES[name as keyof typeof RECIPES];
      // biome-ignore lint/style/noNonNullAssertion: matched as a number only where the recipe has one.
      return { name: name as keyof typeof RECIPES, as: 'number' as const, value: recipe.number!, column };
    }),
    ...[...categories].map(([name, columns]) => {
      const recipe = RECIPES[name as keyof typeof RECIPES];
      // biome-ignore lint/style/noNonNullAssertion: matched as categories only where the recipe has them.
      return { name: name as keyof typeof RECIPES, as: 'category' as const, category: recipe.category!, columns };
    }),
  ];
  return inSchemaOrder(recipes);
}

function build(spec: DictVectorizerSpec, input: StageInput, path: string): MatrixStage {
  if (input.kind !== 'rides' || input.columns !== undefined)
    fail(path, 'a DictVectorizer must be the first step: it takes the ride as a dict');
  const recipes = vectorizerColumns(spec.feature_names, spec.separator, path);
  const groups = new Int32Array(spec.feature_names.length);
  recipes.forEach((recipe, group) => {
    if (recipe.as === 'number') groups[recipe.column] = group;
    else for (const column of recipe.columns.values()) groups[column] = group;
  });
  return {
    output: 'matrix',
    name: 'DictVectorizer',
    inputs: usesOf(recipes),
    shape: { width: spec.feature_names.length, layout: spec.sparse ? 'sparse' : 'dense', groups, groupCount: recipes.length },
    transform: (batch) => {
      if (!('kind' in batch)) return fail(path, 'a DictVectorizer takes rides');
      return fillRows(batch.rides, recipes);
    },
    describe: () => ({ features: spec.feature_names.length }),
  };
}

export const dictVectorizer: Family<DictVectorizerSpec> = {
  classes: { [CLASS]: 'DictVectorizer' },
  fromPickle,
  parse,
  signature: () => ({ takes: 'rides', makes: 'matrix' }),
  build,
};
