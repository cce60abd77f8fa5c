/** What MLflow's MLmodel file says about the model, as far as serving it is concerned. */
export interface MlflowModelInfo {
  runId?: string;
  flavors: string[];
  createdAt?: string;
  /** The input columns of the model's signature, when it has one with named columns. */
  signatureInputs?: string[];
  /** The sklearn flavor, when the model has it: the pickle's file name and how it was written. */
  sklearn?: { pickledModel: string; serializationFormat?: string; sklearnVersion?: string };
}

/** A file name of the model directory: no path, so that it cannot point outside the directory. */
const FILE_NAME = /^(?!\.\.?$)[^/\\]+$/;

/**
 * Reads an MLmodel file (YAML; the signature's inputs are a JSON string inside it). The YAML
 * parser is imported on first use, so that a cold start evaluates it while S3 is answering.
 */
export async function parseMlmodel(text: string): Promise<MlflowModelInfo> {
  const { parse } = await import('yaml');
  const doc = parse(text) as Record<string, unknown> | null;
  if (typeof doc !== 'object' || doc === null) throw new Error('expected a YAML mapping');
  const signature = doc.signature as { inputs?: unknown } | undefined;
  let signatureInputs: string[] | undefined;
  if (typeof signature?.inputs === 'string') {
    const columns = JSON.parse(signature.inputs) as { name?: unknown }[];
    // A tensor signature has no column names: nothing to compare with.
    if (columns.every((c) => typeof c.name === 'string')) signatureInputs = columns.map((c) => c.name as string);
  }
  const flavors = (typeof doc.flavors === 'object' && doc.flavors !== null ? doc.flavors : {}) as Record<string, unknown>;
  let sklearn: MlflowModelInfo['sklearn'];
  if (typeof flavors.sklearn === 'object' && flavors.sklearn !== null) {
    const flavor = flavors.sklearn as Record<string, unknown>;
    const pickledModel = flavor.pickled_model ?? 'model.pkl';
    if (typeof pickledModel !== 'string' || !FILE_NAME.test(pickledModel)) {
      throw new Error(`the sklearn flavor's pickled_model must be a file name in the model directory, got ${JSON.stringify(pickledModel)}`);
    }
    const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    sklearn = { pickledModel, serializationFormat: text(flavor.serialization_format), sklearnVersion: text(flavor.sklearn_version) };
  }
  return {
    runId: typeof doc.run_id === 'string' ? doc.run_id : undefined,
    flavors: Object.keys(flavors),
    createdAt: doc.utc_time_created === undefined ? undefined : String(doc.utc_time_created),
    signatureInputs,
    sklearn,
  };
}

/** Why the model cannot take the features the handler makes, or undefined when it can. */
export function signatureMismatch(signatureInputs: readonly string[], features: readonly string[]): string | undefined {
  const missing = features.filter((f) => !signatureInputs.includes(f));
  const unexpected = signatureInputs.filter((f) => !features.includes(f));
  if (missing.length === 0 && unexpected.length === 0) return undefined;
  return (
    `the model was trained on [${signatureInputs.join(', ')}] but the handler prepares [${features.join(', ')}]` +
    (missing.length ? `; not in the model's signature: ${missing.join(', ')}` : '') +
    (unexpected.length ? `; not prepared by the handler: ${unexpected.join(', ')}` : '')
  );
}
