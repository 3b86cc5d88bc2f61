/**
 * Strict post-run verification against the Traced contract.
 *
 * Upstream only compares `total` and spot-checks 10% of span counts; here
 * every trace is checked: presence, exact span-id set, every span field,
 * and its list summary (times to the digit).
 *
 * The checks live by what they read: `verify-listing.ts` (GET /traces and
 * `total`), `verify-detail.ts` (GET /traces/{id}); what they share is in
 * `verify-run.ts`, and what they find in `verify-report.ts`.
 */
import type { TraceRecord } from './ledger.js';
import { checkDetails } from './verify-detail.js';
import { checkListing, readTotalAndListing } from './verify-listing.js';
import { reportPasses, type VerifyReport } from './verify-report.js';
import { startRun, type TraceApi, type VerifyOptions } from './verify-run.js';

export async function verify(api: TraceApi, records: Iterable<TraceRecord>, opts: VerifyOptions): Promise<VerifyReport> {
  const run = startRun(api, records, opts);
  const read = await readTotalAndListing(run);
  if (read !== undefined) checkListing(run, read);
  await checkDetails(run);

  const { report } = run;
  // A trace found missing by any check is missing, even if another check saw it at the edge.
  for (const id of run.missingIds) run.edgeSkipped.delete(id);
  report.missing = run.missingIds.size;
  report.unexpected = run.unexpected.size;
  report.edgeSkipped = run.edgeSkipped.size;
  report.passed = reportPasses(report);
  return report;
}
