/** What a newcomer's first commands print besides their results: no warning about the project's own setup. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe("a newcomer's first run", () => {
  it("npm test's vitest loads its configuration without Vite's configLoader warning", async () => {
    const { stdout, stderr } = await promisify(execFile)('node_modules/.bin/vitest', ['list', '--project', 'unit'], {
      encoding: 'utf8',
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: '' },
    });
    expect(stdout).toContain('test/unit/');
    expect(`${stdout}${stderr}`).not.toContain('configLoader');
    expect(stderr).toBe('');
  });
});
