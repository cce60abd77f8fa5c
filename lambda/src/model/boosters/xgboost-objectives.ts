/**
 * XGBoost's regression objectives by how a margin becomes a prediction (the objective's
 * PredTransform) and how base_score becomes the margin the trees add to (ProbToMargin): as
 * it is for the identity ones, log for the ones whose prediction is exp(margin). Both run in
 * float32 in XGBoost; here they are the correctly rounded float32 results. A platform's libm
 * may round its expf/logf the other way (glibc's does for about 1 input in 1,600), so on
 * those inputs XGBoost's own output differs from platform to platform by one float32 step.
 */
export type XGBoostLink = 'identity' | 'exp';

export const XGBOOST_OBJECTIVES: Readonly<Record<string, XGBoostLink>> = {
  'reg:squarederror': 'identity',
  // xgboost before 1.0 (an alias of reg:squarederror, still read by later ones)
  'reg:linear': 'identity',
  'reg:squaredlogerror': 'identity',
  'reg:pseudohubererror': 'identity',
  'reg:absoluteerror': 'identity',
  'reg:quantileerror': 'identity',
  'count:poisson': 'exp',
  'reg:gamma': 'exp',
  'reg:tweedie': 'exp',
};

/** Objectives that are not a regression of a duration, by what they are, for the message that refuses them. */
const NOT_REGRESSION: readonly [RegExp, string][] = [
  [/^(binary|multi|reg:logistic)/, "a classifier's"],
  [/^rank:/, "a ranker's"],
  [/^survival:/, "a survival model's (its prediction is a hazard ratio or a time's distribution, not a duration's value)"],
];

/** Why an objective is refused, naming it and what is served. */
export function refusedObjective(name: string): string {
  const kind = NOT_REGRESSION.find(([pattern]) => pattern.test(name))?.[1];
  return (
    `XGBoost objective ${JSON.stringify(name)} is ${kind ?? 'not one this runtime evaluates'}; ` +
    `served: ${Object.keys(XGBOOST_OBJECTIVES).join(', ')}`
  );
}

/** exp(margin) as XGBoost's float32 PredTransform gives it, correctly rounded. */
export const expFloat32 = (margin: number): number => Math.fround(Math.exp(margin));

/** The margin of base_score: ProbToMargin in float32, correctly rounded. */
export function baseMarginOf(baseScore: number, link: XGBoostLink): number {
  return link === 'exp' ? Math.fround(Math.log(baseScore)) : Math.fround(baseScore);
}
