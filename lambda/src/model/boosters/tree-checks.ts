/**
 * The checks every booster tree passes before it is walked: children are nodes of the tree,
 * each reached once from the root (so a walk ends), splits read features the model has, and
 * the values a prediction adds up are finite and of a sane size.
 */
import { fail } from '../errors';
import { MAX_PARAMETER_MAGNITUDE } from '../spec-checks';

/** A finite value of a sane size; `where()` builds the message only when the check fails. */
export function checkValue(value: number, where: () => string): number {
  if (Math.abs(value) <= MAX_PARAMETER_MAGNITUDE) return value;
  if (!Number.isFinite(value)) return fail(where(), `${value} is not a finite number`);
  return fail(where(), `${value} is beyond ${MAX_PARAMETER_MAGNITUDE.toExponential()}, no fitted ride-duration model's`);
}

/**
 * Walks a tree from its root (node 0) and checks that it is one: every child a node of the
 * tree, reached once. XGBoost leaves pruned nodes in its arrays, unreached: they are ignored.
 * `isLeaf`, `child` and `feature` read the tree's own encoding; `children` is how many
 * entries it has.
 */
export function checkTree(
  where: string,
  nodes: number,
  nFeatures: number,
  isLeaf: (node: number) => boolean,
  child: (node: number, side: 0 | 1) => number,
  feature: (node: number) => number,
): void {
  if (nodes === 0) fail(where, 'a tree needs at least one node');
  const seen = new Uint8Array(nodes);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const node = stack.pop() as number;
    if (isLeaf(node)) continue;
    const f = feature(node);
    if (!(Number.isInteger(f) && f >= 0 && f < nFeatures))
      fail(`${where} node ${node}`, `splits on feature ${f}, not one of the ${nFeatures}`);
    for (const side of [0, 1] as const) {
      const next = child(node, side);
      if (!(Number.isInteger(next) && next >= 0 && next < nodes)) fail(`${where} node ${node}`, `child ${next} is not a node of the tree`);
      if (seen[next]++ > 0) fail(`${where} node ${node}`, `child ${next} is reached twice`);
      stack.push(next);
    }
  }
}

/** Integers of a count or index field, as the model files write them: numbers, or strings of digits (XGBoost's parameters). */
export function integerOf(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) return fail(where, `expected an integer, got ${JSON.stringify(value)}`);
  return n;
}
