/**
 * The limits of a model load, far above any real model and far below what would hang or
 * exhaust the function: a model file that reaches one is refused with a message that names
 * it. A pickle can reference one object many times through its memo (a forest of one tree
 * a thousand times), so sizes are counted as values are materialized, not as the file says:
 * each model file is read under one LoadBudget (a directory holds at most 16 candidates, so
 * a load is bounded by 16 of them). docs/model-format.md says how the limits were chosen.
 */
import { ModelFormatError } from './errors';

const MiB = 2 ** 20;

/*
 * Measured: RandomForestRegressor(n_estimators=100, max_depth=None) behind the DictVectorizer,
 * on 100,000 synthetic rides, is 8,063,242 nodes (81,175 in its largest tree), a 581 MB
 * pickle, and 226 MB of typed arrays here (28 bytes a node); its size grows with the rides, so
 * on 300,000 rides it is some 24 million nodes and a 1.7 GB pickle. The limits are 2.5 times
 * that and more.
 */
export const MODEL_LIMITS = {
  /** The model file, checked before it is read (the local file's size, S3's ContentLength). */
  fileBytes: 3072 * MiB,
  /** A compressed joblib file, as it is inflated. */
  inflatedBytes: 3072 * MiB,
  /** The typed arrays made from the pickle's arrays: each copy counts, so an array shared through the memo counts each time it is read. */
  arrayBytes: 2048 * MiB,
  /** Tree nodes over all the trees. */
  nodes: 64_000_000,
  /** Trees (estimators) over the whole model. */
  estimators: 20_000,
  /**
   * Values on the unpickling stack (with its marks), or in its memo, at once. A pickler batches
   * a list's or dict's items by the thousand, and memoizes each object it writes once: a
   * DictVectorizer of 1,500 features and a linear model are 3,011 memo entries, two a feature.
   */
  pickleItems: 4_000_000,
  /**
   * Estimators and steps read from a pickle, over the whole model (a Pipeline of three steps is
   * 4). One shared through the memo counts each time: a pipeline of two copies of a pipeline of
   * two copies... doubles at each level.
   */
  steps: 10_000,
  /** Estimators within estimators (a Pipeline in a TransformedTargetRegressor in a VotingRegressor is 3). */
  nesting: 64,
  /** numpy array dimensions: numpy 1 allows 32 and numpy 2 64; both read 32, and a model's arrays have at most 3. */
  arrayDimensions: 32,
} as const;

export type ModelLimits = { readonly [K in keyof typeof MODEL_LIMITS]: number };

const AMOUNT = new Intl.NumberFormat('en-US');
const bytes = (n: number) => (n >= MiB ? `${AMOUNT.format(Math.round(n / MiB))} MiB` : `${AMOUNT.format(n)} bytes`);

/** What one load has materialized so far, against the limits. */
export class LoadBudget {
  private arrayBytes = 0;
  private nodes = 0;
  private estimators = 0;
  private steps = 0;

  constructor(readonly limits: ModelLimits = MODEL_LIMITS) {}

  chargeArrayBytes(count: number, where: string): void {
    this.arrayBytes += count;
    if (this.arrayBytes > this.limits.arrayBytes) {
      throw new ModelFormatError(
        `${where}: the model's arrays come to more than ${bytes(this.limits.arrayBytes)} as they are read, beyond any real model's (the limit of this runtime)`,
      );
    }
  }

  chargeNodes(count: number, where: string): void {
    this.nodes += count;
    if (this.nodes > this.limits.nodes) {
      throw new ModelFormatError(
        `${where}: the model's trees come to more than ${AMOUNT.format(this.limits.nodes)} nodes, beyond any real model's (the limit of this runtime)`,
      );
    }
  }

  chargeSteps(count: number, where: string): void {
    this.steps += count;
    if (this.steps > this.limits.steps) {
      throw new ModelFormatError(
        `${where}: the model has more than ${AMOUNT.format(this.limits.steps)} estimators and steps, beyond any real model's (the limit of this runtime)`,
      );
    }
  }

  chargeEstimators(count: number, where: string): void {
    this.estimators += count;
    if (this.estimators > this.limits.estimators) {
      throw new ModelFormatError(
        `${where}: the model has more than ${AMOUNT.format(this.limits.estimators)} trees, beyond any real model's (the limit of this runtime)`,
      );
    }
  }
}

// The load in progress. A load is synchronous from the file's bytes to the model document,
// so one budget at a time is the one of the load that is running.
let active: LoadBudget | undefined;

/** Runs one load under a budget; a load inside another (unpickle within readPickledModel) joins the outer one. */
export function withLoadBudget<T>(load: () => T, budget: LoadBudget = new LoadBudget()): T {
  if (active !== undefined) return load();
  active = budget;
  try {
    return load();
  } finally {
    active = undefined;
  }
}

/** The limits of the running load (the defaults outside a load). */
export const activeLimits = (): ModelLimits => active?.limits ?? MODEL_LIMITS;

/** Charges the running load for a typed array of `count` bytes made from the model. */
export const chargeArrayBytes = (count: number, where: string): void => active?.chargeArrayBytes(count, where);
/** Charges the running load for a tree of `count` nodes. */
export const chargeNodes = (count: number, where: string): void => active?.chargeNodes(count, where);
/** Charges the running load for an estimator or step read from the pickle. */
export const chargeSteps = (count: number, where: string): void => active?.chargeSteps(count, where);
/** Charges the running load for `count` trees. */
export const chargeEstimators = (count: number, where: string): void => active?.chargeEstimators(count, where);

/** Refuses a pickle whose unpickling stack or memo has grown past the limit. */
export function pickleItemsExceeded(limit: number, where: 'stack' | 'memo'): never {
  throw new ModelFormatError(
    `the pickle puts more than ${AMOUNT.format(limit)} values on its ${where === 'stack' ? 'unpickling stack' : 'memo'} at once, beyond any real model's (the limit of this runtime)`,
  );
}

/**
 * Refuses an ensemble of more trees than the limit before its trees are read (they are
 * counted against the load as they are checked, in sklearn-trees.ts).
 */
export function checkEstimatorCount(count: number, where: string): void {
  if (count > activeLimits().estimators) new LoadBudget(activeLimits()).chargeEstimators(count, where);
}
