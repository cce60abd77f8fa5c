import { defineConfig } from 'vitest/config';
import { LOCAL_CREDENTIALS, QUIET_TELEMETRY } from './local/environment.ts';

/**
 * Three tiers, one folder each; `npm test` runs all of them:
 * - unit (test/unit): the code alone, the stack's templates synthesized in-process, in
 *   seconds: `npm run test:unit` while working;
 * - emulators (test/emulators): against local Kinesis, S3 and SQS servers, scikit-learn, the
 *   AWS CLI, the CDK CLI and moto's emulated account;
 * - drill (test/drill): 100,000 rides through the local stream under injected faults.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The emulators' credentials (s3rver accepts only its own), and quiet telemetry.
    env: { ...LOCAL_CREDENTIALS, ...QUIET_TELEMETRY, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'emulators', include: ['test/emulators/**/*.test.ts'] } },
      { extends: true, test: { name: 'drill', include: ['test/drill/**/*.test.ts'] } },
    ],
  },
});
