// Bench worker for bench/fanout.ts: a collector preloaded with `traces` traces of each given run
// (disjoint trace ids per run, roots spread over the same range), optionally answering queries
// for peers too (AppOptions.peers). Listens on a free loopback port and reports it.
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { preload } from './preload.js';

const [tracesText, runsText, fromText, toText, peersText] = process.argv.slice(2) as [string, string, string, string, string];
const fromNs = BigInt(fromText);
const toNs = BigInt(toText);
// Time stands still at the end of the range: every preloaded trace stays in the window.
const clock = new ManualClock(Number(toNs / 1_000_000n));
const config = loadConfig({ PORT: '0', WINDOW_MINUTES: '30', MAX_SPANS: String(2 ** 40), LOG_LEVEL: 'silent', STORAGE: 'memory' });
const store = new BucketStore({ clock, windowMinutes: 30 });
let spans = 0;
for (const run of runsText.split(',')) spans += await preload(store, { traces: Number(tracesText), fromNs, toNs, run: Number(run), withTags: true });
const peers = peersText === '-' ? undefined : peersText.split(',');
const { app } = await buildApp({ config, store, clock, logger: false, peers });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.send!({ port: address.port, spans });
process.on('message', (m: { cpu?: boolean }) => {
  if (m.cpu === true) process.send!({ cpu: process.cpuUsage() });
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
