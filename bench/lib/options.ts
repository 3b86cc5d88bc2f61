// Command-line options of the benches: `--name=value`.

/** The number given as `--name=N` among `args`, or `fallback` (undefined without one). */
export function numberOption(args: readonly string[], name: string): number | undefined;
export function numberOption(args: readonly string[], name: string, fallback: number): number;
export function numberOption(args: readonly string[], name: string, fallback?: number): number | undefined {
  const given = args.find((a) => a.startsWith(`--${name}=`));
  return given === undefined ? fallback : Number(given.slice(name.length + 3));
}
