/**
 * How a raw prediction becomes a prediction: scikit-learn's link functions, read from the loss
 * object as it was pickled, since `predict` calls that object's `link.inverse`.
 */
import { fail } from '../errors';
import { attributesOf, describePython, type PyGlobal, PyObject } from '../pickle/python-object';
import { cythonLoss } from '../pickle/sklearn-globals';

export const LINKS = ['identity', 'exp'] as const;
export type Link = (typeof LINKS)[number];

/** The inverse of each link class a regression loss may carry. */
const LINK_INVERSES: Readonly<Record<string, Link>> = {
  'sklearn._loss.link.IdentityLink': 'identity',
  'sklearn._loss.link.LogLink': 'exp',
};

/** The common losses of scikit-learn 1.1 and later, and their Cython halves, as pickles name them. */
const COMMON_LOSSES: Readonly<Record<string, string | undefined>> = {
  HalfSquaredError: undefined,
  AbsoluteError: undefined,
  HuberLoss: 'delta',
  PinballLoss: 'quantile',
  HalfPoissonLoss: undefined,
  HalfGammaLoss: undefined,
  HalfTweedieLoss: 'power',
  HalfTweedieLossIdentity: 'power',
};

/** The loss and link classes a regressor's pickle may hold; inert records, read only for their link. */
export const LOSS_CLASSES: readonly (string | PyGlobal)[] = [
  ...Object.keys(COMMON_LOSSES).map((loss) => `sklearn._loss.loss.${loss}`),
  // The Cython halves, which the pickle calls with their parameter (the loss's one number, if any).
  ...Object.entries(COMMON_LOSSES).flatMap(([loss, parameter]) => cythonLoss(loss, parameter)),
  ...Object.keys(LINK_INVERSES),
  'sklearn._loss.link.Interval',
];

/** The inverse link of a pickled common loss (`_loss` of a histogram gradient boosting, `_base_loss` of a GLM). */
export function linkOfLoss(loss: unknown, where: string): Link {
  if (!(loss instanceof PyObject) || !loss.type.startsWith('sklearn._loss.loss.')) {
    return fail(where, `${describePython(loss)} is not a regression loss this runtime serves`);
  }
  const link = attributesOf(loss).get('link');
  const inverse = link instanceof PyObject ? LINK_INVERSES[link.type] : undefined;
  if (inverse === undefined) fail(`${where}.link`, `${describePython(link)} is not a link this runtime serves (IdentityLink or LogLink)`);
  return inverse as Link;
}
