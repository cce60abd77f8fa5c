/**
 * Trees packed for a fast, exact walk: every node one 24-byte record in WebAssembly memory
 * (children as byte offsets, the feature, the slot of its group in a row, the float64
 * threshold; a leaf keeps its value in the threshold's place and points to itself), walked by
 * the kernel of wasm/tree-walk.wat with four rows in flight. A leaf that points to itself lets
 * every row take the same number of steps (the tree's depth) with no test for the end of its
 * path, and without a branch.
 *
 * A row is one slot per group of columns (the matrix shape's groups: one feature's one-hots,
 * or one numeric column), so a node finds its feature's value in one place whatever the row's
 * width. Where a row has no entry for the feature, the node's direction was decided at load
 * from what an absent column holds (0, or what a scaler before the trees made of 0).
 */
import type { SparseRows } from './sparse-rows';
import type { MatrixShape } from './stage';
import { TREE_WALK_WASM } from './wasm/tree-walk.wasm';

/** One tree: its children (LEAF at a leaf), the split features and thresholds, and the leaf values. */
export interface TreeNodes {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface PackOptions {
  /** The matrix the trees read: its groups place each feature in a row's slot, its absent values decide the walk where a row has no entry. */
  shape: MatrixShape;
  /** Applied to each feature value before it is compared (Math.fround where the model compares float32 inputs). */
  round: (value: number) => number;
}

/** A leaf's children in scikit-learn's arrays. */
const LEAF = -1;
const NODE_BYTES = 24;
const TREE_BYTES = 8;
const SLOT_BYTES = 16;
const PAGE_BYTES = 65_536;
/** A node's fields, in 32-bit words and, for the threshold, in 64-bit words. */
const LEFT = 0;
const RIGHT = 1;
const FEATURE = 2;
const SLOT = 3;
const THRESHOLD = 2; // in float64 words: byte 16
/** The top bit of a node's slot: a row without an entry for the feature goes left. */
const ABSENT_LEFT = 0x8000_0000;
/** The feature of a leaf, and the column of an unused row slot: never equal to each other or to a column. */
const LEAF_FEATURE = -1;
const NO_COLUMN = -2;

let compiled: WebAssembly.Module | undefined;
/** Compiled once per process (under a millisecond), instantiated per model, each with its own memory. */
const kernel = () => (compiled ??= new WebAssembly.Module(Buffer.from(TREE_WALK_WASM, 'base64')));

interface Kernel {
  memory: WebAssembly.Memory;
  accumulate(trees: number, treeCount: number, rows: number, count: number, out: number, scale: number, rowBytes: number): void;
}

export class PackedTrees {
  readonly treeCount: number;
  readonly nodeCount: number;
  private readonly kernel: Kernel;
  private readonly groups: Int32Array;
  private readonly rowBytes: number;
  private readonly round: (value: number) => number;
  /** Byte offsets in memory: the tree table, then the rows and outputs of the batch being walked. */
  private readonly treesAt: number;
  private readonly rowsAt: number;

  constructor(trees: readonly TreeNodes[], { shape, round }: PackOptions) {
    this.treeCount = trees.length;
    this.nodeCount = trees.reduce((n, t) => n + t.threshold.length, 0);
    this.groups = shape.groups;
    this.rowBytes = Math.max(1, shape.groupCount) * SLOT_BYTES;
    this.round = round;
    this.treesAt = this.nodeCount * NODE_BYTES;
    this.rowsAt = this.treesAt + this.treeCount * TREE_BYTES;
    this.kernel = new WebAssembly.Instance(kernel()).exports as unknown as Kernel;
    this.reserve(0);
    const words = new Int32Array(this.kernel.memory.buffer);
    const doubles = new Float64Array(this.kernel.memory.buffer);
    const absentValue = (column: number) => round(shape.absent?.[column] ?? 0);
    let base = 0; // the tree's first node, as a node index
    trees.forEach((tree, t) => {
      const depth = new Int32Array(tree.threshold.length);
      for (let node = 0; node < tree.threshold.length; node++) {
        const at = (base + node) * (NODE_BYTES / 4);
        const leaf = tree.left[node] === LEAF;
        // Children always come after their parent (checked at load), so depths fill in one pass.
        if (!leaf) depth[tree.left[node]] = depth[tree.right[node]] = depth[node] + 1;
        words[at + LEFT] = (base + (leaf ? node : tree.left[node])) * NODE_BYTES;
        words[at + RIGHT] = (base + (leaf ? node : tree.right[node])) * NODE_BYTES;
        words[at + FEATURE] = leaf ? LEAF_FEATURE : tree.feature[node];
        const threshold = leaf ? tree.value[node] : tree.threshold[node];
        doubles[(base + node) * (NODE_BYTES / 8) + THRESHOLD] = threshold;
        if (!leaf) {
          const feature = tree.feature[node];
          const absentLeft = absentValue(feature) <= threshold ? ABSENT_LEFT : 0;
          words[at + SLOT] = (this.groups[feature] * SLOT_BYTES) | absentLeft;
        }
      }
      words[(this.treesAt + t * TREE_BYTES) / 4] = base * NODE_BYTES;
      words[(this.treesAt + t * TREE_BYTES) / 4 + 1] = depth.reduce((max, d) => Math.max(max, d), 0);
      base += tree.threshold.length;
    });
  }

  /**
   * Adds `scale` times each tree's leaf value to `out[r]`, tree by tree in order, for every
   * row: the same additions in the same order as scikit-learn's, so the sums agree to the last
   * bit. Each row has at most one entry per group (the featurizers make them so).
   */
  accumulate(rows: SparseRows, out: Float64Array, scale: number): void {
    const { rowCount, offsets, indices, values } = rows;
    if (rowCount === 0) return;
    const { rowBytes, groups, round } = this;
    const outAt = this.rowsAt + rowCount * rowBytes;
    this.reserve(rowCount);
    const { buffer } = this.kernel.memory;
    const words = new Int32Array(buffer, this.rowsAt, (rowCount * rowBytes) / 4);
    const doubles = new Float64Array(buffer, this.rowsAt, (rowCount * rowBytes) / 8);
    for (let w = 0; w < words.length; w += SLOT_BYTES / 4) words[w] = NO_COLUMN;
    for (let r = 0; r < rowCount; r++) {
      const row = r * rowBytes;
      for (let k = offsets[r]; k < offsets[r + 1]; k++) {
        const slot = row + groups[indices[k]] * SLOT_BYTES;
        words[slot / 4] = indices[k];
        doubles[slot / 8 + 1] = round(values[k]);
      }
    }
    const sums = new Float64Array(buffer, outAt, rowCount);
    sums.set(out);
    this.kernel.accumulate(this.treesAt, this.treeCount, this.rowsAt, rowCount, outAt, scale, rowBytes);
    out.set(sums);
  }

  /** Grows the memory to hold the nodes, the tree table, and `rows` rows with their outputs. */
  private reserve(rows: number): void {
    const needed = this.rowsAt + rows * (this.rowBytes + 8);
    const { memory } = this.kernel;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
  }
}
