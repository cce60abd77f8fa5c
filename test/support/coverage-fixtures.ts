/*
 * The coverage fixtures that test/coverage/make_coverage_fixtures.py writes (its docstring and
 * test/coverage/README.md describe them): a set is a folder of cases, one folder each, with the
 * rides every served case is predicted on and a manifest of what made it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ride } from '../../lambda/src/rides/ride';
import { runPython } from './python';

/** The script that fits and writes the cases. */
export const COVERAGE_SCRIPT = 'test/coverage/make_coverage_fixtures.py';

/**
 * The sets made by newer scikit-learns in venvs CI does not have, vendored: 1.9.1 (numpy 2.4),
 * and 1.6.1 (numpy 1.26), whose meson build names its Cython losses `_loss.Cy*` and whose
 * ColumnTransformer keeps the remainder's columns in a `_RemainderColsList`.
 */
export const VENDORED_COVERAGE_SETS = ['test/fixtures/coverage-sklearn-1.9.1', 'test/fixtures/coverage-sklearn-1.6.1'] as const;

/** What a case must do: be served, or be refused with a message holding every one of these. */
export type CaseExpectation = 'served' | { refused: string[] };

/** What --list tells of a case before it is made, and case.json repeats. */
export interface CaseSummary {
  name: string;
  /** The fitted model, in words. */
  estimator: string;
  /** How its files are written: MLflow's directory, a pickle file, a joblib file, a run's artifact root. */
  layout: string;
  expect: CaseExpectation;
  /** Where a run's artifact root also serves the case by RUN_ID: the model's artifact path. */
  artifact_path?: string;
}

/** A case folder's case.json. */
export interface CoverageCase extends CaseSummary {
  /** MODEL_LOCATION, relative to the case folder. */
  location: string;
  /** RUN_ID to serve it with: a label for an artifact without MLmodel, or the run's id. */
  run_id?: string;
  /** The experiment of a run served by RUN_ID from its artifact store (the case's artifact/ is the bucket). */
  experiment_id?: string;
  /** The run id the served predictions must carry. */
  version: string;
  /** Where it comes from: a course week, a tutorial, a page of scikit-learn's docs. */
  origin: string;
  /** How the training code built its features from a ride. */
  recipe: 'pu_do' | 'zones_str' | 'zones_num' | 'columns_df';
  features: string[];
  /** The indexes of the rides the library refuses to predict (each predicted alone). */
  raises_on?: number[];
  note?: string;
  library: Record<string, string>;
}

export interface CoveragePlan {
  library: Record<string, string>;
  cases: CaseSummary[];
  skipped: { name: string; reason: string }[];
}

export interface CoverageManifest {
  made_by: string;
  python: string;
  library: Record<string, string>;
  rides: string;
  cases: string[];
  skipped: { name: string; reason: string }[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** The cases the script would make with the test's Python (it fits nothing: it is quick enough to run while tests are collected). */
export function listCoverageCases(): CoveragePlan {
  return JSON.parse(runPython([COVERAGE_SCRIPT, '--list'])) as CoveragePlan;
}

/** Fits and writes every case the test's Python can make into a folder. */
export function makeCoverageSet(directory: string): void {
  runPython([COVERAGE_SCRIPT, directory]);
}

export const readManifest = (set: string): CoverageManifest => readJson(join(set, 'manifest.json'));
export const readRides = (set: string): Ride[] => readJson(join(set, readManifest(set).rides));
export const readCase = (set: string, name: string): CoverageCase => readJson(join(set, name, 'case.json'));
/** The library's own prediction for every ride of the set; null where it refuses the ride. */
export const readExpected = (set: string, name: string): (number | null)[] => readJson(join(set, name, 'expected.json'));
