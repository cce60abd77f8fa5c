/**
 * A model family: everything the runtime knows about one kind of fitted step, in one module.
 * The classes it accepts from a pickle and how it reads them, its spec in model.json and the
 * checks that spec goes through, and how it is built into an evaluator. The table of every
 * family (./index.ts) is the only place that routes a class or a spec to its family.
 */
import type { PyGlobal, PyObject } from '../pickle/python-object';
import type { SpecBase, Stage, StageInput } from '../stage';

/** What a family's `fromPickle` may ask of the reader: its nested estimators, read by their own families. */
export interface PickleContext {
  /** The spec of a nested estimator (a pipeline's step, a voting regressor's member), by its class. */
  read(value: unknown, where: string): SpecBase;
}

/** What a family's `parse` may ask: its nested specs, checked by their own families. */
export interface ParseContext {
  parse(value: unknown, path: string): SpecBase;
}

/** What a family's `build` may ask: its nested stages, and a note for the start-up log. */
export interface BuildContext {
  build(spec: SpecBase, input: StageInput, path: string): Stage;
  /** Something worth saying once at start, such as why a tree walk runs in JavaScript. */
  note(message: string): void;
}

/** What a fitted step takes and makes: rides or a matrix in, a matrix or predictions out. */
export interface Signature {
  readonly takes: 'rides' | 'matrix';
  readonly makes: 'matrix' | 'predictions';
}

export interface Family<S extends SpecBase> {
  /** The Python classes of this family, by qualified name, each with the estimator name it serves as. */
  readonly classes: Readonly<Record<string, string>>;
  /**
   * Other Python globals its pickles hold (trees, losses, links): allowed, and read by
   * `fromPickle` or left inert. A name is a class instantiated as a plain record; a PyGlobal
   * says how the pickle may call it (pickle/sklearn-globals.ts).
   */
  readonly parts?: readonly (string | PyGlobal)[];
  /** The spec of one of its instances, as the unpickler rebuilt it. */
  fromPickle(object: PyObject, where: string, context: PickleContext): Omit<S, 'type'>;
  /** Checks a spec (from model.json, or one `fromPickle` made) and returns it typed; throws ModelFormatError naming the part at fault. */
  parse(spec: Record<string, unknown>, path: string, context: ParseContext): S;
  /** What it takes and makes, when not a matrix and predictions (a regressor's); a composite's follows its members' (`of`). */
  signature?(spec: S, of: (member: SpecBase) => Signature): Signature;
  /** The evaluator of a checked spec, for the input it is given; refuses an input it cannot take. */
  build(spec: S, input: StageInput, path: string, context: BuildContext): Stage;
}
