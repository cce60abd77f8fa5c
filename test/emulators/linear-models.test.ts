/**
 * Every linear family and setting, fitted by Debian's scikit-learn (test/differential/linear_models.py):
 * served with scikit-learn's own predictions, to 1e-9. Its pickles are those of scikit-learn
 * before 1.4, whose GLM losses are Cython objects pickled with a checksum of their members.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../lambda/src/model/load-model';
import type { Ride } from '../../lambda/src/rides/schema';
import { runPython } from '../support/python';

interface LinearCase {
  name: string;
  file: string;
  predictions: number[];
}

const work = mkdtempSync(join(tmpdir(), 'linear-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
runPython(['test/differential/linear_models.py', work]);
const { rides, cases } = JSON.parse(readFileSync(join(work, 'cases.json'), 'utf8')) as { rides: Ride[]; cases: LinearCase[] };

describe("linear models are served with scikit-learn's predictions", () => {
  it.each(cases)('$name', async ({ file, predictions }) => {
    const loaded = await loadModel({ kind: 'file', where: file, name: file, bytes: readFileSync(join(work, file)) });
    const served = Array.from(loaded.model.predict(rides));
    expect(served).toHaveLength(predictions.length);
    served.forEach((p, i) => {
      expect(Math.abs(p - predictions[i]), `ride ${i}: ${p} vs ${predictions[i]}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(predictions[i])),
      );
    });
  });
});
