/**
 * Real fitted models with one attribute changed as an unusual user or a writer of the model
 * bucket could change it (test/differential/crafted_attributes.py, by Debian's scikit-learn):
 * each is served with scikit-learn's own predictions after the change, to 1e-9, or refused
 * with the message its case names. Serving a model whose predict fails in scikit-learn, or
 * serving it otherwise, is the failure these guard against.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, ModelLoadError } from '../../lambda/src/model/load-model';
import type { Ride } from '../../lambda/src/rides/schema';
import { runPython } from '../support/python';

interface CraftedCase {
  name: string;
  file: string;
  python: { predictions: number[] } | { error: string };
  /** A pattern the runtime's refusal must match; null: it must serve scikit-learn's predictions. */
  refusal: string | null;
}

const work = mkdtempSync(join(tmpdir(), 'crafted-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
runPython(['test/differential/crafted_attributes.py', work]);
const { rides, cases } = JSON.parse(readFileSync(join(work, 'cases.json'), 'utf8')) as { rides: Ride[]; cases: CraftedCase[] };

async function serve(file: string): Promise<{ predictions: number[] } | { refused: string }> {
  try {
    const loaded = await loadModel({ kind: 'file', where: file, name: file, bytes: readFileSync(join(work, file)) });
    return { predictions: Array.from(loaded.model.predict(rides)) };
  } catch (error) {
    if (error instanceof ModelLoadError) return { refused: error.message };
    throw error;
  }
}

describe('models with a crafted attribute are served as scikit-learn serves them, or refused naming why', () => {
  it.each(cases)('$name', async ({ file, python, refusal }) => {
    const runtime = await serve(file);
    if (refusal !== null) {
      expect(runtime).toEqual({ refused: expect.stringMatching(new RegExp(refusal)) });
      return;
    }
    if ('error' in python) throw new Error(`scikit-learn refuses it (${python.error}); the case must expect a refusal`);
    expect(runtime).toHaveProperty('predictions');
    const served = (runtime as { predictions: number[] }).predictions;
    expect(served).toHaveLength(python.predictions.length);
    served.forEach((p, i) => {
      expect(Math.abs(p - python.predictions[i]), `ride ${i}: ${p} vs ${python.predictions[i]}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(python.predictions[i])),
      );
    });
  });
});
