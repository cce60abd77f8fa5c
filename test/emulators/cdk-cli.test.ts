/**
 * The CDK CLI on the app, as a user runs it: `npx cdk synth` offline, with no Docker engine
 * and no AWS credentials, bundling the handler as it stages the function's code; `npx cdk ls`
 * without bundling anything. test/unit/stack.test.ts checks the templates in-process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** `cdk <args>` into a new assembly directory, with no AWS credentials or endpoint and no Docker to reach. */
function cdk(...args: string[]) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-cli-'));
  outdirs.push(outdir);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const run = spawnSync('node_modules/.bin/cdk', [...args, '-o', outdir, '--no-notices'], {
    env: { ...env, DOCKER_HOST: 'unix:///nonexistent.sock', CDK_DOCKER: '/nonexistent/docker' },
    encoding: 'utf8',
  });
  return { ...run, outdir };
}

/** Every file under the assembly directory whose name is the handler's bundle. */
const bundlesIn = (outdir: string) =>
  readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('index.mjs'));

describe('npx cdk synth', () => {
  it('produces the template with no Docker engine and no AWS credentials, and warns of a prod stage that alarms nobody', () => {
    const run = cdk('synth', '-q', '-c', 'stage=prod');
    expect(run.status, run.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(run.outdir, 'RideDuration-prod.template.json'), 'utf8'));
    expect(Object.values(template.Resources).filter((r) => (r as { Type: string }).Type === 'AWS::Kinesis::Stream')).toHaveLength(2);
    expect(run.stderr).toMatch(
      /WARNING stage prod has no alarm subscriber: its alarms go to a topic nobody reads\. Deploy with -c alarmEmail=/,
    );
    // aws-cdk-lib's CloudFormation validation (which the in-process tests leave out) and cdk-nag find nothing.
    // (The CLI's own messages go to stdout where CI is set, as in a CI run, and to stderr elsewhere.)
    expect(run.stdout + run.stderr).not.toContain('Template validation found issues');
    const report = JSON.parse(readFileSync(join(run.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
    // The image's build context, bundled in the app's process: no Docker was there to do it.
    expect(run.stderr).toContain('Bundling asset RideDuration-prod/Prediction/ImageContext...');
    expect(bundlesIn(run.outdir).length).toBeGreaterThan(0);
  });
});

describe('npx cdk ls', () => {
  it('lists the stage without bundling the handler', () => {
    const run = cdk('ls');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('RideDuration-dev');
    expect(run.stderr).not.toContain('Bundling asset');
    expect(bundlesIn(run.outdir)).toEqual([]);
  });
});
