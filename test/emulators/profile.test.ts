/**
 * npm run profile on ride files as users have them (NYC taxi parquet and CSV, JSON ride
 * events, a Lambda Kinesis event), with the demo model: the profile it writes, the rows it
 * refuses, where it goes; and the drift statistics against scipy's and numpy's.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { jensenShannonDistance, parseProfile, psi, type ReferenceProfile } from '../../lambda/src/monitoring';
import { numericProfile } from '../../lambda/src/monitoring/histogram';
import { DEMO_MODEL_DIR, DEMO_REFERENCE_PROFILE, DEMO_RUN_ID } from '../../models/demo-model';
import { runPython } from '../support/python';

const run = promisify(execFile);
const profileCommand = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'tools/profile.ts', ...args], { encoding: 'utf8' }).catch(
    (error: { stdout: string; stderr: string; code: number }) => error,
  );
const read = (path: string) => parseProfile(JSON.parse(readFileSync(path, 'utf8')));
const withoutDate = ({ createdAt: _, ...profile }: ReferenceProfile) => profile;

/** The demo model in the MLflow layout, in a directory of its own (model/ beside where reference/ goes). */
function demoArtifacts(): string {
  const artifacts = mkdtempSync(join(tmpdir(), 'artifacts-'));
  cpSync(DEMO_MODEL_DIR, join(artifacts, 'model'), { recursive: true });
  return artifacts;
}

describe('npm run profile', () => {
  it("makes the demo's shipped profile from its training rides (parquet), beside model/, refusing what the function refuses", async () => {
    const artifacts = demoArtifacts();
    const result = await profileCommand('test/fixtures/rides/demo-training.parquet', '--model', join(artifacts, 'model'));
    expect(result.stdout).toMatch(/^rides {4}20000 of 20003 rows \(parquet\); refused:$/m);
    expect(result.stdout).toContain('1 x ride.PULocationID: expected an integer, got null');
    expect(result.stdout).toContain('1 x ride.DOLocationID: expected a zone id from 1 to 265');
    const profile = read(join(artifacts, 'reference', 'profile.json'));
    expect(profile.model).toMatchObject({ runId: DEMO_RUN_ID, file: 'model.pkl' });
    expect(profile.data).toEqual({ source: 'demo-training.parquet', format: 'parquet', rows: 20003, rides: 20000, rejected: 3 });
    // The shipped profile is this one: the same rides, the same model, the same bins.
    expect(withoutDate(profile)).toEqual(withoutDate(read(DEMO_REFERENCE_PROFILE)));
  });

  it('reads CSV and JSON ride events the same way: the same rides make the same profile', async () => {
    const artifacts = demoArtifacts();
    const model = join(artifacts, 'model');
    const dir = mkdtempSync(join(tmpdir(), 'rides-'));
    const csv = readFileSync('test/fixtures/rides/demo-fresh.csv', 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    const rides = csv.slice(1, 501).map((line) => {
      const cells = line.split(',');
      const at = (name: string) => Number(cells[header.indexOf(name)]);
      return { PULocationID: at('PULocationID'), DOLocationID: at('DOLocationID'), trip_distance: at('trip_distance') };
    });
    writeFileSync(join(dir, 'rides.csv'), `${csv.slice(0, 501).join('\n')}\n`);
    writeFileSync(join(dir, 'rides.jsonl'), `${rides.map((ride, i) => JSON.stringify({ ride, ride_id: i })).join('\n')}\n`);
    const kinesis = {
      Records: rides.map((ride, i) => ({ kinesis: { data: Buffer.from(JSON.stringify({ ride, ride_id: i })).toString('base64') } })),
    };
    writeFileSync(join(dir, 'event.json'), JSON.stringify(kinesis));
    const profiles = [];
    for (const file of ['rides.csv', 'rides.jsonl', 'event.json']) {
      const out = join(dir, `${file}.profile.json`);
      const result = await profileCommand(join(dir, file), '--model', model, '-o', out, '--top', '20', '--bins', '5');
      expect(result.stdout, file).toContain('rides    500 of 500 rows');
      profiles.push(read(out));
    }
    const [fromCsv, ...others] = profiles.map((p) => ({ ...withoutDate(p), data: { ...p.data, source: '', format: '' } }));
    for (const other of others) expect(other).toEqual(fromCsv);
    expect(fromCsv.features[0]).toMatchObject({ name: 'PU_DO', kind: 'categorical' });
    expect((fromCsv.features[0] as { categories: string[] }).categories).toHaveLength(20);
    expect((fromCsv.features[1] as { edges: number[] }).edges.length).toBeLessThanOrEqual(4);
  });

  it('says what is wrong: no model/ directory without -o, a file with no ride columns', async () => {
    const noOutput = await profileCommand('test/fixtures/rides/demo-fresh.csv', '--model', 'models/demo/model/model.pkl');
    expect((noOutput as { stderr: string }).stderr).toMatch(
      /is not a directory named model \(MLflow's layout\): say where the profile goes with -o/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'rides-'));
    writeFileSync(join(dir, 'other.csv'), 'a,b\n1,2\n');
    const noColumns = await profileCommand(join(dir, 'other.csv'), '--model', DEMO_MODEL_DIR, '-o', join(dir, 'p.json'));
    expect((noColumns as { stderr: string }).stderr).toContain('no column PULocationID, DOLocationID, trip_distance (it has a, b)');
  });
});

describe('the drift statistics', () => {
  it("match scipy's Jensen-Shannon distance (base 2) and PSI computed with numpy, and numpy's quantiles for the bin edges", () => {
    const p = [0.1, 0.4, 0.2, 0.3, 0];
    const q = [0.25, 0.25, 0.05, 0.05, 0.4];
    const values = Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 10 + i / 100);
    const out = JSON.parse(
      runPython([
        '-c',
        `import json, numpy as np
from scipy.spatial.distance import jensenshannon
p, q = np.array(${JSON.stringify(p)}), np.array(${JSON.stringify(q)})
e, a = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
v = np.array(${JSON.stringify(values)})
print(json.dumps({"js": float(jensenshannon(p, q, base=2)), "psi": float(np.sum((a - e) * np.log(a / e))),
  "deciles": [float(x) for x in np.quantile(v, np.arange(1, 10) / 10)]}))`,
      ]),
    ) as { js: number; psi: number; deciles: number[] };
    expect(jensenShannonDistance(p, q)).toBeCloseTo(out.js, 12);
    expect(psi(p, q)).toBeCloseTo(out.psi, 12);
    const edges = numericProfile('v', values).edges;
    expect(edges).toHaveLength(9);
    for (const [i, edge] of edges.entries()) expect(edge).toBeCloseTo(out.deciles[i], 10);
  });
});
