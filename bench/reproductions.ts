// Issue 14's nine reproductions at the issue's own sizes, each against a real collector process
// (src/main.ts) started fresh with the shipped defaults plus only what the reproduction sets
// (WINDOW_MINUTES=1 for 1 and 2), on a free port of 127.0.0.1. The issue is done when none of
// them crashes the process, freezes it (GET /health slower than 100 ms, timed every 100 ms from a
// process of its own) or locks it out (a normal 10-span batch afterwards answered 202), and each
// gets the documented answer (README, TRADEOFFS "Budgets: what any input can hold").
//
//   npx tsx bench/reproductions.ts                 all of them, about 12 minutes
//   npx tsx bench/reproductions.ts --only=3,7b     some (7 = 7a, 7b and 7c)
//
// Also run by `npm run bench:bounded` (not with --quick: the issue's sizes are the point; the
// scaled-down versions are test/bounded/). Prints one JSON line per reproduction as it ends, then
// a markdown table. Every load stops by itself; only processes this script started are stopped,
// by their PIDs; each collector logs into a temporary directory, removed unless it crashed.
//
// /health figures include whatever else the machine runs: on a shared machine they are an upper
// bound, and the figure to judge is the one taken on a quiet one.

import { pathToFileURL } from 'node:url';
import { bigTrace, hugeOtlpRequest, logsLockout } from './lib/repro-ingest-cases.js';
import { hugeTagKeys, invalidUtf8, namesCrash, namesLockout, repeatedFilters } from './lib/repro-cases.js';
import { runReproduction, type Reproduction, type ReproRow } from './lib/repro-harness.js';
import { partialBodies, sigtermSlowClient, slowBody } from './lib/repro-slow-clients.js';

export const REPRODUCTIONS: readonly Reproduction[] = [
  namesCrash,
  namesLockout,
  repeatedFilters,
  hugeTagKeys,
  logsLockout,
  hugeOtlpRequest,
  slowBody,
  partialBodies,
  sigtermSlowClient,
  invalidUtf8,
  bigTrace,
];

/** `only`: ids such as "3" or "7b"; "7" selects 7a, 7b and 7c. */
export async function runReproductions(only?: readonly string[], onRow: (row: ReproRow) => void = () => {}): Promise<ReproRow[]> {
  const selected = only === undefined ? REPRODUCTIONS : REPRODUCTIONS.filter((r) => only.some((id) => r.id === id || r.id.replace(/[a-z]$/, '') === id));
  if (only !== undefined) {
    const unknown = only.filter((id) => !REPRODUCTIONS.some((r) => r.id === id || r.id.replace(/[a-z]$/, '') === id));
    if (unknown.length > 0) throw new Error(`--only: no reproduction ${unknown.join(', ')} (there are ${REPRODUCTIONS.map((r) => r.id).join(', ')})`);
  }
  const rows: ReproRow[] = [];
  for (const repro of selected) {
    process.stderr.write(`reproductions: ${repro.id}. ${repro.title}…\n`);
    const row = await runReproduction(repro);
    rows.push(row);
    onRow(row);
  }
  return rows;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The verdict columns of one row, for this table and for bench/run.ts's. */
export function rowCells(row: ReproRow): { answers: string; up: string; health: string; after: string } {
  const answers = Object.entries(row.answers)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
  // Every distinct refusal, not just the first: one flood can meet several limits in turn.
  const refusals = row.refusals.map((r) => `${r.count}× ${r.status}: "${r.body.slice(0, 200)}"`).join('; ');
  const h = row.health;
  const health =
    h.error !== undefined
      ? `probe: ${h.error}`
      : `${h.worstMs ?? '—'} ms (${h.over100ms.length} of ${h.probes} over 100 ms${h.failures > 0 ? `; ${h.failures} unanswered` : ''})`;
  return {
    answers: `${answers || 'none'}${refusals === '' ? '' : ` — ${refusals}`}${row.error !== undefined ? `; BENCH ERROR: ${row.error.split('\n')[0]}` : ''}`,
    up: typeof row.stayed_up === 'string' ? row.stayed_up : row.stayed_up ? 'yes' : '**NO**',
    health,
    after: String(row.valid_batch_after),
  };
}

export function reproductionsTable(rows: readonly ReproRow[]): string {
  const lines = [
    '| # | reproduction | sent | documented answer | answers (non-2xx bodies) | process up | worst GET /health | valid batch after | figures |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const c = rowCells(row);
    lines.push(`| ${row.id} | ${cell(row.title)} | ${cell(row.sent)} | ${cell(row.expected)} | ${cell(c.answers)} | ${cell(c.up)} | ${cell(c.health)} | ${c.after} | ${cell(row.figures)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1];
  const only = onlyArg === undefined ? undefined : onlyArg.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const rows = await runReproductions(only, (row) => process.stdout.write(JSON.stringify(row) + '\n'));
  process.stdout.write(`\n${reproductionsTable(rows)}\n`);
}

// Run as a script, not when bench/run.ts imports the list.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`reproductions failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
