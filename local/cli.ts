/**
 * The command line of the project's commands (npm run local, tail, invoke, model-check,
 * deploy:moto), read one way: Node's parseArgs, `--help` printing the usage, and a mistake
 * answered with one line and the usage, exit 2, never a stack trace.
 *
 * @example
 * ```typescript
 * import { MODEL_OPTIONS, MODEL_USAGE, readCommandLine } from './cli';
 *
 * const { values, positionals } = readCommandLine('npm run invoke', `usage: npm run invoke -- ${MODEL_USAGE} <event.json>`, {
 *   options: MODEL_OPTIONS,
 *   allowPositionals: true,
 * }, { positionals: [1, 1] });
 * ```
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** How a command says what is wrong and stops: `npm run local: <message>`. */
export function fail(command: string, message: string, exitCode = 1): never {
  console.error(`${command}: ${message}`);
  process.exit(exitCode);
}

/**
 * Parses the command line (`process.argv` after the script) by `config`. `--help` or `-h`
 * prints the usage and exits 0; an unknown option, a missing value or the wrong number of
 * positionals (`positionals: [min, max]`) prints the problem and the usage and exits 2.
 */
export function readCommandLine<const T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
  { args = process.argv.slice(2), positionals = [0, 0] }: { args?: string[]; positionals?: [number, number] } = {},
): ReturnType<typeof parseArgs<T>> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs({ ...config, args } as T);
  } catch (error) {
    return fail(command, `${(error as Error).message}\n${usage}`, 2);
  }
  const count = parsed.positionals?.length ?? 0;
  const [min, max] = positionals;
  if (count < min || count > max) {
    const extra = count > max ? `unexpected ${JSON.stringify(parsed.positionals![max])}` : 'missing an argument';
    fail(command, `${extra}\n${usage}`, 2);
  }
  return parsed;
}

/** The model options of every command that serves a model, as `npm run local` takes them. */
export const MODEL_OPTIONS = {
  model: { type: 'string' },
  'run-id': { type: 'string' },
} as const;

/** Their usage. */
export const MODEL_USAGE = '[--model <model directory | model file | s3://bucket/prefix-or-key>] [--run-id <label>]';

/** A start failure in the command line's words: a model with no run id to label it with wants `--run-id`, not the function's RUN_ID. */
export const withModelOptions = (message: string): string =>
  message.startsWith('set RUN_ID') ? `${message} (pass --run-id <label>)` : message;

/** A port given on the command line: an integer from 0 (any free port) to 65535. */
export function readPort(command: string, flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    fail(command, `${flag} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`, 2);
  return port;
}
