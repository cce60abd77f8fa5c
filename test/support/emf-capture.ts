/**
 * The function's output as CloudWatch Logs receives it (Lambda sends it both stdout and
 * stderr): every JSON line it writes, and the EMF documents (the lines with an `_aws` key)
 * among them. It tees process.stdout and process.stderr, so what is read is exactly what
 * Powertools' Metrics and Logger print, for a function running in this process (a local stack).
 * The JSON lines are kept, not echoed, so that the test's output stays readable; other output
 * passes through.
 */
export interface OutputCapture {
  /** Every JSON object printed, one per line, in order. */
  readonly documents: Record<string, unknown>[];
  /** The EMF documents among them. */
  emf(): Record<string, unknown>[];
  stop(): void;
}

export function captureOutput(): OutputCapture {
  const documents: Record<string, unknown>[] = [];
  const restore = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    let partial = '';
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      const others: string[] = [];
      for (const line of lines) {
        try {
          if (!line.startsWith('{')) throw new Error('not JSON');
          documents.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          others.push(line); // neither a metric nor a structured log
        }
      }
      return others.length === 0 || (write as (...args: unknown[]) => boolean)(`${others.join('\n')}\n`, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = write;
      if (partial !== '') write(partial);
    };
  });
  return {
    documents,
    emf: () => documents.filter((d) => '_aws' in d),
    stop: () => {
      for (const undo of restore) undo();
    },
  };
}
