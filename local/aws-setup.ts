/**
 * Local AWS for tests and tools: the emulators with clients pointed at them. The helpers for
 * streams, queues and buckets live in streams.ts, queues.ts and buckets.ts, and are
 * re-exported here for the callers that take them all from one place.
 */
import { type AwsClients, createClients } from '../lambda/src';
import { type Emulators, startEmulators } from './emulators';
import { LOCAL_REGION } from './environment';

export { uploadDirectory } from './buckets';
export { createQueue, drainQueue } from './queues';
export { createStream, readStream, StreamFollower, type StreamRecord } from './streams';

export interface LocalAws extends Emulators {
  clients: AwsClients;
}

export async function startLocalAws(buckets: string[] = []): Promise<LocalAws> {
  const emulators = await startEmulators({ buckets });
  const clients = createClients({ region: LOCAL_REGION, endpoints: emulators.endpoints });
  return {
    ...emulators,
    clients,
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await emulators.stop();
    },
  };
}
