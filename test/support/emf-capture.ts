/**
 * The function's output as CloudWatch Logs receives it (Lambda sends it both stdout and
 * stderr): every JSON line it writes, and the EMF documents (the lines with an `_aws` key)
 * among them. It tees process.stdout and process.stderr, so what is read is exactly what
 * Powertools' Metrics and Logger print, for a function running in this process (a local stack).
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
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          documents.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a JSON line: neither a metric nor a structured log
        }
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = write;
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
