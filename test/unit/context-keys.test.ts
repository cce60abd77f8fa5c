/** The app's context keys: one list, the README's table, and a warning for a key that is none of them. */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, closestContextKey, unknownContextKeys } from '../../lib/stack-settings';

const unknown = (context: Record<string, unknown>) => unknownContextKeys(new App({ context }).node);

describe('context keys', () => {
  it("are the README's context table, key for key", () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('| context key'), readme.indexOf('What the stack provisions'));
    const documented = [...table.matchAll(/^\| (.+?) +\|/gm)].flatMap((row) => [...row[1].matchAll(/`(\w+)`/g)].map((m) => m[1]));
    expect(documented.sort()).toEqual([...CONTEXT_KEYS].sort());
  });

  it('warns of a misspelled key, naming the one meant', () => {
    expect(unknown({ memorysize: '1024' })).toEqual([
      { key: 'memorysize', message: 'context memorysize is not a setting of this app and is ignored: did you mean memorySize?' },
    ]);
    expect(closestContextKey('batchsize')).toBe('batchSize');
    expect(closestContextKey('runid')).toBe('runId');
    expect(closestContextKey('modelBuckt')).toBe('modelBucket');
    expect(closestContextKey('stg')).toBe('stage');
  });

  it('names every setting when no key is near', () => {
    const [warning] = unknown({ colour: 'blue' });
    expect(warning.message).toBe(
      `context colour is not a setting of this app and is ignored (the settings are: ${CONTEXT_KEYS.join(', ')})`,
    );
  });

  it("keeps quiet about the app's own keys and CDK's: feature flags, aws:cdk settings, lookups, the CLI's own", () => {
    const context = {
      ...Object.fromEntries(CONTEXT_KEYS.map((key) => [key, 'x'])),
      '@aws-cdk/core:checkSecretUsage': true,
      '@aws-cdk/aws-iam:minimizePolicies': true,
      'aws:cdk:enable-path-metadata': true,
      'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'],
      'acknowledged-issue-numbers': [32775],
      'cli-telemetry': false,
    };
    expect(unknown(context)).toEqual([]);
    // What the CDK itself adds to every app's context.
    expect(unknownContextKeys(new App().node)).toEqual([]);
  });
});
