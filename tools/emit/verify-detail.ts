/**
 * GET /traces/{id} for every trace the server must hold: present while it is
 * surely inside the window, gone once it surely left, with exactly the span
 * ids sent and every span field as sent.
 */
import type { GetResult } from './client.js';
import { asBigInt, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { verdictOf, type TraceRecord } from './ledger.js';
import type { Span } from './traffic.js';
import { show, type Problems, type VerifyReport } from './verify-report.js';
import { startOf, type Timed, type VerifyRun } from './verify-run.js';

function tagsEqual(want: Record<string, string>, got: JsonValue | undefined): boolean {
  if (!isJsonObject(got)) return false;
  const keys = Object.keys(want);
  if (Object.keys(got).length !== keys.length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(got, k) && got[k] === want[k]);
}

/** First field of a returned span that differs from the sent one, or undefined. */
export function spanDifference(want: Span, got: JsonObject): string | undefined {
  const id = want.span_id;
  if (got.trace_id !== want.trace_id) return `span ${id}: trace_id ${show(got.trace_id)}`;
  if (want.parent_span_id === undefined) {
    if (Object.prototype.hasOwnProperty.call(got, 'parent_span_id')) return `span ${id}: root carries parent_span_id ${show(got.parent_span_id)} (must be absent)`;
  } else if (got.parent_span_id !== want.parent_span_id) {
    return `span ${id}: parent_span_id ${show(got.parent_span_id)} != ${want.parent_span_id}`;
  }
  if (got.service !== want.service) return `span ${id}: service ${show(got.service)} != ${want.service}`;
  if (got.operation !== want.operation) return `span ${id}: operation ${show(got.operation)} != ${want.operation}`;
  if (asBigInt(got.start_time) !== want.start_time) return `span ${id}: start_time ${show(got.start_time)} != ${want.start_time}`;
  if (asBigInt(got.end_time) !== want.end_time) return `span ${id}: end_time ${show(got.end_time)} != ${want.end_time}`;
  if (got.status !== want.status) return `span ${id}: status ${show(got.status)} != ${want.status}`;
  if (!tagsEqual(want.tags, got.tags)) return `span ${id}: tags ${show(got.tags)} != ${JSON.stringify(want.tags)}`;
  return undefined;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Fetches every trace the server must hold, `concurrency` at a time, and checks each answer. */
export async function checkDetails(run: VerifyRun): Promise<void> {
  const { api, opts, report, problems, missingIds, edgeSkipped } = run;
  await forEachLimit(run.mustList, opts.concurrency, async (rec) => {
    const id = rec.trace.trace_id;
    if (opts.signal?.aborted === true) {
      report.unchecked += 1;
      return;
    }
    let t: Timed<GetResult>;
    try {
      t = await run.timed(() => api.get(`/traces/${id}`, opts.signal));
    } catch (err) {
      report.unchecked += 1;
      problems.add(`GET /traces/${id}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const z = run.zone(startOf(rec), t.ta, t.tb);
    const res = t.value;
    if (res.status === 404) {
      if (z === 'present') {
        if (!missingIds.has(id)) problems.add(`GET /traces/${id} answered 404`);
        missingIds.add(id);
      } else if (z === 'either') {
        edgeSkipped.add(id);
      }
      return;
    }
    if (z === 'absent') {
      run.unexpected.add(id);
      problems.add(`GET /traces/${id} still answers ${res.status} for a trace that left the window`);
      return;
    }
    const body = res.body;
    if (res.status !== 200 || !isJsonObject(body) || !Array.isArray(body.spans)) {
      report.spanMismatches += 1;
      problems.add(`GET /traces/${id} answered ${res.status}: ${res.text.slice(0, 200)}`);
      return;
    }
    // At the window edge a server that evicts span by span may already have
    // dropped the root but not the (later-starting) children: a subset is
    // then acceptable, though every span it does return must still be exact.
    if (checkDetail(rec, body, body.spans, z === 'either', report, problems) === 'edge-subset') edgeSkipped.add(id);
  });
}

function checkDetail(
  rec: TraceRecord,
  body: JsonObject,
  spans: JsonValue[],
  atEdge: boolean,
  report: VerifyReport,
  problems: Problems,
): 'checked' | 'edge-subset' {
  const id = rec.trace.trace_id;
  const sent = new Map(rec.trace.spans.map((s) => [s.span_id, s]));
  const gotIds: string[] = [];
  for (const s of spans) if (isJsonObject(s) && typeof s.span_id === 'string') gotIds.push(s.span_id);
  const complete = verdictOf(rec) === 'complete';

  const unique = new Set(gotIds);
  const malformed = gotIds.length !== spans.length || unique.size !== gotIds.length;
  const foreign = gotIds.filter((s) => !sent.has(s));
  const lacking = complete ? [...sent.keys()].filter((s) => !unique.has(s)) : [];
  const edgeSubset = atEdge && lacking.length > 0;
  if (malformed || foreign.length > 0 || (lacking.length > 0 && !edgeSubset)) {
    const root = rec.trace.spans[0]!.span_id;
    report.spanMismatches += 1;
    problems.add(
      `spans of ${id}: ${malformed ? 'duplicate or malformed entries; ' : ''}` +
        `${foreign.length} unknown, ${lacking.length} lacking (got ${gotIds.length}, sent ${sent.size}, root ${unique.has(root) ? 'returned' : 'not returned'})`,
    );
    return 'checked';
  }

  let diff: string | undefined = body.trace_id === id ? undefined : `trace_id ${show(body.trace_id)}`;
  let previous: bigint | undefined;
  for (const s of spans as JsonObject[]) {
    if (diff !== undefined) break;
    diff = spanDifference(sent.get(s.span_id as string)!, s);
    const start = asBigInt(s.start_time);
    if (diff === undefined && previous !== undefined && start !== undefined && start < previous) diff = 'spans not ordered by start_time ascending';
    previous = start;
  }
  if (diff !== undefined) {
    report.detailMismatches += 1;
    problems.add(`detail of ${id}: ${diff}`);
  }
  return edgeSubset ? 'edge-subset' : 'checked';
}
