/*
 * What CloudFormation would do with a deployed stack when the template changes, as far as
 * named resources go: a resource whose create-only property changes is replaced (the new one
 * is created before the old one is deleted), so a replacement under the same physical name
 * collides with the old resource, and so does a resource that moves to a new logical id under
 * its old name. Lambda also refuses a second event source mapping from one stream to one
 * function, which is what replacing a mapping without moving it to a new function makes.
 */

type Resource = { Type: string; Properties?: Record<string, unknown> };
type TemplateJson = { Resources: Record<string, Resource> };

/** The physical-name property and the create-only ("Update requires: Replacement") properties of the types the stack uses. */
export const CREATE_ONLY: Record<string, { name?: string; createOnly: string[] }> = {
  'AWS::Lambda::Function': { name: 'FunctionName', createOnly: ['FunctionName', 'PackageType'] },
  'AWS::Lambda::EventSourceMapping': { createOnly: ['EventSourceArn', 'StartingPosition', 'StartingPositionTimestamp'] },
  'AWS::Kinesis::Stream': { name: 'Name', createOnly: ['Name'] },
  'AWS::SQS::Queue': { name: 'QueueName', createOnly: ['QueueName', 'FifoQueue'] },
  'AWS::Logs::LogGroup': { name: 'LogGroupName', createOnly: ['LogGroupName'] },
  'AWS::SNS::Topic': { name: 'TopicName', createOnly: ['TopicName', 'FifoTopic'] },
  'AWS::CloudWatch::Alarm': { name: 'AlarmName', createOnly: ['AlarmName'] },
  'AWS::CloudWatch::Dashboard': { name: 'DashboardName', createOnly: ['DashboardName'] },
  'AWS::S3::Bucket': { name: 'BucketName', createOnly: ['BucketName'] },
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A resource's physical name, when the template fixes it. */
function nameOf(resource: Resource): string | undefined {
  const property = CREATE_ONLY[resource.Type]?.name;
  const name = property === undefined ? undefined : resource.Properties?.[property];
  return typeof name === 'string' ? name : undefined;
}

/** What a Ref or GetAtt points at, by its physical name where it has one. */
function target(template: TemplateJson, value: unknown): string {
  const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  const id = ref?.Ref ?? ref?.['Fn::GetAtt']?.[0];
  const resource = id === undefined ? undefined : template.Resources[id];
  return (resource && nameOf(resource)) ?? JSON.stringify(value);
}

/** The stream and function a mapping joins. */
function mappingEnds(template: TemplateJson, mapping: Resource): string {
  return `${target(template, mapping.Properties?.EventSourceArn)} -> ${target(template, mapping.Properties?.FunctionName)}`;
}

/** Why updating a stack deployed from `before` to `after` would fail on a replacement; empty when it would not. */
export function replacementCollisions(before: TemplateJson, after: TemplateJson): string[] {
  const problems: string[] = [];
  const removed = Object.entries(before.Resources).filter(([id]) => after.Resources[id] === undefined);
  for (const [id, next] of Object.entries(after.Resources)) {
    const spec = CREATE_ONLY[next.Type];
    if (spec === undefined) continue;
    const prev = before.Resources[id];
    const name = nameOf(next);
    if (prev !== undefined && prev.Type === next.Type) {
      const changed = spec.createOnly.filter((p) => !same(prev.Properties?.[p], next.Properties?.[p]));
      if (changed.length === 0) continue;
      if (name !== undefined && name === nameOf(prev)) {
        problems.push(
          `${next.Type} ${name}: ${changed.join(', ')} changes, so it is replaced, and the new one is created under the name the old one still holds`,
        );
      }
      if (next.Type === 'AWS::Lambda::EventSourceMapping' && mappingEnds(before, prev) === mappingEnds(after, next)) {
        problems.push(
          `${next.Type}: ${changed.join(', ')} changes, so a second mapping ${mappingEnds(after, next)} is created beside the first, which Lambda refuses`,
        );
      }
      continue;
    }
    // A new logical id: created while the removed one still exists.
    for (const [oldId, old] of removed) {
      if (old.Type !== next.Type) continue;
      if (name !== undefined && name === nameOf(old))
        problems.push(
          `${next.Type} ${name}: moves from ${oldId} to ${id}, and the new one is created under the name the old one still holds`,
        );
      if (next.Type === 'AWS::Lambda::EventSourceMapping' && mappingEnds(before, old) === mappingEnds(after, next)) {
        problems.push(
          `${next.Type}: moves from ${oldId} to ${id}, so a second mapping ${mappingEnds(after, next)} is created beside the first, which Lambda refuses`,
        );
      }
    }
  }
  return problems;
}
