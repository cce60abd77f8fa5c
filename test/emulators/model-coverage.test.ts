/**
 * Every model family, feature recipe and artifact layout users write (issue 17), fitted and
 * written by test/coverage/make_coverage_fixtures.py: with Debian's scikit-learn now, and with
 * scikit-learn 1.9.1 and 1.6.1 as vendored in test/fixtures/. Each case is served as
 * the function starts, and predicts every ride as its library does, to 1e-9 relative (refusing
 * exactly the rides the library refuses); or it is refused with a message naming the cause.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ride } from '../../lambda/src/rides/ride';
import { type LocalAws, startLocalAws } from '../../local/aws-setup';
import {
  type CaseSummary,
  type CoverageCase,
  listCoverageCases,
  makeCoverageSet,
  readCase,
  readExpected,
  readManifest,
  readRides,
  VENDORED_COVERAGE_SETS,
} from '../support/coverage-fixtures';
import { worstRelativeDifference } from '../support/parity';
import { PYTHON } from '../support/python';
import { predictRides, refusalOf, serveCase, serveCaseByRunId, uploadTree } from '../support/serve-case';

const debianDir = mkdtempSync(join(tmpdir(), 'coverage-'));
// Which cases this Python makes is known before anything is fitted, so each gets its own test.
const debianPlan = listCoverageCases();
const vendoredSets = VENDORED_COVERAGE_SETS.map((dir) => ({ dir, manifest: readManifest(dir) }));

interface CoverageSet {
  title: string;
  dir: string;
  bucket: string;
  cases: CaseSummary[];
}

const sets: CoverageSet[] = [
  {
    title: `scikit-learn ${debianPlan.library.sklearn}, made now by ${PYTHON}`,
    dir: debianDir,
    bucket: 'coverage-made-now',
    cases: debianPlan.cases,
  },
  ...vendoredSets.map(({ dir, manifest }, i) => ({
    title: `scikit-learn ${manifest.library.sklearn} (numpy ${manifest.library.numpy}), vendored`,
    dir,
    bucket: `coverage-vendored-${i}`,
    cases: manifest.cases.map((name) => readCase(dir, name)),
  })),
];

let aws: LocalAws;

beforeAll(async () => {
  makeCoverageSet(debianDir);
  aws = await startLocalAws(sets.map((set) => set.bucket));
});
afterAll(async () => {
  await aws?.stop();
  rmSync(debianDir, { recursive: true, force: true });
});

/** Served predictions against the library's: the same rides refused, the others equal to 1e-9 relative. */
function expectPredictions(outcomes: ReturnType<typeof predictRides>, expected: (number | null)[], spec: CoverageCase) {
  expect(outcomes).toHaveLength(expected.length);
  const refused = outcomes.flatMap((outcome, i) => ('refused' in outcome ? [i] : []));
  expect(refused, 'the rides refused one by one').toEqual(spec.raises_on ?? []);
  expect(
    expected.flatMap((want, i) => (want === null ? [i] : [])),
    'expected.json leaves out exactly raises_on',
  ).toEqual(refused);
  const served = outcomes.flatMap((outcome) => ('prediction' in outcome ? [outcome.prediction] : []));
  const reference = expected.filter((want): want is number => want !== null);
  expect(worstRelativeDifference(served, reference)).toBeLessThanOrEqual(1e-9);
}

async function expectRefusal(starting: Promise<unknown>, substrings: string[]) {
  const message = await refusalOf(starting);
  for (const substring of substrings) expect(message).toContain(substring);
}

describe('the case lists', () => {
  it('the set made now holds every case its Python can make, and each vendored set every case of the script but what its Python lacks', () => {
    // A run of the script here tells which cases exist; the vendored sets must be remade when one is added.
    const all = [...debianPlan.cases.map((c) => c.name), ...debianPlan.skipped.map((s) => s.name)].sort();
    expect(readManifest(debianDir).cases).toEqual(debianPlan.cases.map((c) => c.name));
    for (const { dir, manifest } of vendoredSets) {
      expect([...manifest.cases, ...manifest.skipped.map((s) => s.name)].sort(), dir).toEqual(all);
      for (const { reason } of manifest.skipped) expect(reason).toMatch(/^needs /);
    }
    for (const { reason } of debianPlan.skipped) expect(reason).toMatch(/^needs /);
  });

  it('every case is made by one of the sets', () => {
    const made = new Set([...debianPlan.cases.map((c) => c.name), ...vendoredSets.flatMap(({ manifest }) => manifest.cases)]);
    const skipped = [...debianPlan.skipped, ...vendoredSets.flatMap(({ manifest }) => manifest.skipped)];
    expect(skipped.map((s) => s.name).filter((name) => !made.has(name))).toEqual([]);
  });
});

describe.each(sets)('$title', ({ dir, bucket, cases }) => {
  let rides: Ride[];
  beforeAll(() => {
    rides = readRides(dir);
  });

  it('predicts on 300-500 rides, with zones never seen in training and the distances 0 and 200', () => {
    expect(rides.length).toBeGreaterThanOrEqual(300);
    expect(rides.length).toBeLessThanOrEqual(500);
    const distances = rides.map((r) => r.trip_distance);
    expect(distances).toContain(0);
    expect(distances).toContain(200);
    // One case refuses the rides with an unseen zone: there are some.
    const unseen = cases.find((c) => c.name === 'columns-onehot-unknown-error');
    if (unseen) expect(readCase(dir, unseen.name).raises_on?.length).toBeGreaterThan(0);
  });

  for (const summary of cases) {
    const { name, estimator, layout, expect: expectation } = summary;
    const caseDir = join(dir, name);
    const what = `${name}: ${estimator}, ${layout}`;
    const spec = () => {
      const read = readCase(dir, name);
      expect(read.expect).toEqual(expectation);
      return read;
    };

    if (expectation === 'served') {
      it(`${what}: served from MODEL_LOCATION, equal to its library's predictions to 1e-9`, async () => {
        const read = spec();
        const served = await serveCase(caseDir, read);
        expect(served.version).toBe(read.version);
        expectPredictions(predictRides(served, rides), readExpected(dir, name), read);
      });
    } else {
      it(`${what}: refused, the message naming ${expectation.refused.map((s) => `"${s}"`).join(', ')}`, async () => {
        await expectRefusal(serveCase(caseDir, spec()), expectation.refused);
      });
    }

    if (summary.artifact_path !== undefined) {
      const byRunId = `${what}: by RUN_ID from the artifact store, artifact path ${summary.artifact_path}`;
      it(expectation === 'served' ? `${byRunId}, served equal to its library's predictions` : `${byRunId}, refused alike`, async () => {
        const read = spec();
        await uploadTree(aws.clients.s3, join(caseDir, 'artifact'), bucket);
        const starting = serveCaseByRunId(read, bucket, aws.clients.s3);
        if (expectation !== 'served') return expectRefusal(starting, expectation.refused);
        const served = await starting;
        expect(served.version).toBe(read.run_id);
        expectPredictions(predictRides(served, rides), readExpected(dir, name), read);
      });
    }
  }
});
