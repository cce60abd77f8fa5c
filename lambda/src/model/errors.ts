/** A model file that cannot be served; the message says where and what is wrong. */
import { RideDurationError } from '../errors';
export class ModelFormatError extends RideDurationError {
  override name = 'ModelFormatError';
}

/** Throws a ModelFormatError that names the part of the model at fault: `steps[1].coef: expected ...`. */
export function fail(path: string, problem: string): never {
  throw new ModelFormatError(path === '' ? problem : `${path}: ${problem}`);
}

/** Throws a ModelFormatError whose problem names its own place (a numpy array, a Python call). */
export function refuse(problem: string): never {
  throw new ModelFormatError(problem);
}
