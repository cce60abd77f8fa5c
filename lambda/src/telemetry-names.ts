/** Names shared by the handler's metrics and the stack's dashboard. */
export const METRICS_NAMESPACE = 'RideDurationPrediction';
export const DEFAULT_SERVICE_NAME = 'ride-duration-prediction';
