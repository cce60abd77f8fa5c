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
/**
 * The closed drift windows' documents, apart from the batch's: one instance for all of them
 * (each publish clears what was added; a new Metrics per document costs more than a window's
 * whole comparison).
 */
export const windowMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
export { MetricUnit };
