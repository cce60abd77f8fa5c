#!/usr/bin/env node
/**
 * The CDK app: builds the handler's bundle once, then one ride-duration stack per stage, its
 * settings from context.
 *   npx cdk deploy -c stage=stg -c modelBucket=my-mlflow-artifacts -c runId=<run id>
 */
import { App } from 'aws-cdk-lib';
import { bundleHandler } from '../lambda/build';
import { addRideDurationStack } from '../lib/app';
import { SettingsError } from '../lib/stack-settings';

// lambda/dist/index.mjs, which both packagings ship: built here, once per synth.
bundleHandler();
try {
  addRideDurationStack(new App());
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
