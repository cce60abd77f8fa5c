/*
 * The retry budget of one invocation: the time Lambda gives it
 * (`context.getRemainingTimeInMillis()`), less a margin to report what is left as batch
 * item failures and return. An invocation that overran its timeout would fail whole, and
 * Lambda would replay the whole batch, so stopping early is cheaper than one more try.
 */
import { DEFAULT_TIMEOUT_SECONDS } from '../names';

export interface DeadlineMargins {
  /** No new attempt, backoff included, starts later than this before the timeout. */
  retryMs: number;
  /** A call still running this long before the timeout is aborted. */
  abortMs: number;
}

export const DEFAULT_MARGINS: DeadlineMargins = { retryMs: 3_000, abortMs: 1_000 };

/** The function timeout assumed when no Lambda context is given (the stack's default, 60 s). */
export const DEFAULT_TIMEOUT_MS = DEFAULT_TIMEOUT_SECONDS * 1000;

export class Deadline {
  private constructor(
    /** The last moment an attempt may start, on the retry clock. */
    readonly retryUntil: number,
    readonly abortAt: number,
  ) {}

  /**
   * The deadline of an invocation with `remainingMs` left at `now` (both in ms, on the retry
   * clock). With little time left, the margins shrink to a share of it, so that a short
   * timeout still leaves calls the time to be made.
   */
  static fromRemainingTime(remainingMs: number, now: number, margins: DeadlineMargins = DEFAULT_MARGINS): Deadline {
    // Whole milliseconds: AbortSignal.timeout throws a RangeError on a fraction.
    const retryMs = Math.floor(Math.min(margins.retryMs, remainingMs / 4));
    const abortMs = Math.floor(Math.min(margins.abortMs, remainingMs / 10));
    return new Deadline(now + remainingMs - retryMs, now + remainingMs - abortMs);
  }

  /** Whether an attempt starting at `at` may still be made. */
  allowsAttemptAt(at: number): boolean {
    return at <= this.retryUntil;
  }

  /** Aborts a call that is still running at abortAt. */
  signal(now: number): AbortSignal {
    return AbortSignal.timeout(Math.max(1, Math.ceil(this.abortAt - now)));
  }
}
