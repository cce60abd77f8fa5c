/**
 * UBJSON as XGBoost writes it (`save_model("model.ubj")`, the raw bytes of a pickled booster
 * from xgboost 1.6 on), read with @shelacek/ubjson: its optimized containers (`[$d#...`) come
 * back as typed arrays, so a 20 MB model decodes in a fraction of a second without a JS number
 * per split. XGBoost writes every length, and some integers, as int64 (`L`), which the library
 * hands to the handler below: exact up to 2^53, refused beyond.
 */
import { UbjsonDecoder } from '@shelacek/ubjson';
import { ModelFormatError } from '../errors';

const int64 = ({ view }: { view: DataView }, offset: number): number => {
  const value = view.getBigInt64(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ModelFormatError(`UBJSON holds the integer ${value}, beyond 2^53, which no model of this runtime needs`);
  }
  return Number(value);
};

const decoder = new UbjsonDecoder({ int64Handling: int64, highPrecisionNumberHandling: 'error', useTypedArrays: true });

/**
 * The value a UBJSON document holds: objects as plain objects, strongly typed arrays of numbers
 * as typed arrays (Int8, Uint8, Int16, Int32, Float32, Float64), others as arrays.
 * Throws ModelFormatError when the bytes are not UBJSON.
 *
 * @example
 * const model = decodeUbjson(readFileSync('model.ubj')) as { learner: unknown };
 */
export function decodeUbjson(bytes: Uint8Array): unknown {
  // The decoder reads an ArrayBuffer from its start: a copy of exactly these bytes, which its typed arrays then view.
  const buffer = bytes.slice().buffer;
  try {
    return decoder.decode(buffer);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`not valid UBJSON (${(error as Error).message})`);
  }
}
