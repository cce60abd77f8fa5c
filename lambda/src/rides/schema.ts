/**
 * The ride and its features, declared in one place: the fields a producer sends (and how each
 * is checked), and the recipes that make a model's inputs from them. The validator, the
 * features the function prepares, the check that a model's columns can all be filled and the
 * drift monitor all read these two tables; nothing else names a ride field.
 *
 * Adding a field and a feature made from it is one edit here (and its test):
 *
 * @example
 * ```typescript
 * // 1. the field, checked as a count from 0 to 9, optional so that producers not sending it yet are not refused:
 * export const RIDE_FIELDS = { ..., passenger_count: optional(count(9)) };
 * // 2. the feature, as training made it (a number here; `category` for a one-hot):
 * export const FEATURE_RECIPES = { ..., passenger_count: { number: (ride) => ride.passenger_count } };
 * ```
 */
/** What a valid ride is, beyond its shape (the function's LOCATION_ID_MIN/MAX and TRIP_DISTANCE_MAX). */
export interface RideLimits {
  /** The lowest and highest zone id a location may have. */
  locationIdMin: number;
  locationIdMax: number;
  /** The longest trip_distance that is a ride rather than a meter error. */
  tripDistanceMax: number;
}

/**
 * The NYC taxi zones are 1 to 265 (264 and 265 are "unknown" and "outside NYC"). 200 miles is
 * hours beyond any ride the models are trained on (the course keeps rides of 1 to 60
 * minutes); longer readings are meter errors, and a model asked about them extrapolates
 * without bound (1e308 miles "takes" 1.59e308 minutes).
 */
export const DEFAULT_RIDE_LIMITS: RideLimits = { locationIdMin: 1, locationIdMax: 265, tripDistanceMax: 200 };

/** How one field of a ride is checked, with the function's limits. */
export interface FieldRule {
  /** Must be sent as an integer literal (JSON.parse would round `130.00000000000001` to one). */
  readonly integer: boolean;
  /** A ride may leave it out (a field added after producers started sending rides); absent, it is missing to the model. */
  readonly optional?: boolean;
  /** Whether the value is valid. */
  valid(value: number, limits: RideLimits): boolean;
  /** What a valid value is, for the reason a record is refused; given the value, as out-of-range values get their own words. */
  expected(value: unknown, limits: RideLimits): string;
}

/** A taxi zone id, within LOCATION_ID_MIN .. LOCATION_ID_MAX. */
const zone: FieldRule = {
  integer: true,
  valid: (v, { locationIdMin, locationIdMax }) => Number.isInteger(v) && v >= locationIdMin && v <= locationIdMax,
  expected: (v, { locationIdMin, locationIdMax }) =>
    Number.isInteger(v) ? `a zone id from ${locationIdMin} to ${locationIdMax} (LOCATION_ID_MIN to LOCATION_ID_MAX)` : 'an integer',
};

/** A distance in miles, from 0 to TRIP_DISTANCE_MAX. */
const distance: FieldRule = {
  integer: false,
  valid: (v, { tripDistanceMax }) => v >= 0 && v <= tripDistanceMax,
  expected: (v, { tripDistanceMax }) =>
    typeof v === 'number' && v > tripDistanceMax ? `at most ${tripDistanceMax} (TRIP_DISTANCE_MAX)` : 'a finite number >= 0',
};

/** A field a ride may leave out: producers that do not send it yet are not refused. */
export const optional = <R extends FieldRule>(rule: R): R & { readonly optional: true } => ({ ...rule, optional: true });

/**
 * The fields of a ride, in the order producers send them (docs/design.md's input record):
 * every one is a number, required; extra fields are allowed and ignored.
 */
export const RIDE_FIELDS = {
  PULocationID: zone,
  DOLocationID: zone,
  trip_distance: distance,
} as const satisfies Record<string, FieldRule>;

export type RideField = keyof typeof RIDE_FIELDS;

type OptionalField = { [K in RideField]: (typeof RIDE_FIELDS)[K] extends { readonly optional: true } ? K : never }[RideField];

/** One ride, as producers send it (validated): every field a number, the optional ones when sent. */
export type Ride = { readonly [K in Exclude<RideField, OptionalField>]: number } & { readonly [K in OptionalField]?: number };

/** An integer as Python's `str()` writes it, and so as `astype(str)` made it in training. */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]*)$/;
/** Two of them joined by `_`: the course's PU_DO. */
const INTEGER_PAIR_TEXT = /^(?:0|-?[1-9][0-9]*)_(?:0|-?[1-9][0-9]*)$/;

/**
 * How a model's input is made from a ride, as training made it: as a category (the string a
 * one-hot column names, `PULocationID=130`), as a number (a column of its own), or both.
 */
export interface FeatureRecipe {
  /** The category's text, exactly as the training code's `str()` made it; undefined when the ride has none (an optional field not sent). */
  readonly category?: (ride: Ride) => string | undefined;
  /** Every text `category` can make: a one-hot column of any other value can never be filled. */
  readonly categories?: RegExp;
  /** The value, when the feature is a number (a DictVectorizer's own column, a DataFrame's numeric column); undefined: missing. */
  readonly number?: (ride: Ride) => number | undefined;
  /**
   * The category as a number, equal for two rides exactly when their `category` texts are
   * (undefined: this ride's category has no key, its text is used). The drift monitor counts
   * categories by it, as building and hashing each ride's text would cost more than the rest
   * of its work.
   */
  readonly categoryKey?: (ride: Ride) => number | undefined;
}

/** Zone ids below this (NYC's are 1 to 265) pair into keys below 2^18, which the drift monitor looks up in a table. */
const SMALL_ZONES = 1 << 9;
/** Zone ids below this pair into keys above those, still V8 small integers (below 2^30). */
const LARGE_ZONES = 1 << 14;
/** Whether x is an integer from 0 to span - 1 (span a power of two). */
const below = (x: number, span: number) => (x & (span - 1)) === x;
/** Two zone ids as one integer, distinct for distinct pairs; undefined beyond LARGE_ZONES (their text is used). */
const pairKey = (a: number, b: number) =>
  below(a, SMALL_ZONES) && below(b, SMALL_ZONES)
    ? a * SMALL_ZONES + b
    : below(a, LARGE_ZONES) && below(b, LARGE_ZONES)
      ? SMALL_ZONES * SMALL_ZONES + a * LARGE_ZONES + b
      : undefined;

/**
 * The inputs the function can prepare for a model, by the name training gave them (a
 * DictVectorizer's dict keys, a DataFrame's columns). The served model decides, at load, which
 * it uses and how: the course's `{"PU_DO": "130_205", "trip_distance": 3.66}`, week 1's
 * `PULocationID`/`DOLocationID` as strings, numeric zone ids, in any combination.
 */
export const FEATURE_RECIPES = {
  // A zone id is an integer, and String() of distinct integers differs: the id is its own key.
  PULocationID: {
    category: (r) => String(r.PULocationID),
    categoryKey: (r) => r.PULocationID,
    categories: INTEGER_TEXT,
    number: (r) => r.PULocationID,
  },
  DOLocationID: {
    category: (r) => String(r.DOLocationID),
    categoryKey: (r) => r.DOLocationID,
    categories: INTEGER_TEXT,
    number: (r) => r.DOLocationID,
  },
  PU_DO: {
    category: (r) => `${r.PULocationID}_${r.DOLocationID}`,
    categoryKey: (r) => pairKey(r.PULocationID, r.DOLocationID),
    categories: INTEGER_PAIR_TEXT,
  },
  trip_distance: { number: (r) => r.trip_distance },
} as const satisfies Record<string, FeatureRecipe>;

export type FeatureName = keyof typeof FEATURE_RECIPES;

/** The same table, each entry as a FeatureRecipe. */
export const RECIPES: Readonly<Record<FeatureName, FeatureRecipe>> = FEATURE_RECIPES;

/** How a model uses an input: one-hots of its categories, or its value. */
export type FeatureUse = { readonly name: FeatureName; readonly as: 'category' | 'number' };

/** The recipe of a name, when there is one (a model's column names are untrusted text). */
export function recipeOf(name: string): FeatureRecipe | undefined {
  return Object.hasOwn(RECIPES, name) ? RECIPES[name as FeatureName] : undefined;
}

/** Whether a name is one of the recipes' (a model's column names are untrusted text). */
export const isFeatureName = (name: string): name is FeatureName => Object.hasOwn(RECIPES, name);

/** What the function can prepare, in the words of a message. */
export function describeRecipes(): string {
  return Object.entries(RECIPES)
    .map(([name, r]) => [r.category && `${name}=<value> one-hots`, r.number && `${name} as a number`].filter(Boolean).join(' or '))
    .join(', ');
}
