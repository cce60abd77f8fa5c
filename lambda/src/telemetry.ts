import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Structured logs and CloudWatch metrics (EMF) through Powertools for AWS Lambda.
 * POWERTOOLS_LOG_LEVEL and POWERTOOLS_METRICS_DISABLED tune them without a code change.
 */
const serviceName = 'ride-duration-prediction';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: 'RideDurationPrediction', serviceName });
export { MetricUnit };
