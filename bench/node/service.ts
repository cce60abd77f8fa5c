/**
 * The prediction service by itself, so that one process can hold two (drift on and off) and
 * time them in turns: what `npm run bench` measures drift monitoring's cost with (bundled to
 * bench/.cache/service.mjs by bench/run.ts, as the handler's bundle is built).
 */
export { parseConfig, startPredictionService } from '../../lambda/src';
