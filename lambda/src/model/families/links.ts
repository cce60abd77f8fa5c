/**
 * How a raw prediction becomes a prediction: scikit-learn's link functions, read from the loss
 * object as it was pickled, since `predict` calls that object's `link.inverse`.
 */
import { fail } from '../errors';
import { attributesOf, describePython, PyObject } from '../pickle/python-object';

export const LINKS = ['identity', 'exp'] as const;
export type Link = (typeof LINKS)[number];

/** The inverse of each link class a regression loss may carry. */
const LINK_INVERSES: Readonly<Record<string, Link>> = {
  'sklearn._loss.link.IdentityLink': 'identity',
  'sklearn._loss.link.LogLink': 'exp',
};

/** The common losses of scikit-learn 1.1 and later, and their Cython halves, as pickles name them. */
const COMMON_LOSSES = [
  'HalfSquaredError',
  'AbsoluteError',
  'HuberLoss',
  'PinballLoss',
  'HalfPoissonLoss',
  'HalfGammaLoss',
  'HalfTweedieLoss',
  'HalfTweedieLossIdentity',
];

/** The loss and link classes a regressor's pickle may hold; inert records, read only for their link. */
export const LOSS_CLASSES: readonly string[] = [
  ...COMMON_LOSSES.map((loss) => `sklearn._loss.loss.${loss}`),
  ...COMMON_LOSSES.flatMap((loss) => [`sklearn._loss._loss.Cy${loss}`, `sklearn._loss._loss.__pyx_unpickle_Cy${loss}`]),
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
