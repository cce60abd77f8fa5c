/** The esbuild bundle that the container image and the zip ship runs on its own. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_MODEL_DIR } from '../../models/demo-model';

describe('lambda/dist/index.mjs', () => {
  it('is built by npm run build and handles the sample event without the sources', () => {
    execFileSync('node_modules/.bin/tsx', ['lambda/build.ts']);
    const script = `
      import { readFileSync } from 'node:fs';
      const { handler } = await import('./lambda/dist/index.mjs');
      const event = JSON.parse(readFileSync('events/ride.json', 'utf8'));
      console.log(JSON.stringify(await handler(event, { functionName: 'bundle-test' })));`;
    const out = execFileSync('node', ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, TEST_RUN: 'true', RUN_ID: 'bundle', MODEL_LOCATION: DEMO_MODEL_DIR },
    });
    const result = JSON.parse(out);
    expect(result.predictions).toHaveLength(1);
    expect(result.predictions[0]).toMatchObject({ version: 'bundle', prediction: { ride_id: 256 } });
    expect(result.predictions[0].prediction.ride_duration).toBeGreaterThan(1);
  });
});
