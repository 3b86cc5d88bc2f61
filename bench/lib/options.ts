// Command-line options of the benches: `--name=value`.

/** The number given as `--name=N` among `args`, or `fallback`. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const given = args.find((a) => a.startsWith(`--${name}=`));
  return given === undefined ? fallback : Number(given.slice(name.length + 3));
}
