/** Numeric arrays as typed arrays, without a copy when they already are (packed in model.json). */
export const toInt32 = (a: ArrayLike<number>): Int32Array => (a instanceof Int32Array ? a : Int32Array.from(a));
export const toFloat64 = (a: ArrayLike<number>): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));
