/**
 * Trees packed for a fast, exact walk: every node one 24-byte record in WebAssembly memory
 * (children as byte offsets, the feature, the float64 threshold; a leaf keeps its value in
 * the threshold's place and points to itself), walked by the kernel of wasm/tree-walk.wat
 * with four rows in flight. A leaf that points to itself lets every row take the same number
 * of steps (the tree's depth) with no test for the end of its path, and without a branch.
 *
 * Rows with at most two features (the handler's: a PU_DO one-hot and trip_distance) are
 * walked in WebAssembly; any other row by the same walk in JavaScript over the same records.
 */
import type { SparseRows } from './sparse-rows';
import { LEAF } from './tree-arrays';
import { TREE_WALK_WASM } from './wasm/tree-walk.wasm';

/** One tree: its children (LEAF at a leaf), the split features and thresholds, and the leaf values. */
export interface TreeNodes {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  value: ArrayLike<number>;
}

const NODE_BYTES = 24;
const TREE_BYTES = 8;
const ROW_BYTES = 24;
const PAGE_BYTES = 65_536;
/** A node's fields, in 32-bit words and, for the threshold, in 64-bit words. */
const LEFT = 0;
const RIGHT = 1;
const FEATURE = 2;
const THRESHOLD = 2; // in float64 words: byte 16
/** The feature of a leaf, and the column of an unused row slot: never equal to each other or to a column. */
const LEAF_FEATURE = -1;
const NO_COLUMN = -2;
/** The kernel walks rows of at most this many features. */
const KERNEL_FEATURES = 2;

let compiled: WebAssembly.Module | undefined;
/** Compiled once per process (under a millisecond), instantiated per model, each with its own memory. */
const kernel = () => (compiled ??= new WebAssembly.Module(Buffer.from(TREE_WALK_WASM, 'base64')));

interface Kernel {
  memory: WebAssembly.Memory;
  accumulate(trees: number, treeCount: number, rows: number, count: number, out: number, scale: number): void;
}

export class PackedTrees {
  readonly treeCount: number;
  readonly nodeCount: number;
  private readonly kernel: Kernel;
  /** Byte offsets in memory: the tree table, then the rows and outputs of the batch being walked. */
  private readonly treesAt: number;
  private readonly rowsAt: number;

  constructor(trees: readonly TreeNodes[]) {
    this.treeCount = trees.length;
    this.nodeCount = trees.reduce((n, t) => n + t.threshold.length, 0);
    this.treesAt = this.nodeCount * NODE_BYTES;
    this.rowsAt = this.treesAt + this.treeCount * TREE_BYTES;
    this.kernel = new WebAssembly.Instance(kernel()).exports as unknown as Kernel;
    this.reserve(0);
    const words = new Int32Array(this.kernel.memory.buffer);
    const doubles = new Float64Array(this.kernel.memory.buffer);
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
        doubles[(base + node) * (NODE_BYTES / 8) + THRESHOLD] = leaf ? tree.value[node] : tree.threshold[node];
      }
      words[(this.treesAt + t * TREE_BYTES) / 4] = base * NODE_BYTES;
      words[(this.treesAt + t * TREE_BYTES) / 4 + 1] = depth.reduce((max, d) => Math.max(max, d), 0);
      base += tree.threshold.length;
    });
  }

  /**
   * Adds `scale` times each tree's leaf value to `out[r]`, tree by tree in order, for every
   * row: the same additions in the same order as a walk in JavaScript, so the sums agree to
   * the last bit. `round` is applied to each feature value first (Math.fround where the model
   * compares float32 inputs).
   */
  accumulate(rows: SparseRows, out: Float64Array, scale: number, round: (value: number) => number): void {
    const { rowCount, offsets, indices, values } = rows;
    if (rowCount === 0) return;
    let widest = 0;
    for (let r = 0; r < rowCount; r++) widest = Math.max(widest, offsets[r + 1] - offsets[r]);
    if (widest > KERNEL_FEATURES) {
      this.accumulateInJavaScript(rows, out, scale, round);
      return;
    }
    const outAt = this.rowsAt + rowCount * ROW_BYTES;
    this.reserve(rowCount);
    const { buffer } = this.kernel.memory;
    const words = new Int32Array(buffer, this.rowsAt, (rowCount * ROW_BYTES) / 4);
    const doubles = new Float64Array(buffer, this.rowsAt, (rowCount * ROW_BYTES) / 8);
    for (let r = 0; r < rowCount; r++) {
      const start = offsets[r];
      const width = offsets[r + 1] - start;
      const w = r * (ROW_BYTES / 4);
      const d = r * (ROW_BYTES / 8);
      words[w] = width > 0 ? indices[start] : NO_COLUMN;
      words[w + 1] = width > 1 ? indices[start + 1] : NO_COLUMN;
      doubles[d + 1] = width > 0 ? round(values[start]) : 0;
      doubles[d + 2] = width > 1 ? round(values[start + 1]) : 0;
    }
    const sums = new Float64Array(buffer, outAt, rowCount);
    sums.set(out);
    this.kernel.accumulate(this.treesAt, this.treeCount, this.rowsAt, rowCount, outAt, scale);
    out.set(sums);
  }

  /** The same walk, in JavaScript, for rows with more features than the kernel takes. */
  private accumulateInJavaScript(rows: SparseRows, out: Float64Array, scale: number, round: (value: number) => number): void {
    const { offsets, indices, values } = rows;
    const words = new Int32Array(this.kernel.memory.buffer);
    const doubles = new Float64Array(this.kernel.memory.buffer);
    for (let t = 0; t < this.treeCount; t++) {
      const root = words[(this.treesAt + t * TREE_BYTES) / 4] / 4;
      for (let r = 0; r < rows.rowCount; r++) {
        let node = root; // in 32-bit words
        while (words[node + FEATURE] !== LEAF_FEATURE) {
          const feature = words[node + FEATURE];
          let x = 0; // absent from a sparse row: zero
          for (let k = offsets[r]; k < offsets[r + 1]; k++) {
            if (indices[k] === feature) {
              x = round(values[k]);
              break;
            }
          }
          node = (x <= doubles[node / 2 + THRESHOLD] ? words[node + LEFT] : words[node + RIGHT]) / 4;
        }
        out[r] += scale * doubles[node / 2 + THRESHOLD];
      }
    }
  }

  /** Grows the memory to hold the nodes, the tree table, and `rows` rows with their outputs. */
  private reserve(rows: number): void {
    const needed = this.rowsAt + rows * (ROW_BYTES + 8);
    const { memory } = this.kernel;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
  }
}
