import { fileURLToPath } from 'node:url';

/** The bundled demo model (tools/train_demo_model.py), in the MLflow layout. */
export const DEMO_MODEL_DIR = fileURLToPath(new URL('../models/demo', import.meta.url));
export const DEMO_RUN_ID = 'e1efc53e9bd149078b0c12aeaa6365df';
