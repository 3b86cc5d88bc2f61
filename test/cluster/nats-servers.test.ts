// The helper the cluster tests stand on: real nats-servers start, answer JetStream, and stop.
import { connect } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsCluster } from '../../tools/cluster/nats-servers.js';

let cluster: NatsCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('nats-server for tests', () => {
  it('one server takes a JetStream stream and answers after its store is written', async () => {
    cluster = await startNats(1);
    const nc = await connect({ servers: cluster.urls });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'probe', subjects: ['probe.>'] });
    const ack = await nc.jetstream().publish('probe.x', new Uint8Array([1, 2, 3]));
    expect(ack.seq).toBe(1);
    await nc.close();
  });

  it('three servers elect a meta leader and keep an R=3 stream writable with one killed', async () => {
    cluster = await startNats(3);
    const nc = await connect({ servers: cluster.urls });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'probe', subjects: ['probe.>'], num_replicas: 3 });
    const js = nc.jetstream();
    await js.publish('probe.a', new Uint8Array([1]));
    await cluster.kill(0);
    let acked = 0;
    const deadline = Date.now() + 20_000;
    while (acked === 0 && Date.now() < deadline) {
      try {
        acked = (await js.publish('probe.b', new Uint8Array([2]), { timeout: 2000 })).seq;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(acked).toBe(2);
    await nc.close();
  }, 40_000);
});
