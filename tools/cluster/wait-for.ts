// The one poll-until-it-holds of the scripts, benches and tests that start collectors and wait
// on them (test/support/http.ts passes it on to the tests). It lives under tools/ because tools
// may not import from test/.

/**
 * Polls `probe` every `stepMs` until it returns true, at most `timeoutMs`; resolves with the time
 * it took, throws naming `what` otherwise. A probe that throws fails the wait at once: wrap it in
 * askingAgain() where an error only means "not yet".
 */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** The probe, with an error taken as "not yet": a node between states (starting, restarting, busy). */
export function askingAgain(probe: () => boolean | Promise<boolean>): () => Promise<boolean> {
  return async () => {
    try {
      return await probe();
    } catch {
      return false;
    }
  };
}
