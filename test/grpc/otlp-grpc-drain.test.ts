// The OTLP/gRPC server stops with the HTTP server (ConnectionDrain, as on SIGTERM): it accepts
// no new call, answers the calls in flight, and is cut off with the HTTP connections when the
// grace period ends.

import { afterEach, describe, expect, it } from 'vitest';
import type { SpanBatch } from '../../src/ingest/span-batch.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import type { IngestResult } from '../../src/store/store-shapes.js';
import { DEFAULT_NOW_MS, startCollector, waitFor, type Api } from '../support/http.js';
import { nsAt } from '../support/spans.js';
import { protobufBody, requestObject, str } from '../otlp/builders.js';
import { exportRaw } from './support.js';

/** A store whose apply() waits until the test lets it go. */
class HeldStore extends BucketStore {
  entered = 0;
  release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));

  override apply(batch: SpanBatch): IngestResult {
    this.entered++;
    // The writer awaits apply(); a promise here holds the call in flight.
    return this.held.then(() => super.apply(batch)) as unknown as IngestResult;
  }
}

const message = (n: number) =>
  protobufBody(
    requestObject([
      {
        attributes: [{ key: 'service.name', value: str('drain') }],
        spans: [{ traceId: `4bf92f3577b34da6a3ce929d0e0e47${n.toString(16).padStart(2, '0')}`, spanId: '00f067aa0ba902b7', name: 'op', startTimeUnixNano: nsAt(DEFAULT_NOW_MS - 2000), endTimeUnixNano: nsAt(DEFAULT_NOW_MS - 1000) }],
      },
    ]),
  );

let api: Api | undefined;
let drained = false;
afterEach(async () => {
  if (!drained) await api?.close();
  api = undefined;
  drained = false;
});

async function start(): Promise<{ api: Api; store: HeldStore; address: string }> {
  let store: HeldStore | undefined;
  api = await startCollector({ store: (clock, windowMinutes) => (store = new HeldStore({ clock, windowMinutes })) });
  const address = `127.0.0.1:${await api.collector.grpc.listen('127.0.0.1', 0)}`;
  return { api, store: store!, address };
}

describe('OTLP/gRPC on shutdown', () => {
  it('answers the call in flight, takes no new one, and the drain ends without forcing', async () => {
    const { api, store, address } = await start();
    const inFlight = exportRaw(address, 'trace', message(1));
    await waitFor('the call to reach the store', async () => store.entered === 1);
    const closed = api.collector.drain.close(api.collector.app, 10_000);
    drained = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await exportRaw(address, 'trace', message(2));
    expect(late.code).toBe(14); // UNAVAILABLE: nothing listens any more
    store.release();
    expect((await inFlight).code).toBe(0);
    expect(await closed).toEqual({ forced: false });
  });

  it('cuts a call still in flight when the grace period ends', async () => {
    const { api, store, address } = await start();
    const inFlight = exportRaw(address, 'trace', message(3));
    await waitFor('the call to reach the store', async () => store.entered === 1);
    const closed = api.collector.drain.close(api.collector.app, 300);
    drained = true;
    expect(await closed).toEqual({ forced: true });
    expect((await inFlight).code).not.toBe(0);
    store.release();
  });
});
