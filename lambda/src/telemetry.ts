/**
 * Structured logs and CloudWatch metrics (EMF) through Powertools for AWS Lambda.
 * POWERTOOLS_SERVICE_NAME (the stack sets one per stage), POWERTOOLS_LOG_LEVEL and
 * POWERTOOLS_METRICS_DISABLED tune them without a code change.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from './names';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
/** A Metrics of its own, for a document apart from the batch's (a closed drift window's). */
export const newMetrics = (): Metrics => new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
export { MetricUnit };
