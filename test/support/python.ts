import { execFileSync } from 'node:child_process';

/**
 * The Python with scikit-learn: Debian's python3-sklearn lives in /usr/bin/python3, which a
 * python3 earlier on PATH (pyenv, a venv) may hide. PYTHON overrides it.
 */
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

/** Runs a Python script and returns its stdout; throws with its stderr when it fails. */
export function runPython(args: string[]): string {
  try {
    return execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${PYTHON} ${args.join(' ')} failed (is python3-sklearn installed?):\n${e.stderr ?? e.message}`);
  }
}
