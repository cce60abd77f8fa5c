/**
 * The Python classes of XGBoost and LightGBM models, by the names their pickles give them,
 * and the globals their state needs besides numpy's: a booster's raw bytes (bytearray) and
 * the dicts of evaluation results (OrderedDict, defaultdict). pickle/allowlist.ts allows them.
 */
import { refuse } from '../errors';
import { describePython, PyByteArray, type PyGlobal, pythonCallable } from '../pickle/python-object';

export const BOOSTER_CLASSES = {
  XGBRegressor: 'xgboost.sklearn.XGBRegressor',
  XGBRFRegressor: 'xgboost.sklearn.XGBRFRegressor',
  XGBoostBooster: 'xgboost.core.Booster',
  LGBMRegressor: 'lightgbm.sklearn.LGBMRegressor',
  LightGBMBooster: 'lightgbm.basic.Booster',
} as const;

export const XGBOOST_SKLEARN_REGRESSORS: readonly string[] = [BOOSTER_CLASSES.XGBRegressor, BOOSTER_CLASSES.XGBRFRegressor];

/** `bytearray(bytes)` (protocols 2 to 4; protocol 5 has an opcode for it), `bytearray(text, 'latin-1')`, `bytearray()`. */
const bytearray = (name: string) =>
  pythonCallable(
    name,
    (...args) => {
      const [data, encoding] = args;
      if (args.length === 0) return new PyByteArray(0);
      if (data instanceof Uint8Array && !(data instanceof PyByteArray) && args.length === 1) return PyByteArray.from(data);
      if (typeof data === 'string' && args.length === 2 && (encoding === 'latin-1' || encoding === 'latin1')) {
        return PyByteArray.from(data, (c) => (c.charCodeAt(0) <= 0xff ? c.charCodeAt(0) : refuse('bytearray text outside latin-1')));
      }
      return refuse(`${name} of ${describePython(data)}`);
    },
    'class',
  );

/** A dict subclass rebuilt as a dict (a Map): its items follow as SETITEMS; `defaultdict(factory)` keeps no factory. */
const dictLike = (name: string) => pythonCallable(name, () => new Map(), 'class');

/** The globals of the booster block of the allowlist. */
export const BOOSTER_GLOBALS: readonly PyGlobal[] = [
  bytearray('builtins.bytearray'),
  dictLike('collections.OrderedDict'),
  dictLike('collections.defaultdict'),
];
