import { Annotations, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RideDurationStack } from './ride-duration-stack';
import { readStackSettings, SettingsError, unknownContextKeys } from './stack-settings';
import { stageNames } from './stage-names';

/**
 * Adds the stage's stack to the app, with cdk-nag's AWS Solutions checks on every synth.
 *
 * @example
 * ```typescript
 * import { App } from 'aws-cdk-lib';
 * import { addRideDurationStack } from '../lib/app';
 *
 * addRideDurationStack(new App({ context: { stage: 'stg', packaging: 'zip' } }));
 * ```
 */
export function addRideDurationStack(app: App): RideDurationStack {
  const settings = readStackSettings(app.node);
  const region = process.env.CDK_DEFAULT_REGION;
  const topicRegion = settings.alarms.topicArn?.split(':')[3];
  if (region !== undefined && topicRegion !== undefined && topicRegion !== region) {
    // CloudWatch alarms notify topics of their own region only; known when the CLI has a region.
    throw new SettingsError(
      `invalid context: context alarmTopicArn: the topic is in ${topicRegion}, the stack deploys to ${region}; alarms can only notify a topic in their own region`,
    );
  }
  const { stack: stackName } = stageNames(settings.stage, {
    packaging: settings.packaging,
    startingPosition: settings.eventSource.startingPosition,
  });
  const stack = new RideDurationStack(app, stackName, {
    settings,
    description: `Ride-duration streaming inference (${settings.stage})`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    // Set for an emulated account (npm run deploy:moto); the SDK and the CDK CLI read it too.
    endpointUrl: process.env.AWS_ENDPOINT_URL || undefined,
  });
  // A misspelled key would otherwise be ignored without a word: `cdk synth` and `cdk deploy` print these.
  for (const { message } of unknownContextKeys(app.node)) {
    Annotations.of(stack).addWarningV2('ride-duration:unknown-context-key', message);
  }
  // A finding that is not acknowledged with a reason fails `cdk synth` and `cdk deploy`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
