// The Node flags the collector runs with. `npm start`, the Docker image and the benches pass
// them on the command line, because V8 reads them once, when it sets its heap up: the process
// cannot set them for itself.
//
// --max-semi-space-size=32 (MB a semi-space; V8 here takes 16 where its heap limit is 2 GB or
// more, less below): every request's objects are born in the young generation, and with a few
// hundred clients in flight a request's state must be able to die there. A young generation
// too small for it copies that state twice and then moves it to the old generation, whose
// mark-compacts hold the event loop for milliseconds each. The young generation takes three
// times the semi-space size (two semi-spaces and a large-object space), so this costs up to
// 48 MB more than 16 would. TRADEOFFS.md ("Session 13") has the measurements.

/** Flags as `--name=value`; a larger value given for the same name satisfies them. */
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** `--max_semi_space_size` and `--max-semi-space-size` are the same flag to V8. */
const flagName = (name: string) => name.replace(/_/g, '-');

/** The values given for each flag name, from `--name=value` and `--name value` alike. */
function givenValues(words: readonly string[]): Map<string, string> {
  const given = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) continue;
    const equals = word.indexOf('=');
    if (equals >= 0) given.set(flagName(word.slice(0, equals)), word.slice(equals + 1));
    else if (i + 1 < words.length && !words[i + 1]!.startsWith('-')) given.set(flagName(word), words[i + 1]!);
    else given.set(flagName(word), '');
  }
  return given;
}

/** The collector's flags this process was not started with (or with a smaller value), on its command line or in NODE_OPTIONS. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string[] {
  const given = givenValues([...execArgv, ...(nodeOptions ?? '').split(/\s+/).filter((word) => word !== '')]);
  return COLLECTOR_NODE_FLAGS.filter((flag) => {
    const [name, wanted] = flag.split('=') as [string, string | undefined];
    const value = given.get(flagName(name));
    if (value === undefined) return true;
    return wanted !== undefined && !(Number(value) >= Number(wanted));
  });
}
