/**
 * The names a stage's resources get, so that stages deploy side by side in one account. The
 * base names are the function's and the local stack's too (lambda/src/names.ts); here they get
 * the stage, and the names only the deployed stack has (alarms, topic, dashboard) are made.
 */
import { DEFAULT_SERVICE_NAME, RESOURCE_NAMES } from '../lambda/src/names';
import type { Packaging, StartingPosition } from './stack-settings';

/** The prefix of the stack's own names: its alarms, alarm topic and dashboard. */
export const OPERATIONS_PREFIX = 'ride-duration';

export interface StageNames {
  stack: string;
  inputStream: string;
  outputStream: string;
  /** Follows the settings that CloudFormation can only apply by replacing the function: see functionName. */
  function: string;
  /** Stays when the function is replaced, so the logs of a stage are in one place. */
  logGroup: string;
  deadLetterQueue: string;
  failedBatchQueue: string;
  /** The Firehose delivery stream that archives every prediction. */
  archiveDeliveryStream: string;
  alarmTopic: string;
  dashboard: string;
  /** `ride-duration-<stage>-<alarm>` */
  alarm: (alarm: string) => string;
  /** Powertools' service name: the metrics' dimension and the logs' "service". */
  service: string;
}

export function stageNames(stage: string, settings: { packaging: Packaging; startingPosition: StartingPosition }): StageNames {
  const staged = (name: string) => `${name}-${stage}`;
  return {
    stack: `RideDuration-${stage}`,
    inputStream: staged(RESOURCE_NAMES.inputStream),
    outputStream: staged(RESOURCE_NAMES.outputStream),
    function: functionName(staged(RESOURCE_NAMES.function), settings),
    logGroup: `/aws/lambda/${staged(RESOURCE_NAMES.function)}`,
    deadLetterQueue: staged(RESOURCE_NAMES.deadLetterQueue),
    failedBatchQueue: staged(RESOURCE_NAMES.failedBatchQueue),
    archiveDeliveryStream: staged(RESOURCE_NAMES.archiveDeliveryStream),
    alarmTopic: `${OPERATIONS_PREFIX}-alarms-${stage}`,
    dashboard: `${OPERATIONS_PREFIX}-${stage}`,
    alarm: (alarm) => `${OPERATIONS_PREFIX}-${stage}-${alarm}`,
    service: staged(DEFAULT_SERVICE_NAME),
  };
}

/**
 * The function's name: `ride-duration-prediction-<stage>`, with `-zip` and `-latest` when those
 * settings differ from the defaults.
 *
 * Why: CloudFormation changes a function's packaging (image or zip) and a mapping's starting
 * position only by replacing them, creating the new resource before deleting the old. A new
 * function under the old name collides with it; a new mapping from the same stream to the same
 * function is refused by Lambda (one mapping per stream and function). A name that follows
 * these settings makes either switch a clean replacement: a new function beside the old one,
 * the mapping moved to it in place (keeping its position in the stream) on a packaging switch,
 * or a new mapping on the new function on a starting-position switch; then the old ones go.
 */
export function functionName(
  base: string,
  { packaging, startingPosition }: { packaging: Packaging; startingPosition: StartingPosition },
): string {
  return [base, ...(packaging === 'zip' ? ['zip'] : []), ...(startingPosition === 'LATEST' ? ['latest'] : [])].join('-');
}
