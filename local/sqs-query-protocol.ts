/*
 * SQS's Query protocol, the one older clients speak (Debian's AWS CLI v2.9, boto3 before
 * 1.34): form-encoded POSTs with an Action, answered in XML. It is translated to and from the
 * shapes of the JSON protocol, so that the local SQS server handles one kind of request.
 */

const NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Query list parameters (`Name.N.Field`) and the JSON member each becomes. */
const LISTS: Record<string, string> = {
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
};

/** Query error codes of the JSON protocol's error names. */
export const QUERY_ERROR_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};

/** A form-encoded Query request as an action and a JSON-protocol input. */
export function parseQueryRequest(form: string): { action: string; input: Record<string, unknown> } {
  const params = new URLSearchParams(form);
  const input: Record<string, unknown> = {};
  const lists = new Map<string, Map<number, Record<string, string> | string>>();
  const attributes = new Map<number, { Name?: string; Value?: string }>();
  for (const [key, value] of params) {
    const [head, index, ...rest] = key.split('.');
    const n = Number(index);
    if (key === 'Action' || key === 'Version') continue;
    if (head === 'Attribute' && Number.isInteger(n)) {
      // Attribute.N.Name / Attribute.N.Value: a map of queue attributes.
      const attribute = attributes.get(n) ?? {};
      attribute[rest[0] as 'Name' | 'Value'] = value;
      attributes.set(n, attribute);
    } else if (LISTS[head] !== undefined && Number.isInteger(n)) {
      const list = lists.get(head) ?? new Map();
      if (rest.length === 0) list.set(n, value);
      else list.set(n, { ...((list.get(n) as Record<string, string>) ?? {}), [rest.join('.')]: value });
      lists.set(head, list);
    } else {
      input[key] = value;
    }
  }
  for (const [head, list] of lists) input[LISTS[head]] = [...list.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  if (attributes.size > 0) input.Attributes = Object.fromEntries([...attributes.values()].map((a) => [a.Name ?? '', a.Value ?? '']));
  return { action: params.get('Action') ?? '', input };
}

/** Text as XML character data; a carriage return is kept as a reference, as XML parsers would drop it. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);
}

/** The element name of each item of a JSON list, by member. */
function itemName(action: string, member: string): string {
  if (member === 'Successful') return `${action}ResultEntry`;
  if (member === 'Failed') return 'BatchResultErrorEntry';
  return member.replace(/s$/, ''); // QueueUrls -> QueueUrl, Messages -> Message
}

function renderMembers(action: string, value: Record<string, unknown>): string {
  return Object.entries(value)
    .map(([member, v]) => {
      if (v === undefined) return '';
      if (Array.isArray(v))
        return v
          .map((item) =>
            element(
              itemName(action, member),
              typeof item === 'object' ? renderMembers(action, item as Record<string, unknown>) : escapeXml(String(item)),
            ),
          )
          .join('');
      // A map (queue or message attributes) is a flattened list of Name/Value pairs.
      if (typeof v === 'object' && v !== null) {
        const name = member === 'Attributes' ? 'Attribute' : member.replace(/s$/, '');
        return Object.entries(v)
          .map(([k, val]) => element(name, element('Name', escapeXml(k)) + element('Value', escapeXml(String(val)))))
          .join('');
      }
      return element(member, escapeXml(String(v)));
    })
    .join('');
}

const element = (name: string, content: string) => `<${name}>${content}</${name}>`;

/**
 * SQS's actions that answer with no result: their XML holds only ResponseMetadata. Every other
 * action's answer holds an `<{Action}Result>` element, empty when there is nothing to say (no
 * message to receive, no queue listed): botocore's Query parser reads that element by name and
 * fails without it (Debian's CLI v2.9: `'ReceiveMessageResult'`, exit 255).
 */
const NO_RESULT_ACTIONS: ReadonlySet<string> = new Set([
  'AddPermission',
  'ChangeMessageVisibility',
  'DeleteMessage',
  'DeleteQueue',
  'PurgeQueue',
  'RemovePermission',
  'SetQueueAttributes',
  'TagQueue',
  'UntagQueue',
]);

/** A JSON-protocol result as the Query protocol's XML answer. */
export function queryResponse(action: string, result: Record<string, unknown>, requestId: string): string {
  const members = renderMembers(action, result);
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${NAMESPACE}">` +
    (NO_RESULT_ACTIONS.has(action) ? '' : element(`${action}Result`, members)) +
    element('ResponseMetadata', element('RequestId', requestId)) +
    `</${action}Response>`
  );
}

/** An error as the Query protocol's XML answer. */
export function queryError(code: string, message: string, sender: boolean, requestId: string): string {
  const error =
    element('Type', sender ? 'Sender' : 'Receiver') +
    element('Code', escapeXml(QUERY_ERROR_CODES[code] ?? code)) +
    element('Message', escapeXml(message)) +
    '<Detail/>';
  return `<?xml version="1.0"?><ErrorResponse xmlns="${NAMESPACE}">${element('Error', error)}${element('RequestId', requestId)}</ErrorResponse>`;
}
