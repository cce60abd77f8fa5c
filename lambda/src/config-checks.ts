/*
 * Checks of single settings, each returning what is wrong (for a message that the caller
 * prefixes with the variable's name) or undefined when the value is fine. They run once at
 * start, so that a bad value fails there, named, rather than at the first delivery.
 */
import { isBucketName } from './s3-uri';

/** Kinesis stream names: 1 to 128 of letters, digits, `_`, `.` and `-`. */
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
/** SQS queue names: 1 to 80 of letters, digits, `_` and `-`, and `.fifo` for a FIFO queue. */
const QUEUE_NAME = /^[a-zA-Z0-9_-]{1,80}(\.fifo)?$/;
/** AWS region names: us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, eusc-de-east-1, ... */
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

const quote = (value: string) => JSON.stringify(value);

/** An http(s) endpoint URL: a real URL parse, a port in 1-65535, no credentials, query or fragment. */
export function endpointUrlProblem(value: string): string | undefined {
  const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(value)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}, outside 1-65535: ${quote(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a URL: ${quote(value)} (expected http(s)://host[:port])`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, got ${quote(value)}`;
  if (url.hostname === '') return `has no host: ${quote(value)}`;
  if (url.username !== '' || url.password !== '') return `must not carry credentials: ${quote(url.host)}`;
  if (url.search !== '' || url.hash !== '') return `must not have a query or fragment, got ${quote(value)}`;
  return undefined;
}

/** An SQS queue URL of a standard queue: an endpoint URL whose path is /<account>/<queue name>. */
export function queueUrlProblem(value: string): string | undefined {
  const problem = endpointUrlProblem(value);
  if (problem !== undefined) return problem;
  const segments = new URL(value).pathname.split('/').filter(Boolean);
  const name = segments[1];
  if (segments.length !== 2 || !QUEUE_NAME.test(name)) {
    return `must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue name>), got ${quote(value)}`;
  }
  // SendMessageBatch to a FIFO queue needs a message group for every entry; dead letters are unordered.
  if (name.endsWith('.fifo')) return `must name a standard queue, not a FIFO queue: ${quote(value)}`;
  return undefined;
}

/** The region of an AWS queue URL: sqs.<region>.amazonaws.com(.cn), or the legacy <region>.queue.amazonaws.com. */
const QUEUE_HOST_REGION = /^(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Why a queue URL cannot be reached from the function's region, or undefined. The SDK sends
 * to the URL's host but signs for its own region, so a queue in another region fails every
 * call; better said at start than found in the first bad record's retries.
 */
export function queueRegionProblem(queueUrl: string, region: string | undefined): string | undefined {
  const match = QUEUE_HOST_REGION.exec(new URL(queueUrl).hostname);
  const queueRegion = match?.[1] ?? match?.[2];
  if (region === undefined || queueRegion === undefined || queueRegion === region) return undefined;
  return `is a queue in ${queueRegion}, but the function runs in ${region}: use a queue in ${region}`;
}

export function streamNameProblem(value: string): string | undefined {
  return STREAM_NAME.test(value) ? undefined : `must be a Kinesis stream name (1 to 128 letters, digits, _ . -), got ${quote(value)}`;
}

export function regionProblem(value: string): string | undefined {
  return REGION.test(value) ? undefined : `must be an AWS region such as us-east-1 or eu-west-2, got ${quote(value)}`;
}

export function bucketNameProblem(value: string): string | undefined {
  return isBucketName(value) ? undefined : `must be an S3 bucket name (3 to 63 lowercase letters, digits, . -), got ${quote(value)}`;
}
