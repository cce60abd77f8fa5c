/**
 * The checks scikit-learn's Cython `Tree` makes as it is unpickled (`__cinit__` with its
 * arguments, then `__setstate__`), made at the same point: a Tree scikit-learn would refuse to
 * load is refused even where the runtime never reads it.
 */
import { fail as failAt } from '../errors';
import { NdArray, type NumpyDtype } from './numpy';
import { describePython, type PyObject } from './python-object';

const fail = (problem: string): never => failAt('sklearn Tree', problem);

/** A record dtype, field by field: its itemsize, and each field's name, dtype and offset in order. */
interface RecordLayout {
  size: number;
  fields: readonly (readonly [string, string, number])[];
}

/** Tree's node record: scikit-learn before 1.3, and 1.3 and later (with missing_go_to_left). */
const NODE_FIELDS = [
  ['left_child', 'i8', 0],
  ['right_child', 'i8', 8],
  ['feature', 'i8', 16],
  ['threshold', 'f8', 24],
  ['impurity', 'f8', 32],
  ['n_node_samples', 'i8', 40],
  ['weighted_n_node_samples', 'f8', 48],
] as const;
const NODE_LAYOUTS: readonly RecordLayout[] = [
  { size: 56, fields: NODE_FIELDS },
  { size: 64, fields: [...NODE_FIELDS, ['missing_go_to_left', 'u1', 56]] },
];

/**
 * The histogram gradient boosting's node record (PREDICTOR_RECORD_DTYPE): feature_idx an
 * uint32 (scikit-learn 1.0 to 1.2), then an intp. Its Cython predictor reads the records as
 * its struct, and refuses any other layout (overlapping fields among them).
 */
const predictorFields = (featureIndex: 'u4' | 'i8') => {
  const wide = featureIndex === 'i8' ? 4 : 0;
  return {
    size: 52 + wide,
    fields: [
      ['value', 'f8', 0],
      ['count', 'u4', 8],
      ['feature_idx', featureIndex, 12],
      ['num_threshold', 'f8', 16 + wide],
      ['missing_go_to_left', 'u1', 24 + wide],
      ['left', 'u4', 25 + wide],
      ['right', 'u4', 29 + wide],
      ['gain', 'f8', 33 + wide],
      ['depth', 'u4', 41 + wide],
      ['is_leaf', 'u1', 45 + wide],
      ['bin_threshold', 'u1', 46 + wide],
      ['is_categorical', 'u1', 47 + wide],
      ['bitset_idx', 'u4', 48 + wide],
    ],
  } as const;
};
const PREDICTOR_LAYOUTS: readonly RecordLayout[] = [predictorFields('u4'), predictorFields('i8')];

const isLittle = (dtype: NumpyDtype, spec: string) =>
  `${dtype.kind}${dtype.itemSize}` === spec && (dtype.itemSize === 1 ? dtype.byteOrder === '|' : dtype.byteOrder === '<');

/** Whether the records are exactly one of the layouts, little-endian. */
function hasLayout(dtype: NumpyDtype | undefined, layouts: readonly RecordLayout[]): boolean {
  const fields = dtype?.fields;
  if (dtype === undefined || fields === undefined) return false;
  return layouts.some(
    (layout) =>
      layout.size === dtype.itemSize &&
      layout.fields.length === fields.length &&
      layout.fields.every(
        ([name, spec, offset], i) => fields[i].name === name && fields[i].offset === offset && isLittle(fields[i].dtype, spec),
      ),
  );
}

/** Whether the records are exactly scikit-learn's NODE_DTYPE of one of its versions. */
const isNodeLayout = (dtype: NumpyDtype | undefined): boolean => hasLayout(dtype, NODE_LAYOUTS);

/** Whether the records are exactly a histogram gradient boosting's node records, of one of scikit-learn's versions. */
export const isPredictorNodeLayout = (dtype: NumpyDtype | undefined): boolean => hasLayout(dtype, PREDICTOR_LAYOUTS);

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Tree(n_features, n_classes, n_outputs), then its state {max_depth, node_count, nodes, values}, checked as scikit-learn checks them. */
export function checkTreeState(tree: PyObject): void {
  const [features, classes, outputs] = tree.args;
  if (tree.args.length !== 3 || !isCount(features) || !isCount(outputs)) fail(`arguments ${tree.args.map(describePython).join(', ')}`);
  if (!(classes instanceof NdArray) || classes.shape.length !== 1 || classes.size < (outputs as number))
    fail('n_classes is not an array of one per output');
  const state = tree.attributes;
  for (const key of ['max_depth', 'node_count', 'nodes', 'values']) if (!state.has(key)) fail(`its state has no ${key}`);
  const nodes = state.get('nodes');
  const values = state.get('values');
  if (!(nodes instanceof NdArray) || nodes.shape.length !== 1 || !isNodeLayout(nodes.dtype)) {
    fail(`nodes that are not scikit-learn's node records (${describePython(nodes)})`);
  }
  const count = (nodes as NdArray).shape[0];
  if (!isCount(state.get('max_depth'))) fail(`max_depth ${describePython(state.get('max_depth'))}`);
  if (state.get('node_count') !== count) fail(`node_count ${describePython(state.get('node_count'))} for ${count} node records`);
  const maxClasses = (classes as NdArray).toFloat64Array().reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const shape = [count, outputs, maxClasses];
  if (
    !(values instanceof NdArray) ||
    values.dtype === undefined ||
    !isLittle(values.dtype, 'f8') ||
    values.shape.length !== 3 ||
    values.shape.some((d, i) => d !== shape[i])
  ) {
    fail(`values that are not float64 of shape (${shape.join(', ')})`);
  }
}
