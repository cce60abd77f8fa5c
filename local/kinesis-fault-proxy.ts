/**
 * A fault-injecting proxy in front of a Kinesis endpoint, for what kinesalite never does:
 * PutRecords partial failures (entries answered ProvisionedThroughputExceededException, as
 * Kinesis does under throttling) and whole calls that fail. Entries it rejects are never
 * forwarded, so the stream behind it holds exactly what the client was told was written.
 * Every other call passes through untouched.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Emulator } from './emulators';
import { close, listen, readBody } from './http';

export interface FaultPolicy {
  /** Share of PutRecords entries answered as throttled, 0 to 1. */
  rejectEntryRate: number;
  /** Share of PutRecords calls failed whole, 0 to 1 (half 500 InternalFailure, half 400 throttled). */
  failCallRate: number;
  /** A seeded source makes a run repeatable; Math.random otherwise. */
  random?: () => number;
}

export interface FaultStats {
  /** Every call that came through, by API operation (PutRecords, PutRecord, ...). */
  callsByOperation: Record<string, number>;
  putRecordsCalls: number;
  failedCalls: number;
  rejectedEntries: number;
  forwardedEntries: number;
}

const PUT_RECORDS = 'Kinesis_20131202.PutRecords';

/** A small seeded generator (mulberry32), for repeatable fault patterns. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startKinesisFaultProxy(target: string, policy: FaultPolicy): Promise<Emulator & { stats: FaultStats }> {
  const random = policy.random ?? Math.random;
  const targetUrl = new URL(target);
  const stats: FaultStats = { callsByOperation: {}, putRecordsCalls: 0, failedCalls: 0, rejectedEntries: 0, forwardedEntries: 0 };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: targetUrl.host, 'content-length': String(body.length) };
      const upstream = request(
        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers },
        async (res) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: await readBody(res) }),
      );
      upstream.on('error', reject).end(body);
    });

  const reply = (res: ServerResponse, status: number, headers: IncomingMessage['headers'], body: Buffer | string) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'content-length': String(payload.length) });
    res.end(payload);
  };

  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const operation = String(req.headers['x-amz-target'] ?? '').replace('Kinesis_20131202.', '');
      stats.callsByOperation[operation] = (stats.callsByOperation[operation] ?? 0) + 1;
      if (req.headers['x-amz-target'] !== PUT_RECORDS) {
        const upstream = await forward(req, body);
        return reply(res, upstream.status, upstream.headers, upstream.body);
      }
      stats.putRecordsCalls++;
      const json = { 'content-type': 'application/x-amz-json-1.1' };
      if (random() < policy.failCallRate) {
        stats.failedCalls++;
        return random() < 0.5
          ? reply(res, 500, json, JSON.stringify({ __type: 'InternalFailure', message: 'injected fault' }))
          : reply(
              res,
              400,
              json,
              JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded (injected)' }),
            );
      }
      const input = JSON.parse(body.toString('utf8')) as { Records: unknown[] };
      const rejected = input.Records.map(() => random() < policy.rejectEntryRate);
      const kept = input.Records.filter((_, i) => !rejected[i]);
      stats.rejectedEntries += input.Records.length - kept.length;
      stats.forwardedEntries += kept.length;

      let results: Record<string, unknown>[] = [];
      let headers: IncomingMessage['headers'] = json;
      if (kept.length > 0) {
        const upstream = await forward(req, Buffer.from(JSON.stringify({ ...input, Records: kept })));
        if (upstream.status !== 200) return reply(res, upstream.status, upstream.headers, upstream.body);
        results = (JSON.parse(upstream.body.toString('utf8')) as { Records: Record<string, unknown>[] }).Records;
        headers = upstream.headers;
      }
      let next = 0;
      const merged = rejected.map((isRejected) =>
        isRejected
          ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' }
          : results[next++],
      );
      const failed = merged.filter((r) => 'ErrorCode' in r).length;
      return reply(res, 200, headers, JSON.stringify({ FailedRecordCount: failed, Records: merged }));
    } catch (error) {
      reply(res, 500, {}, JSON.stringify({ __type: 'InternalFailure', message: (error as Error).message }));
    }
  });
  return { endpoint: await listen(server), stats, stop: () => close(server) };
}
