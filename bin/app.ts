#!/usr/bin/env node
/**
 * The CDK app: one ride-duration stack per stage, its settings from context. The handler's
 * bundle is made when the CDK stages the function's code (synth, diff, deploy; not ls or destroy).
 *   npx cdk deploy -c stage=stg -c modelBucket=my-mlflow-artifacts -c runId=<run id>
 */
import { App } from 'aws-cdk-lib';
import { addRideDurationStack } from '../lib/app';
import { SettingsError } from '../lib/stack-settings';

try {
  addRideDurationStack(new App());
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
