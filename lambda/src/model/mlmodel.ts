/** What MLflow's MLmodel file says about the model, as far as serving it is concerned. */
import type { Scalar } from 'yaml';

export interface MlflowModelInfo {
  runId?: string;
  flavors: string[];
  createdAt?: string;
  /** The input columns of the model's signature, when it has one with named columns. */
  signatureInputs?: string[];
  /** The sklearn flavor, when the model has it: the pickle's file name and how it was written. */
  sklearn?: { pickledModel: string; serializationFormat?: string; sklearnVersion?: string };
  /** The xgboost and lightgbm flavors (mlflow.xgboost / mlflow.lightgbm.log_model): the model file, its class and format. */
  xgboost?: BoosterFlavor;
  lightgbm?: BoosterFlavor;
  /** python_function's loader_module, for a message when no flavor here is one the runtime reads. */
  loaderModule?: string;
}

/** What MLflow's xgboost and lightgbm flavors record: `data` (model.xgb, model.lgb, model.pkl), `model_class`, `model_format`. */
export interface BoosterFlavor {
  data: string;
  modelClass?: string;
  modelFormat?: string;
  version?: string;
}

/** A file name of the model directory: no path, so that it cannot point outside the directory. */
const FILE_NAME = /^(?!\.\.?$)[^/\\]+$/;

/**
 * MLmodel's run_id as MLflow reads it. MLflow writes it with PyYAML, whose YAML 1.1 floats need
 * a dot, so a run id of digits around one `e` (`1234e5...`) is written unquoted, as a string;
 * YAML 1.2 reads that as a number. A plain scalar read so is its text.
 */
function runIdOf(node: unknown, isScalar: (node: unknown) => node is Scalar): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  const { source } = node;
  return typeof node.value === 'number' && node.type === 'PLAIN' && typeof source === 'string' && /^[0-9]+[eE][0-9]+$/.test(source)
    ? source
    : undefined;
}

/**
 * Reads an MLmodel file (YAML; the signature's inputs are a JSON string inside it). The YAML
 * parser is imported on first use, so that a cold start evaluates it while S3 is answering.
 */
export async function parseMlmodel(text: string): Promise<MlflowModelInfo> {
  const { isScalar, parseDocument } = await import('yaml');
  const document = parseDocument(text);
  if (document.errors.length > 0) throw document.errors[0];
  const doc = document.toJS() as Record<string, unknown> | null;
  if (typeof doc !== 'object' || doc === null) throw new Error('expected a YAML mapping');
  const signature = doc.signature as { inputs?: unknown } | undefined;
  let signatureInputs: string[] | undefined;
  if (typeof signature?.inputs === 'string') {
    const columns = JSON.parse(signature.inputs) as { name?: unknown }[];
    // A tensor signature has no column names: nothing to compare with.
    if (columns.every((c) => typeof c.name === 'string')) signatureInputs = columns.map((c) => c.name as string);
  }
  const flavors = (typeof doc.flavors === 'object' && doc.flavors !== null ? doc.flavors : {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  let sklearn: MlflowModelInfo['sklearn'];
  if (typeof flavors.sklearn === 'object' && flavors.sklearn !== null) {
    const flavor = flavors.sklearn as Record<string, unknown>;
    const pickledModel = flavor.pickled_model ?? 'model.pkl';
    if (typeof pickledModel !== 'string' || !FILE_NAME.test(pickledModel)) {
      throw new Error(`the sklearn flavor's pickled_model must be a file name in the model directory, got ${JSON.stringify(pickledModel)}`);
    }
    sklearn = { pickledModel, serializationFormat: str(flavor.serialization_format), sklearnVersion: str(flavor.sklearn_version) };
  }
  const booster = (name: 'xgboost' | 'lightgbm', defaultData: string, versionKey: string): BoosterFlavor | undefined => {
    const flavor = flavors[name];
    if (typeof flavor !== 'object' || flavor === null) return undefined;
    const f = flavor as Record<string, unknown>;
    const data = f.data ?? defaultData;
    if (typeof data !== 'string' || !FILE_NAME.test(data)) {
      throw new Error(`the ${name} flavor's data must be a file name in the model directory, got ${JSON.stringify(data)}`);
    }
    return { data, modelClass: str(f.model_class), modelFormat: str(f.model_format), version: str(f[versionKey]) };
  };
  const pyfunc = flavors.python_function as Record<string, unknown> | undefined;
  // mlflow.pyfunc.load_model reads python_function's model_path, mlflow.sklearn.load_model the sklearn flavor's
  // pickled_model: MLflow writes one name in both, and two files would be two models, either of which may be the one meant.
  const pyfuncPath = typeof pyfunc === 'object' && pyfunc !== null ? pyfunc.model_path : undefined;
  if (sklearn !== undefined && pyfunc?.loader_module === 'mlflow.sklearn' && pyfuncPath != null && pyfuncPath !== sklearn.pickledModel) {
    throw new Error(
      `its python_function flavor loads ${JSON.stringify(pyfuncPath)} and its sklearn flavor ${JSON.stringify(sklearn.pickledModel)}: ` +
        'which file is the model is not known (MLflow writes the same file name in both)',
    );
  }
  return {
    runId: runIdOf(document.get('run_id', true), isScalar),
    xgboost: booster('xgboost', 'model.xgb', 'xgb_version'),
    lightgbm: booster('lightgbm', 'model.lgb', 'lgb_version'),
    loaderModule: typeof pyfunc === 'object' && pyfunc !== null ? str(pyfunc.loader_module) : undefined,
    flavors: Object.keys(flavors),
    createdAt: doc.utc_time_created === undefined ? undefined : String(doc.utc_time_created),
    signatureInputs,
    sklearn,
  };
}
