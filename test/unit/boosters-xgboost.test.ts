/**
 * The XGBoost reader and evaluator on small hand-made documents: which encoding bytes are in,
 * how a tree is walked (float32 `<`, default directions, a dense matrix's zeros), how the
 * leaves add up (gbtree, dart's two paths, the link), which trees predict uses, and what is
 * refused. test/emulators/boosters-xgboost.test.ts checks the same against xgboost itself.
 */
import { encode } from '@shelacek/ubjson';
import { describe, expect, it } from 'vitest';
import {
  checkFeatureWidth,
  detectXGBoostEncoding,
  readXGBoostModel,
  XGBoostEvaluator,
  type XGBoostSpec,
  xgboostSpecFromDocument,
} from '../../lambda/src/model/boosters';
import type { SparseRows } from '../../lambda/src/model/sparse-rows';

/** A tree: node 0 splits feature 0 at 1.5 (missing left); node 2 splits feature 1 at 0.5 (missing right). */
const tree = (scale = 1) => ({
  left_children: [1, -1, 3, -1, -1],
  right_children: [2, -1, 4, -1, -1],
  split_indices: [0, 0, 1, 0, 0],
  split_conditions: [1.5, 0.25 * scale, 0.5, -0.5 * scale, 1 * scale],
  default_left: [1, 0, 0, 0, 0],
  split_type: [0, 0, 0, 0, 0],
  categories_nodes: [],
  tree_param: { num_nodes: '5', num_feature: '2', size_leaf_vector: '0' },
});

interface DocOptions {
  trees?: unknown[];
  objective?: string;
  baseScore?: string;
  booster?: 'gbtree' | 'dart' | 'gblinear';
  weightDrop?: number[];
  attributes?: Record<string, string>;
  numClass?: string;
  indptr?: number[];
}

function doc(o: DocOptions = {}) {
  // Each tree's id is its place, as XGBoost writes them (a tree that sets its own keeps it).
  const trees = (o.trees ?? [tree(), tree(2)]).map((t, id) => ({ id, ...(t as object) }));
  const model = {
    gbtree_model_param: { num_trees: String(trees.length), num_parallel_tree: '1' },
    trees,
    tree_info: trees.map(() => 0),
    ...(o.indptr && { iteration_indptr: o.indptr }),
  };
  const gbtree = { name: 'gbtree', model };
  const booster = o.booster ?? 'gbtree';
  return {
    version: [1, 7, 4],
    learner: {
      attributes: o.attributes ?? {},
      feature_names: [],
      feature_types: [],
      gradient_booster:
        booster === 'dart' ? { name: 'dart', gbtree, weight_drop: o.weightDrop ?? trees.map(() => 1) } : { ...gbtree, name: booster },
      learner_model_param: { base_score: o.baseScore ?? '5E-1', num_class: o.numClass ?? '0', num_feature: '2', num_target: '1' },
      objective: { name: o.objective ?? 'reg:squarederror' },
    },
  };
}

const spec = (o: DocOptions = {}, api: 'Booster' | 'XGBRegressor' = 'Booster') => xgboostSpecFromDocument(doc(o), { api });

/** Rows of [feature, value] pairs. */
function rowsOf(...rows: [number, number][][]): SparseRows {
  const offsets = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    for (const [f, v] of row) {
      indices.push(f);
      values.push(v);
    }
    offsets.push(indices.length);
  }
  return { rowCount: rows.length, offsets: Int32Array.from(offsets), indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

const predict = (s: XGBoostSpec, rows: SparseRows, absentIsZero = false) =>
  Array.from(new XGBoostEvaluator(s, { absentIsZero }).predict(rows));
const f = Math.fround;

describe('encodings', () => {
  const json = new TextEncoder().encode(JSON.stringify(doc()));
  it.each([
    ['JSON', json, 'json'],
    ['JSON after white space and a byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, 0x0a, 0x20, ...json]), 'json'],
    ['UBJSON', new Uint8Array(encode(doc())), 'ubjson'],
    ['legacy binary with its header', new TextEncoder().encode('binf\0\0\0?'), 'legacy-binary'],
    ['legacy binary in base64', new TextEncoder().encode('bs64AAAA'), 'legacy-binary'],
    ['a 1.0-1.2 pickled booster', new TextEncoder().encode('CONFIG-offset:\0\0\0\0'), 'legacy-pickle'],
    ['random bytes', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), 'unknown'],
  ])('%s', (_, bytes, encoding) => {
    expect(detectXGBoostEncoding(bytes)).toBe(encoding);
  });

  it('legacy binary without a header: the parameter block, then the objective name', () => {
    const bytes = new Uint8Array(136 + 8 + 16);
    new DataView(bytes.buffer).setUint32(136, 16, true);
    bytes.set(new TextEncoder().encode('reg:squarederror'), 144);
    expect(detectXGBoostEncoding(bytes)).toBe('legacy-binary');
  });

  it('JSON and UBJSON read to the same model', () => {
    const rows = rowsOf(
      [[0, 1]],
      [
        [0, 2],
        [1, 0.1],
      ],
      [
        [0, 2],
        [1, 0.9],
      ],
    );
    const fromJson = readXGBoostModel(new TextEncoder().encode(JSON.stringify(doc())), { api: 'Booster' });
    const fromUbjson = readXGBoostModel(new Uint8Array(encode(doc(), { optimizeArrays: true })), { api: 'Booster' });
    expect(predict(fromUbjson, rows)).toEqual(predict(fromJson, rows));
  });

  it('a serialized booster {Config, Model} is read as its Model', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ Config: { learner: {} }, Model: doc() }));
    expect(readXGBoostModel(bytes, { api: 'Booster' }).trees).toHaveLength(2);
    const agreeing = { learner: { gradient_booster: { name: 'gbtree' }, objective: { name: 'reg:squarederror' } } };
    const same = new TextEncoder().encode(JSON.stringify({ Config: agreeing, Model: doc() }));
    expect(readXGBoostModel(same, { api: 'Booster' }).trees).toHaveLength(2);
  });

  it('a serialized booster whose Config names another booster or objective than its Model is refused (XGBoost applies the Config over it)', () => {
    const serialized = (config: object) => new TextEncoder().encode(JSON.stringify({ Config: { learner: config }, Model: doc() }));
    expect(() => readXGBoostModel(serialized({ gradient_booster: { name: 'dart' } }), { api: 'Booster', source: 'h' })).toThrow(
      "h: its Config's gradient_booster is dart but its Model's is gbtree",
    );
    expect(() => readXGBoostModel(serialized({ objective: { name: 'count:poisson' } }), { api: 'Booster', source: 'h' })).toThrow(
      "h: its Config's objective is count:poisson but its Model's is reg:squarederror",
    );
  });

  it('malformed JSON says so; what is no model says that', () => {
    expect(() => readXGBoostModel(new TextEncoder().encode('{"learner": '), { api: 'Booster', source: 'model.json' })).toThrow(
      'model.json: not valid JSON',
    );
    expect(() => readXGBoostModel(new Uint8Array(16), { api: 'Booster', source: 'x' })).toThrow('x is not an XGBoost model');
    expect(() => readXGBoostModel(new TextEncoder().encode('{"a": 1}'), { api: 'Booster' })).toThrow('no "learner" object');
  });
});

describe('the walk and the sum', () => {
  const base = f(0.5);
  it('value < split goes left, an equal value right, in float32', () => {
    const s = spec({ trees: [tree()] });
    // 1.5 + 1e-9 is 1.5 in float32: it goes right, as in XGBoost.
    const rows = rowsOf(
      [[0, 1.4999]],
      [
        [0, 1.5],
        [1, 0.1],
      ],
      [
        [0, 1.5 + 1e-9],
        [1, 0.1],
      ],
      [
        [0, 1.6],
        [1, 0.5],
      ],
    );
    expect(predict(s, rows)).toEqual([f(base + f(0.25)), f(base - 0.5), f(base - 0.5), f(base + 1)]);
  });

  it("a missing value takes the split's default direction; on a dense matrix an absent feature is 0", () => {
    const s = spec({ trees: [tree()] });
    const rows = rowsOf(
      [],
      [[0, 2]],
      [
        [0, Number.NaN],
        [1, 0.1],
      ],
    );
    // Sparse: feature 0 missing goes left; feature 1 missing goes right; NaN is missing.
    expect(predict(s, rows)).toEqual([f(base + 0.25), f(base + 1), f(base + 0.25)]);
    // Dense: absent features are zeros: 0 < 1.5 left; 0 < 0.5 left.
    expect(predict(s, rows, true)).toEqual([f(base + 0.25), f(base - 0.5), f(base + 0.25)]);
  });

  it('gbtree adds the leaves in float32, tree by tree, from the base margin', () => {
    const s = spec({ trees: [tree(), tree(1e-8), tree(3)] });
    expect(predict(s, rowsOf([[0, 1]]))).toEqual([f(f(f(base + 0.25) + f(0.25e-8)) + 0.75)]);
  });

  it('dart: Booster.predict(DMatrix) adds leaf * weight; inplace_predict ((base + leaf) - base) * weight', () => {
    const weights = [0.3, 0.7];
    const dmatrix = spec({ booster: 'dart', weightDrop: weights });
    expect(dmatrix.predictPath).toBe('dmatrix');
    const leaf = [f(0.25), f(0.5)];
    expect(predict(dmatrix, rowsOf([[0, 1]]))).toEqual([f(f(base + f(leaf[0] * f(0.3))) + f(leaf[1] * f(0.7)))]);
    const inplace = spec({ booster: 'dart', weightDrop: weights }, 'XGBRegressor');
    expect(inplace.predictPath).toBe('inplace');
    const term = (l: number, w: number) => f(f(f(base + l) - base) * f(w));
    expect(predict(inplace, rowsOf([[0, 1]]))).toEqual([f(f(base + term(leaf[0], 0.3)) + term(leaf[1], 0.7))]);
  });

  it('exp links: the base margin is log(base_score) in float32, the prediction exp(margin) in float32', () => {
    const s = spec({ trees: [tree()], objective: 'reg:gamma', baseScore: '[1.25E1]' });
    expect(s.baseScore).toBe(12.5);
    expect(s.baseMargin).toBe(f(Math.log(12.5)));
    expect(predict(s, rowsOf([[0, 1]]))).toEqual([f(Math.exp(f(f(Math.log(12.5)) + 0.25)))]);
    expect(() => spec({ objective: 'count:poisson', baseScore: '0' })).toThrow('must be positive for count:poisson');
  });

  it('gblinear: bias + base margin, then weight * value in feature order, in float32; NaN skipped', () => {
    const linear = doc({ booster: 'gblinear' });
    linear.learner.gradient_booster = { name: 'gblinear', model: { weights: [0.5, -1.25, 0.1] } } as never;
    const s = xgboostSpecFromDocument(linear, { api: 'XGBRegressor' });
    expect(s.booster).toBe('gblinear');
    const start = f(f(0.1) + base);
    // The row's entries out of order: XGBoost adds them in feature order.
    expect(
      predict(
        s,
        rowsOf(
          [
            [1, 2],
            [0, 3],
          ],
          [
            [0, Number.NaN],
            [1, 2],
          ],
        ),
      ),
    ).toEqual([f(f(start + f(3 * 0.5)) + f(2 * f(-1.25))), f(start + f(2 * f(-1.25)))]);
    linear.learner.gradient_booster = { name: 'gblinear', model: { weights: [0.5, 0.1] } } as never;
    expect(() => xgboostSpecFromDocument(linear, { api: 'Booster' })).toThrow('has 2 weights, expected 3');
  });

  it('rows of any width: features beyond the model are ignored', () => {
    expect(
      predict(
        spec({ trees: [tree()] }),
        rowsOf([
          [7, 3],
          [0, 1],
        ]),
      ),
    ).toEqual([f(base + 0.25)]);
  });
});

describe('which trees predict uses', () => {
  const trees = [tree(), tree(2), tree(3), tree(4)];
  it('XGBRegressor stops at best_iteration; Booster uses every tree', () => {
    expect(spec({ trees, attributes: { best_iteration: '1' } }, 'XGBRegressor').trees).toHaveLength(2);
    expect(spec({ trees, attributes: { best_iteration: '1' } }, 'Booster').trees).toHaveLength(4);
    expect(
      xgboostSpecFromDocument(doc({ trees, attributes: { best_iteration: '3' } }), { api: 'XGBRegressor', bestIteration: 0 }).trees,
    ).toHaveLength(1);
  });

  it("xgboost 2.x's iteration_indptr says where each round's trees end", () => {
    expect(spec({ trees, indptr: [0, 2, 4], attributes: { best_iteration: '0' } }, 'XGBRegressor').trees).toHaveLength(2);
    expect(() => spec({ trees, indptr: [0, 2, 4], attributes: { best_iteration: '2' } }, 'XGBRegressor')).toThrow('beyond the model');
  });
});

describe('refused, by name', () => {
  it.each<[string, DocOptions, string]>([
    ['a survival objective', { objective: 'survival:cox' }, `XGBoost objective "survival:cox" is a survival model's`],
    ['a ranking objective', { objective: 'rank:ndcg' }, "a ranker's"],
    ['several classes', { objective: 'reg:squarederror', numClass: '3' }, 'several outputs'],
    ['several base scores', { baseScore: '[1E0,2E0]' }, 'holds 2 base scores'],
    ['a prototype key as objective', { objective: 'constructor' }, 'XGBoost objective "constructor" is not one'],
  ])('%s', (_, options, message) => {
    expect(() => spec(options)).toThrow(message);
  });

  it.each<[string, (t: ReturnType<typeof tree>) => void, string]>([
    ['vector leaves', (t) => (t.tree_param.size_leaf_vector = '2'), 'vector leaves'],
    ['a categorical split', (t) => (t.split_type[2] = 1), 'categorical splits'],
    ['a child reached twice', (t) => (t.right_children[0] = 1), 'reached twice'],
    ['a cycle', (t) => (t.left_children[2] = 0), 'reached twice'],
    ['a feature beyond the model', (t) => (t.split_indices[2] = 5), 'splits on feature 5, not one of the 2'],
    ['an infinite leaf', (t) => (t.split_conditions[1] = Number.POSITIVE_INFINITY), 'not a finite number'],
    ['arrays of different lengths', (t) => t.default_left.pop(), 'default_left: has 4 entries, expected 5'],
  ])('a tree with %s', (_, change, message) => {
    const t = tree();
    change(t);
    expect(() => spec({ trees: [t] })).toThrow(message);
  });
});

describe('the width the model was fitted on', () => {
  it("is the model's num_feature; another vectorizer width is refused, as XGBoost refuses such a matrix", () => {
    const s = spec();
    expect(s.numFeatures).toBe(2);
    expect(() => checkFeatureWidth(s, 2, 'XGBRegressor')).not.toThrow();
    expect(() => checkFeatureWidth(s, 3, 'XGBRegressor')).toThrow('XGBRegressor was fitted on 2 features, but the DictVectorizer makes 3');
  });
});
