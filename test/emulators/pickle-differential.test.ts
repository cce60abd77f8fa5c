/**
 * The pickle reader against Python's own pickle, on mutants of real model pickles: each
 * mutant is either refused by the runtime (a ModelLoadError that says why) or served with the
 * predictions Python's pickle.loads plus scikit-learn's predict give, to 1e-9. A mutant Python
 * cannot load, or that makes scikit-learn fail, and that the runtime serves, is a failure.
 *
 * Two sets, seeded and reproducible (test/differential/mutate.py):
 * - pickles made here by Debian's scikit-learn 1.2.1 (one of each family, protocols 2 to 5),
 *   mutated and judged by that Python at test time;
 * - the shared scikit-learn 1.9.1 / numpy 2 fixtures, whose mutants are made again here and
 *   checked against the verdicts of that scikit-learn, vendored (CI has no such Python).
 * DIFFERENTIAL_MUTANTS and DIFFERENTIAL_SEED change the first set: `npm run test:differential`
 * runs thousands.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, ModelLoadError } from '../../lambda/src/model/load-model';
import { allowedGlobalNames } from '../../lambda/src/model/pickle/allowlist';
import { rideOf } from '../support/parity';
import { runPython } from '../support/python';

const MUTATE = 'test/differential/mutate.py';
const VENDORED = 'test/fixtures/differential-sklearn-1.9.1';
const COUNT = Number(process.env.DIFFERENTIAL_MUTANTS ?? 240);
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 2026);
const work = mkdtempSync(join(tmpdir(), 'differential-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Rows = { PU_DO: string; trip_distance: number }[];
/** Python's predictions, non-finite ones as 'NaN', 'Infinity' or '-Infinity'. */
type PythonVerdict = { predictions: (number | string)[] } | { error: string };
interface Mutant {
  index: number;
  source: string;
  mutation: string;
  sha256: string;
  python?: PythonVerdict;
}
type RuntimeVerdict = { predictions: Float64Array } | { refused: string };

/** What the runtime makes of one file: the model's predictions, or its refusal. Anything else thrown is a bug, and fails. */
async function serve(bytes: Uint8Array, rows: Rows): Promise<RuntimeVerdict> {
  try {
    const loaded = await loadModel({ kind: 'file', where: 'mutant.pkl', name: 'mutant.pkl', bytes });
    return { predictions: loaded.model.predict(rows.map(rideOf)) };
  } catch (error) {
    if (error instanceof ModelLoadError) return { refused: error.message };
    throw error;
  }
}

const close = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** Where the runtime and Python disagree on one mutant, or undefined when they agree. */
function disagreement(runtime: RuntimeVerdict, python: PythonVerdict): string | undefined {
  if ('refused' in runtime) return undefined; // refusing is always allowed: never serving wrong is the point
  if ('error' in python) return `Python refuses it (${python.error}), the runtime serves it`;
  const worst = python.predictions.findIndex((p, i) => !close(runtime.predictions[i], Number(p)));
  if (runtime.predictions.length !== python.predictions.length) return 'a different number of predictions';
  return worst === -1
    ? undefined
    : `ride ${worst}: the runtime predicts ${runtime.predictions[worst]}, Python ${python.predictions[worst]}`;
}

interface Tally {
  compared: number;
  served: number;
  refusedByBoth: number;
  refusedByRuntimeOnly: number;
  inconclusive: number;
  failures: string[];
}

async function compare(mutants: Mutant[], read: (m: Mutant) => Uint8Array, rows: Rows, allowlist: ReadonlySet<string>): Promise<Tally> {
  const tally: Tally = { compared: 0, served: 0, refusedByBoth: 0, refusedByRuntimeOnly: 0, inconclusive: 0, failures: [] };
  for (const mutant of mutants) {
    const python = mutant.python as PythonVerdict;
    // Python was told a name is not allowlisted that the runtime allowlists now: its verdict no longer says anything.
    const name = 'error' in python ? /not allowlisted: (\S+)/.exec(python.error)?.[1] : undefined;
    if (name !== undefined && !allowlist.has(name) && allowedGlobalNames().includes(name)) {
      tally.inconclusive++;
      continue;
    }
    const runtime = await serve(read(mutant), rows);
    tally.compared++;
    const problem = disagreement(runtime, python);
    if (problem !== undefined) tally.failures.push(`mutant ${mutant.index} of ${mutant.source} (${mutant.mutation}): ${problem}`);
    else if ('predictions' in runtime) tally.served++;
    else if ('error' in python) tally.refusedByBoth++;
    else tally.refusedByRuntimeOnly++;
  }
  return tally;
}

describe("mutants of Debian scikit-learn's pickles, judged by that Python", () => {
  let mutants: Mutant[];
  let rows: Rows;
  const sources = join(work, 'sources');
  const out = join(work, 'debian');

  beforeAll(() => {
    runPython(['test/differential/make_sources.py', sources]);
    rows = JSON.parse(readFileSync(join(sources, 'rides.json'), 'utf8'));
    const names = readdirSync(sources)
      .filter((file) => file.endsWith('.pkl'))
      .map((file) => file.slice(0, -'.pkl'.length))
      .sort();
    const config = {
      sources: names.map((name) => ({ name, path: join(sources, `${name}.pkl`) })),
      seed: SEED,
      count: COUNT,
      out,
      rides: rows,
      allowed: allowedGlobalNames(),
    };
    writeFileSync(join(work, 'debian.json'), JSON.stringify(config));
    runPython([MUTATE, 'judge', join(work, 'debian.json')]);
    mutants = JSON.parse(readFileSync(join(out, 'mutants.json'), 'utf8'));
  }, 600_000);

  it('serves every unmutated source with the predictions of Python', async () => {
    const names = [...new Set(mutants.map((m) => m.source))];
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const name of names) {
      const runtime = await serve(readFileSync(join(sources, `${name}.pkl`)), rows);
      expect(runtime, name).toHaveProperty('predictions');
    }
  });

  it(`each of ${COUNT} mutants is refused, or served exactly as Python serves it`, async () => {
    const tally = await compare(mutants, (m) => readFileSync(join(out, `mutant-${m.index}.pkl`)), rows, new Set(allowedGlobalNames()));
    if (process.env.DIFFERENTIAL_MUTANTS) console.info({ ...tally, failures: tally.failures.length });
    expect(tally.failures).toEqual([]);
    expect(tally.compared).toBe(COUNT);
    // The comparison is exercised: many mutants load in both, and many are refused by both.
    expect(tally.served).toBeGreaterThan(COUNT / 5);
    expect(tally.refusedByBoth).toBeGreaterThan(COUNT / 5);
  });
});

describe('mutants of the scikit-learn 1.9.1 / numpy 2 fixtures, against the verdicts of that scikit-learn', () => {
  const vendored = JSON.parse(readFileSync(join(VENDORED, 'verdicts.json'), 'utf8')) as {
    config: { seed: number; count: number; sources: { name: string; path: string }[]; rides: Rows };
    allowed: string[];
    mutants: Mutant[];
  };
  const out = join(work, 'venv');

  beforeAll(() => {
    writeFileSync(join(work, 'venv.json'), JSON.stringify({ ...vendored.config, out }));
    runPython([MUTATE, 'generate', join(work, 'venv.json')]);
  });

  it(`each of ${vendored.mutants.length} mutants is made again byte for byte, then refused or served exactly as scikit-learn 1.9.1 serves it`, async () => {
    const made = JSON.parse(readFileSync(join(out, 'mutants.json'), 'utf8')) as Mutant[];
    expect(made.map((m) => m.sha256)).toEqual(vendored.mutants.map((m) => m.sha256));
    const read = (m: Mutant) => {
      const bytes = readFileSync(join(out, `mutant-${m.index}.pkl`));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
      return bytes;
    };
    const tally = await compare(vendored.mutants, read, vendored.config.rides, new Set(vendored.allowed));
    expect(tally.failures).toEqual([]);
    expect(tally.served).toBeGreaterThan(vendored.mutants.length / 5);
    expect(tally.refusedByBoth).toBeGreaterThan(vendored.mutants.length / 5);
  });
});
