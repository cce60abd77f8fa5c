import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RideDurationStack } from './ride-duration-stack';
import { readStackSettings } from './stack-settings';

/** Adds the stage's stack to the app, with cdk-nag's AWS Solutions checks on every synth. */
export function addRideDurationStack(app: App): RideDurationStack {
  const settings = readStackSettings(app.node);
  const stack = new RideDurationStack(app, `RideDuration-${settings.stage}`, {
    settings,
    description: `Ride-duration streaming inference (${settings.stage})`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // A finding that is not acknowledged with a reason fails `cdk synth` and `cdk deploy`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
