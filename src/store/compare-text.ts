// The order the contract sorts names in (services of a trace, rows of the statistics): UTF-16
// code unit order, which is what `<` on strings gives. localeCompare would depend on the ICU data
// of the Node build and differ between machines.

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
