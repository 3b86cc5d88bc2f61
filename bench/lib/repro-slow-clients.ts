// Issue 14's reproduction 7 at the issue's sizes, in three parts (see bench/reproductions.ts): a
// body at one byte every 2 s; 100 connections that each send 15 MiB − 1 of a declared 15 MiB
// body; SIGTERM while a slow client is attached. Over raw sockets: no HTTP client stalls a body.

import { connect, type Socket } from 'node:net';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SHUTDOWN_GRACE_MS } from '../../src/config.js';
import { ResponseReader } from './raw-http-client.js';
import { cpuSeconds, expire, metric, mib, peakRssBytes, sampleMax, sleep, validSpansBody, type ReproContext, type Reproduction } from './repro-harness.js';

const postHead = (length: number) => `POST /spans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

interface ClientOutcome {
  status: number;
  body: string;
  /** When the answer came, or the connection closed without one, from the first byte sent. */
  atMs: number;
  closedAtMs: number | null;
  /** The socket error with which the connection ended (ECONNRESET, EPIPE), if any. */
  error: string | null;
  bytesSent: number;
}

/**
 * A POST /spans on a connection of its own, whose headers declare `declared` body bytes. `send`
 * writes the body (all at once, or trickled); the outcome resolves at the first answer or at the
 * close, whichever comes first, and `closed` when the connection is gone.
 */
function slowPost(port: number, declared: number, send: (socket: Socket, sent: (n: number) => void) => Promise<void>) {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const started = performance.now();
  const reader = new ResponseReader();
  const outcome: ClientOutcome = { status: 0, body: '', atMs: 0, closedAtMs: null, error: null, bytesSent: 0 };
  let settle: (o: ClientOutcome) => void = () => {};
  const answered = new Promise<ClientOutcome>((resolve) => (settle = resolve));
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      outcome.closedAtMs = performance.now() - started;
      if (outcome.atMs === 0) outcome.atMs = outcome.closedAtMs;
      settle(outcome);
      resolve();
    }),
  );
  socket.on('error', (error: NodeJS.ErrnoException) => (outcome.error ??= error.code ?? error.message));
  socket.on('data', (chunk: Buffer) =>
    reader.push(chunk, (r) => {
      if (outcome.status !== 0) return;
      outcome.status = r.status;
      outcome.body = r.body.toString('utf8');
      outcome.atMs = performance.now() - started;
      settle(outcome);
    }),
  );
  socket.on('connect', () => {
    socket.write(postHead(declared));
    void send(socket, (n) => (outcome.bytesSent += n));
  });
  return { socket, answered, closed, started };
}

/** Writes `body` one byte every `intervalMs` until done or the connection is gone. */
function trickle(body: Buffer, intervalMs: number) {
  return async (socket: Socket, sent: (n: number) => void) => {
    for (let i = 0; i < body.length && !socket.destroyed && socket.writable; i++) {
      socket.write(body.subarray(i, i + 1));
      sent(1);
      await sleep(intervalMs);
    }
  };
}

export const slowBody: Reproduction = {
  id: '7a',
  title: 'no body timeout: one byte every 2 s',
  expected: `408 at REQUEST_TIMEOUT_MS (${DEFAULT_REQUEST_TIMEOUT_MS} ms), then the connection closed`,
  body: async (ctx) => {
    const body = validSpansBody(ctx.run, 7, 0, 1);
    ctx.sent(`POST /spans declaring a ${body.length} B body, then sending it one byte every 2 s (it would take ${Math.round((body.length * 2) / 60)} min)`);
    const post = slowPost(ctx.port, body.length, trickle(body, 2000));
    const outcome = await Promise.race([post.answered, expire(DEFAULT_REQUEST_TIMEOUT_MS + 20_000)]);
    // The server must close the connection after its 408; give it a moment, then close it anyway.
    await Promise.race([post.closed, expire(5000)]);
    post.socket.destroy();
    if (outcome === null) {
      ctx.answers.add(0, `no answer within ${DEFAULT_REQUEST_TIMEOUT_MS + 20_000} ms`);
      return;
    }
    ctx.answers.add(outcome.status, outcome.status === 0 ? `closed without an answer (${outcome.error ?? 'FIN'})` : outcome.body);
    ctx.details.answered_after_ms = Math.round(outcome.atMs);
    ctx.details.closed_by_server_after_ms = outcome.closedAtMs === null ? null : Math.round(outcome.closedAtMs);
    ctx.details.body_bytes_sent = outcome.bytesSent;
    ctx.details.socket_error = outcome.error;
    ctx.details.store_spans = await metric(ctx.port, 'traced_store_spans');
  },
  summarize: (d) => `answered after ${d.answered_after_ms} ms, connection closed by the server after ${d.closed_by_server_after_ms} ms (${d.body_bytes_sent} body bytes sent)`,
};

export const partialBodies: Reproduction = {
  id: '7b',
  title: 'no limit on partial bodies: 100 × (15 MiB − 1) of 15 MiB',
  expected: '503 naming MAX_INFLIGHT_BODY_BYTES past the budget (before the body is read); the bodies held get 408 at 30 s; memory bounded by the budget',
  body: async (ctx) => {
    const declared = 15 * 2 ** 20;
    const filler = Buffer.alloc(declared - 1, 0x20);
    const connections = 100;
    ctx.sent(`${connections} connections at once, each POST /spans declaring ${declared} B and sending ${declared - 1} B, then nothing`);
    ctx.details.inflight_budget_mib = mib(await metric(ctx.port, 'traced_max_inflight_body_bytes'));
    ctx.details.rss_before_mib = mib(await metric(ctx.port, 'process_resident_memory_bytes'));
    const inflight = sampleMax(ctx.port, 'traced_inflight_body_bytes', 500);
    const rss = sampleMax(ctx.port, 'process_resident_memory_bytes', 500);
    // The collector's own lag (its 100 ms timer) and CPU: a slow /health with neither high was
    // the machine, not the collector.
    const lag = sampleMax(ctx.port, 'traced_event_loop_lag_seconds', 200);
    const cpuBefore = cpuSeconds(ctx.collector.pid);
    const started = performance.now();
    // One shared buffer: the client holds 15 MiB, not 1.5 GB, whatever the sockets queue.
    const posts = Array.from({ length: connections }, () =>
      slowPost(ctx.port, declared, async (socket, sent) => {
        socket.write(filler, () => sent(filler.length));
      }),
    );
    const deadline = expire(DEFAULT_REQUEST_TIMEOUT_MS + 30_000);
    const outcomes = await Promise.all(posts.map((p) => Promise.race([p.answered, deadline])));
    const allAnsweredMs = performance.now() - started;
    ctx.details.event_loop_lag_peak_ms = Math.round(lag.stop() * 1000);
    const cpuAfter = cpuSeconds(ctx.collector.pid);
    ctx.details.collector_cpu_s = cpuBefore === undefined || cpuAfter === undefined ? null : Number((cpuAfter - cpuBefore).toFixed(2));
    ctx.details.inflight_peak_mib = mib(inflight.stop());
    ctx.details.rss_sampled_peak_mib = mib(rss.stop());
    ctx.details.rss_peak_mib = mib(peakRssBytes(ctx.collector.pid));
    const byStatus: Record<string, { count: number; first_ms: number; last_ms: number; full_body_sent: number }> = {};
    for (const o of outcomes) {
      const key = o === null ? 'none (still open at the deadline)' : o.status !== 0 ? String(o.status) : `none (${o.error ?? 'closed'})`;
      ctx.answers.add(o?.status ?? 0, o === null ? 'still open at the deadline' : o.status === 0 ? `closed without an answer (${o.error ?? 'FIN'})` : o.body);
      const entry = (byStatus[key] ??= { count: 0, first_ms: Infinity, last_ms: 0, full_body_sent: 0 });
      entry.count++;
      entry.first_ms = Math.min(entry.first_ms, Math.round(o?.atMs ?? Infinity));
      entry.last_ms = Math.max(entry.last_ms, Math.round(o?.atMs ?? 0));
      if (o !== null && o.bytesSent === filler.length) entry.full_body_sent++;
    }
    ctx.details.by_answer = byStatus;
    ctx.details.all_answered_ms = Math.round(allAnsweredMs);
    for (const p of posts) p.socket.destroy();
    await sleep(1000);
    ctx.details.inflight_after = await metric(ctx.port, 'traced_inflight_body_bytes');
    ctx.details.rss_after_mib = mib(await metric(ctx.port, 'process_resident_memory_bytes'));
  },
  summarize: (d) =>
    `in-flight peak ${d.inflight_peak_mib} of ${d.inflight_budget_mib} MiB budget; RSS ${d.rss_before_mib} → peak ${d.rss_peak_mib} → after ${d.rss_after_mib} MiB; ` +
    Object.entries(d.by_answer as Record<string, { count: number; first_ms: number; last_ms: number }>)
      .map(([k, v]) => `${v.count}× ${k} at ${v.first_ms}–${v.last_ms} ms`)
      .join(', ') +
    `; collector lag peak ${d.event_loop_lag_peak_ms} ms, ${d.collector_cpu_s} CPU s`,
};

export const sigtermSlowClient: Reproduction = {
  id: '7c',
  title: 'SIGTERM with a slow client attached',
  expected: `exit 0 within SHUTDOWN_GRACE_MS (${DEFAULT_SHUTDOWN_GRACE_MS} ms); the slow client's connection closed at the grace period`,
  body: async (ctx: ReproContext) => {
    const body = validSpansBody(ctx.run, 0x7c, 0, 1);
    ctx.sent('POST /spans sending its body one byte every 2 s; after 2 s, SIGTERM to the collector');
    const post = slowPost(ctx.port, body.length, trickle(body, 2000));
    await sleep(2000);
    // The probe would count the closed listener as failures: its figure ends at the signal.
    await ctx.stopProbe();
    const signalledAt = performance.now();
    process.kill(ctx.collector.pid, 'SIGTERM');
    const exit = await Promise.race([ctx.collector.exited, expire(DEFAULT_SHUTDOWN_GRACE_MS + 20_000)]);
    const outcome = await Promise.race([post.answered, expire(1000)]);
    post.socket.destroy();
    ctx.answers.add(outcome?.status ?? 0, outcome === null || outcome.status === 0 ? `closed without an answer (${outcome?.error ?? 'FIN'})` : outcome.body);
    const closedAt = outcome?.closedAtMs ?? null;
    ctx.details.slow_client_closed_after_signal_ms = closedAt === null ? null : Math.round(post.started + closedAt - signalledAt);
    ctx.details.slow_client_bytes_sent = outcome?.bytesSent ?? null;
    if (exit === null) {
      ctx.ended = { stayedUp: `still running ${DEFAULT_SHUTDOWN_GRACE_MS + 20_000} ms after SIGTERM`, validBatch: 'n/a (shutting down)' };
      return;
    }
    const ms = Math.round(exit.atMs - signalledAt);
    ctx.details.exit = { code: exit.code, signal: exit.signal, ms_after_sigterm: ms };
    ctx.details.log_tail = ctx.collector.logTail(600);
    ctx.ended = { stayedUp: `exit ${exit.code ?? exit.signal} ${ms} ms after SIGTERM (as asked)`, validBatch: 'n/a (shut down)' };
  },
  summarize: (d) =>
    `exit code ${d.exit?.code ?? 'none'} ${d.exit?.ms_after_sigterm ?? '—'} ms after SIGTERM; slow client closed ${d.slow_client_closed_after_signal_ms} ms after it`,
};
