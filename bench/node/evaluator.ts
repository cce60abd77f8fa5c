/**
 * The model runtime alone, without the handler around it: what `npm run bench` times in
 * its "evaluator alone" column (bundled to bench/.cache/evaluator.mjs by bench/run.ts).
 */
export { loadModelAt } from '../../lambda/src';
