/**
 * scikit-learn's ColumnTransformer, fitted on a pandas DataFrame: each of its transformers
 * takes its columns of the ride (by name, as feature_names_in_ recorded them), and their
 * outputs are stacked side by side in order, the remainder last. The result is sparse or dense
 * as `sparse_output_` decided at fit; in a sparse result the zeros of dense blocks are not
 * stored, as scipy's hstack does. Passthrough columns are the ride's numbers. A
 * ColumnTransformer fitted on an array has no column names to match to the ride, and is refused.
 */
import { type FeatureUse, RECIPES } from '../../rides/schema';
import { fail } from '../errors';
import { fitted, instanceOf, sequence } from '../pickle/attributes';
import { NdArray } from '../pickle/numpy';
import { attributesOf, describePython, PyObject, pythonClass } from '../pickle/python-object';
import { sliceClass } from '../pickle/sklearn-globals';
import type { SparseRows } from '../sparse-rows';
import { arrayAt, booleanAt, field, objectAt, stringArray, stringAt } from '../spec-checks';
import type { Batch, MatrixStage, SpecBase, StageInput } from '../stage';
import type { BuildContext, Family, ParseContext, PickleContext } from './family';
import { numberColumns } from './ride-columns';

/** One transformer of the fitted ColumnTransformer: the DataFrame columns it takes, and what it makes of them. */
export interface ColumnBlock {
  readonly name: string;
  readonly columns: readonly string[];
  /** A fitted transformer's spec, or the columns as they are. */
  readonly transformer: SpecBase | 'passthrough';
}

export interface ColumnTransformerSpec extends SpecBase {
  readonly type: 'column_transformer';
  /** The training DataFrame's columns (feature_names_in_). */
  readonly columns: readonly string[];
  /** The blocks that make output columns, in output order (dropped and empty ones left out). */
  readonly blocks: readonly ColumnBlock[];
  /** sparse_output_: whether the stacked result is a scipy sparse matrix. */
  readonly sparse: boolean;
}

const CLASS = 'sklearn.compose._column_transformer.ColumnTransformer';
const FUNCTION_TRANSFORMER = 'sklearn.preprocessing._function_transformer.FunctionTransformer';
/**
 * scikit-learn 1.5 and 1.6 hold the remainder's columns in this list (a UserList that warns
 * when read, as their type was to change): its `data` is the list of column indices.
 */
const REMAINDER_COLUMNS = 'sklearn.compose._column_transformer._RemainderColsList';

/** A block's columns as names: a list (or array) of names, or of indices into feature_names_in_. */
function columnNames(selection: unknown, names: readonly string[], where: string): string[] {
  const value = selection instanceof PyObject && selection.type === REMAINDER_COLUMNS ? attributesOf(selection).get('data') : selection;
  // A boolean mask selects the columns where it is true; an array of names or indices, those.
  const mask = value instanceof NdArray && value.dtype?.kind === 'b';
  const list =
    value instanceof NdArray
      ? value.dtype?.kind === 'O'
        ? value.items()
        : mask
          ? Array.from(value.toFloat64Array()).flatMap((selected, i) => (selected ? [i] : []))
          : Array.from(value.toFloat64Array())
      : typeof value === 'string'
        ? [value]
        : sequence(value, where);
  if (mask && (value as NdArray).size !== names.length) fail(where, `a mask of ${(value as NdArray).size} columns for ${names.length}`);
  if (Array.isArray(value) && value.some((v) => typeof v === 'boolean')) fail(where, 'a list of booleans: select the columns by name');
  return (list as unknown[]).map((column, i) => {
    if (typeof column === 'string') {
      if (!names.includes(column)) fail(`${where}[${i}]`, `${JSON.stringify(column)} is not one of the DataFrame's columns`);
      return column;
    }
    if (Number.isInteger(column) && (column as number) >= 0 && (column as number) < names.length) return names[column as number];
    return fail(`${where}[${i}]`, `${describePython(column)} selects no column by name or index (only lists of columns are read)`);
  });
}

/** A fitted FunctionTransformer that is the identity (scikit-learn 1.4+ writes a passthrough, the remainder's too, as one). */
function isIdentity(value: unknown): boolean {
  if (!(value instanceof PyObject) || value.type !== FUNCTION_TRANSFORMER) return false;
  const a = attributesOf(value);
  return (a.get('func') ?? null) === null;
}

function fromPickle(object: PyObject, where: string, context: PickleContext): Omit<ColumnTransformerSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  const namesIn = a.get('feature_names_in_');
  if (!(namesIn instanceof NdArray)) {
    fail(
      where,
      'the ColumnTransformer was fitted on an array without column names, so its columns cannot be matched to the ride: fit it on a pandas DataFrame',
    );
  }
  const columns = (namesIn as NdArray)
    .items()
    .map((n, i) => (typeof n === 'string' ? n : fail(`${where}.feature_names_in_[${i}]`, 'expected a column name')));
  if (a.get('transformer_weights') !== null && a.get('transformer_weights') !== undefined)
    fail(where, 'transformer_weights are not served');
  const blocks: ColumnBlock[] = [];
  sequence(fitted(a, 'transformers_', where), `${where}.transformers_`).forEach((entry, i) => {
    const here = `${where}.transformers_[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 3) fail(here, 'expected a (name, transformer, columns) triple');
    const [name, transformer, selection] = entry as [unknown, unknown, unknown];
    const blockColumns = columnNames(selection, columns, `${here}.columns`);
    if (transformer === 'drop' || blockColumns.length === 0) return;
    const block =
      transformer === 'passthrough' || isIdentity(transformer)
        ? ('passthrough' as const)
        : context.read(transformer, `${here} (${String(name)})`);
    blocks.push({ name: String(name), columns: blockColumns, transformer: block });
  });
  const sparse = a.get('sparse_output_');
  return { estimator: 'ColumnTransformer', columns, blocks, sparse: sparse === true || sparse === 1 };
}

function parse(spec: Record<string, unknown>, path: string, context: ParseContext): ColumnTransformerSpec {
  const columns = stringArray(field(spec, 'columns', path), `${path}.columns`);
  const blocks = arrayAt(field(spec, 'blocks', path), `${path}.blocks`).map((value, i) => {
    const here = `${path}.blocks[${i}]`;
    const block = objectAt(value, here);
    const blockColumns = stringArray(field(block, 'columns', here), `${here}.columns`);
    for (const column of blockColumns)
      if (!columns.includes(column)) fail(`${here}.columns`, `${JSON.stringify(column)} is not one of the columns`);
    const transformer = field(block, 'transformer', here);
    return {
      name: stringAt(field(block, 'name', here), `${here}.name`),
      columns: blockColumns,
      transformer: transformer === 'passthrough' ? ('passthrough' as const) : context.parse(transformer, `${here}.transformer`),
    };
  });
  return {
    type: 'column_transformer',
    estimator: 'ColumnTransformer',
    columns,
    blocks,
    sparse: booleanAt(field(spec, 'sparse', path), `${path}.sparse`),
  };
}

/** One block, built: its stage (or the passthrough of its numbers) and where its columns start in the output. */
interface Built {
  transform(batch: Batch): SparseRows;
  width: number;
  groups: Int32Array;
  groupCount: number;
  layout: 'sparse' | 'dense';
  float32: boolean;
  inputs: readonly FeatureUse[];
  name: string;
}

function buildBlock(block: ColumnBlock, path: string, context: BuildContext): Built {
  if (block.transformer === 'passthrough') {
    const columns = numberColumns(block.columns, 'a passthrough', path);
    const width = block.columns.length;
    return {
      transform: (batch) => ('kind' in batch ? columns.fill(batch.rides, batch.refusals) : fail(path, 'a passthrough takes rides')),
      width,
      groups: Int32Array.from({ length: width }, (_, i) => i),
      groupCount: width,
      layout: 'dense',
      float32: false,
      inputs: columns.uses,
      name: 'passthrough',
    };
  }
  const stage = context.build(block.transformer, { kind: 'rides', columns: block.columns }, path);
  if (stage.output !== 'matrix') fail(path, `${stage.name} predicts; a ColumnTransformer's blocks transform`);
  const { shape } = stage;
  if (shape.absent?.some((v) => v !== 0))
    fail(path, `${stage.name} makes a block whose absent values are not 0, which a ColumnTransformer does not stack`);
  return {
    transform: (batch) => stage.transform(batch),
    width: shape.width,
    groups: shape.groups,
    groupCount: shape.groupCount,
    layout: shape.layout,
    float32: shape.float32 === true,
    inputs: stage.inputs,
    name: stage.name,
  };
}

/** The blocks' rows side by side; in a sparse result, a dense block's zeros are not entries (scipy stores none). */
function stack(parts: readonly SparseRows[], starts: readonly number[], dropZeros: readonly boolean[], rowCount: number): SparseRows {
  const total = parts.reduce((n, p) => n + p.values.length, 0);
  const offsets = new Int32Array(rowCount + 1);
  const indices = new Int32Array(total);
  const values = new Float64Array(total);
  let n = 0;
  for (let r = 0; r < rowCount; r++) {
    parts.forEach((part, b) => {
      for (let k = part.offsets[r]; k < part.offsets[r + 1]; k++) {
        if (dropZeros[b] && part.values[k] === 0) continue;
        indices[n] = starts[b] + part.indices[k];
        values[n++] = part.values[k];
      }
    });
    offsets[r + 1] = n;
  }
  return { rowCount, offsets, indices: indices.subarray(0, n), values: values.subarray(0, n) };
}

function build(spec: ColumnTransformerSpec, input: StageInput, path: string, context: BuildContext): MatrixStage {
  if (input.kind !== 'rides' || input.columns !== undefined)
    fail(path, 'a ColumnTransformer must be the first step: it takes the ride as a DataFrame');
  for (const column of spec.columns)
    if (!Object.hasOwn(RECIPES, column))
      fail(path, `the model was trained on a DataFrame column the handler never prepares: ${JSON.stringify(column)}`);
  const built = spec.blocks.map((block, i) => buildBlock(block, `${path}.blocks[${i}] (${block.name})`, context));
  const starts: number[] = [];
  let width = 0;
  let groupCount = 0;
  const groups: number[] = [];
  for (const b of built) {
    starts.push(width);
    width += b.width;
    for (const g of b.groups) groups.push(groupCount + g);
    groupCount += b.groupCount;
  }
  const dropZeros = built.map((b) => spec.sparse && b.layout === 'dense');
  return {
    output: 'matrix',
    name: 'ColumnTransformer',
    inputs: built.flatMap((b) => b.inputs),
    // numpy's and scipy's hstack keep float32 only when every block is float32.
    shape: {
      width,
      layout: spec.sparse ? 'sparse' : 'dense',
      groups: Int32Array.from(groups),
      groupCount,
      float32: built.length > 0 && built.every((b) => b.float32),
    },
    transform(batch) {
      if (!('kind' in batch)) return fail(path, 'a ColumnTransformer takes rides');
      return stack(
        built.map((b) => b.transform(batch)),
        starts,
        dropZeros,
        batch.rides.length,
      );
    },
    describe: () => ({ features: width, blocks: built.map((b) => b.name).join(', ') }),
  };
}

export const columnTransformer: Family<ColumnTransformerSpec> = {
  classes: { [CLASS]: 'ColumnTransformer' },
  // output_indices_ holds slices, never read here.
  parts: [pythonClass(FUNCTION_TRANSFORMER, { estimator: true }), sliceClass('builtins.slice'), REMAINDER_COLUMNS],
  fromPickle,
  parse,
  signature: () => ({ takes: 'rides', makes: 'matrix' }),
  build,
};
