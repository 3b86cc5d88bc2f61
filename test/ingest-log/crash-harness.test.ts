// The crash harness: a collector process with the durable defaults on a temp DATA_DIR, under
// load from clients that keep a ledger of every span the collector acknowledged (202) and of
// every batch it refused (503), is killed with SIGKILL at random moments, five times, and
// restarted on the same directory. After each restart every acknowledged span is back exactly
// (ids, times to the nanosecond, tags, status) and no span of a refused batch is. A batch whose
// connection died with the process has no answer: it may or may not be back, and is not judged.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { nsText, parseJsonLossless, type JsonObject } from '../support/http.js';
import { freePort, startCollectorProcess, waitForLog, type CollectorProcess } from './collector-process.js';

interface LedgerSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start_time: string;
  end_time: string;
  status: 'ok' | 'error';
  tags: Record<string, string>;
}

const KILLS = 5;
const CLIENTS = 6;
const dataDir = mkdtempSync(join(tmpdir(), 'crash-harness-'));
const started: CollectorProcess[] = [];

afterAll(() => {
  for (const proc of started) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

let sequence = 0;
/** A batch of 1–3 traces, 1–6 spans each, times of now with every nanosecond digit used. */
function nextBatch(): LedgerSpan[] {
  const spans: LedgerSpan[] = [];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  for (let t = 0, traces = 1 + (sequence % 3); t < traces; t++) {
    const traceId = randomUUID();
    const rootId = randomUUID();
    const count = 1 + ((sequence + t) % 6);
    for (let s = 0; s < count; s++) {
      const start = nowNs + BigInt(s * 1_000_003 + (sequence % 997));
      spans.push({
        trace_id: traceId,
        span_id: s === 0 ? rootId : randomUUID(),
        ...(s === 0 ? {} : { parent_span_id: rootId }),
        service: ['checkout', 'paiement-é', '在庫'][s % 3]!,
        operation: `op ${s} ✓`,
        start_time: start.toString(),
        end_time: (start + BigInt(1 + ((sequence * 7919 + s) % 900_000_001))).toString(),
        status: (sequence + s) % 5 === 0 ? 'error' : 'ok',
        tags: { seq: String(sequence), 'note.ü': `v${s} "quoted" \\ 🎉` },
      });
    }
  }
  sequence++;
  return spans;
}

function body(spans: readonly LedgerSpan[]): string {
  // start_time and end_time as bare JSON integers, all 19 digits.
  return JSON.stringify({ spans }).replace(/"(start_time|end_time)":"(\d+)"/g, '"$1":$2');
}

const acknowledged = new Map<string, LedgerSpan[]>();
const refusedTraces = new Set<string>();
const answered = { accepted: 0, refused: 0, noAnswer: 0 };

/** Closed-loop clients posting until `stop` is set; every answer goes into the ledger. */
async function load(port: number, stop: { now: boolean }): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CLIENTS, connectTimeout: 2000 });
  const client = async () => {
    while (!stop.now) {
      const spans = nextBatch();
      try {
        const res = await pool.request({ method: 'POST', path: '/spans', headers: { 'content-type': 'application/json' }, body: body(spans) });
        await res.body.text();
        if (res.statusCode === 202) {
          answered.accepted++;
          for (const span of spans) {
            const list = acknowledged.get(span.trace_id) ?? [];
            list.push(span);
            acknowledged.set(span.trace_id, list);
          }
        } else if (res.statusCode === 503) {
          answered.refused++;
          for (const span of spans) refusedTraces.add(span.trace_id);
        } else {
          throw new Error(`POST /spans answered ${res.statusCode}`);
        }
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('POST /spans answered')) throw error;
        // No answer: the process is dead or not listening yet. In doubt, so not judged.
        answered.noAnswer++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  await pool.close();
}

async function getTrace(pool: Pool, traceId: string): Promise<{ status: number; json: JsonObject | undefined }> {
  const res = await pool.request({ method: 'GET', path: `/traces/${traceId}` });
  const text = await res.body.text();
  return { status: res.statusCode, json: res.statusCode === 200 ? (parseJsonLossless(text) as JsonObject) : undefined };
}

/** Every acknowledged span back exactly; no refused trace back at all. */
async function checkLedger(port: number): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
  try {
    const traces = [...acknowledged.keys()];
    for (let i = 0; i < traces.length; i += 8) {
      await Promise.all(
        traces.slice(i, i + 8).map(async (traceId) => {
          const { status, json } = await getTrace(pool, traceId);
          expect(status, `acknowledged trace ${traceId}`).toBe(200);
          const got = new Map((json!.spans as JsonObject[]).map((span) => [span.span_id as string, span]));
          for (const span of acknowledged.get(traceId)!) {
            const stored = got.get(span.span_id);
            expect(stored, `acknowledged span ${span.span_id} of ${traceId}`).toBeDefined();
            expect({
              trace_id: stored!.trace_id,
              parent_span_id: stored!.parent_span_id,
              service: stored!.service,
              operation: stored!.operation,
              start_time: nsText(stored!.start_time),
              end_time: nsText(stored!.end_time),
              status: stored!.status,
              tags: stored!.tags,
            }).toEqual({ trace_id: span.trace_id, parent_span_id: span.parent_span_id, service: span.service, operation: span.operation, start_time: span.start_time, end_time: span.end_time, status: span.status, tags: span.tags });
          }
        }),
      );
    }
    for (const traceId of refusedTraces) expect((await getTrace(pool, traceId)).status, `refused trace ${traceId}`).toBe(404);
  } finally {
    await pool.close();
  }
}

describe('the crash harness', () => {
  it(`loses no acknowledged span and brings back no refused one across ${KILLS} SIGKILLs under load`, async () => {
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir };
    for (let round = 0; ; round++) {
      // Load starts before the collector does: no answer while it is not listening, 503 while it replays.
      const early = { now: false };
      const earlyLoad = load(port, early);
      const proc = startCollectorProcess(env);
      started.push(proc);
      await waitForLog(proc, 'traced-collector ready', 30_000);
      early.now = true;
      await earlyLoad;
      if (round > 0) await checkLedger(port);
      if (round === KILLS) {
        proc.child.kill('SIGKILL');
        await proc.exited;
        break;
      }
      const stop = { now: false };
      const loading = load(port, stop);
      // A random moment: after 300–1300 ms of load, requests in flight at every stage.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(Math.random() * 1000)));
      expect(proc.child.kill('SIGKILL')).toBe(true);
      expect(await proc.exited).toBe('SIGKILL');
      stop.now = true;
      await loading;
    }
    console.log(`crash harness: ${answered.accepted} batches acknowledged (${[...acknowledged.values()].reduce((n, l) => n + l.length, 0)} spans), ${answered.refused} refused, ${answered.noAnswer} without an answer`);
    expect(answered.accepted).toBeGreaterThan(KILLS * 10);
    expect(acknowledged.size).toBeGreaterThan(0);
  }, 120_000);
});
