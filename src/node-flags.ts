// The Node flags the collector runs with: `npm start`, the Docker image and the benches pass
// them on the command line (V8 reads them once, when it sets its heap up, so the process cannot
// set them for itself).
//
// --max-semi-space-size=32 (MB; V8's default for this Node is 16): the young generation, where
// every request's objects are born. With a few hundred clients in flight, their requests' state
// outlived the default space: a scavenge every ~65 ms held the loop 5.5 ms at the median,
// copied ~2 MB into the old generation each time, and that brought a mark-compact (8–13 ms)
// every second or so. At 32 MB the same load had half the scavenges, 2.4 ms each, and no
// mark-compact in 10 s (`--trace-gc`, 12-span batches on 256 connections, pinned to one core).
// It costs at most 32 MB more of memory (two semi-spaces of 32 instead of 16).

export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The collector's flags this process was not started with, on its command line or in NODE_OPTIONS. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)]);
  return COLLECTOR_NODE_FLAGS.filter((flag) => !given.has(flag));
}
