import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until check() returns a value that satisfies done, or fails after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await sleep(100);
  }
}
