import { latencyShape, type PercentilePoints } from '../model/latency-shape.js';
import { formatMs } from '../model/format.js';

const WIDTH = 140;
const HEIGHT = 28;

/**
 * A per-row latency histogram. With exact durations (`samples`) the bins are counts; with only
 * percentiles, the shape is estimated from them (see latency-shape.ts) and the title says so.
 */
export function LatencyHistogram(props: { points?: PercentilePoints; samples?: number[]; domain?: [number, number] }) {
  let bins: Array<{ fromMs: number; toMs: number; share: number }> = [];
  let title = '';
  if (props.samples !== undefined && props.samples.length > 0) {
    const values = props.samples.map((v) => Math.max(0.01, v));
    const lo = Math.log10(props.domain?.[0] ?? Math.min(...values));
    const hi = Math.max(lo + 1e-6, Math.log10(props.domain?.[1] ?? Math.max(...values)));
    const count = 24;
    const width = (hi - lo) / count;
    const counts = new Array<number>(count).fill(0);
    for (const v of values) counts[Math.min(count - 1, Math.max(0, Math.floor((Math.log10(v) - lo) / width)))]!++;
    bins = counts.map((c, i) => ({ fromMs: 10 ** (lo + i * width), toMs: 10 ** (lo + (i + 1) * width), share: c / values.length }));
    title = `${values.length} durations, ${formatMs(Math.min(...values))} to ${formatMs(Math.max(...values))} (log scale)`;
  } else if (props.points !== undefined && props.points.p99_ms > 0) {
    bins = latencyShape(props.points, 24, props.domain);
    const p = props.points;
    title =
      `Shape estimated from percentiles (log scale): p50 ${formatMs(p.p50_ms)}` +
      `${p.p90_ms !== undefined ? `, p90 ${formatMs(p.p90_ms)}` : ''}, p95 ${formatMs(p.p95_ms)}, p99 ${formatMs(p.p99_ms)}` +
      `${p.max_ms !== undefined ? `, max ${formatMs(p.max_ms)}` : ''}`;
  }
  if (bins.length === 0) return <span className="muted">—</span>;
  if (props.domain !== undefined) title += ` · axis ${formatMs(props.domain[0])} to ${formatMs(props.domain[1])}, the same on every row`;
  const maxShare = Math.max(...bins.map((b) => b.share), 1e-9);
  const barWidth = WIDTH / bins.length;
  // Where p95 falls, as a tick.
  let p95x: number | undefined;
  if (props.points !== undefined && bins.length > 0) {
    const lo = Math.log10(bins[0]!.fromMs);
    const hi = Math.log10(bins[bins.length - 1]!.toMs);
    const v = Math.log10(Math.max(0.01, props.points.p95_ms));
    if (hi > lo) p95x = ((v - lo) / (hi - lo)) * WIDTH;
  }
  return (
    <svg className="histogram" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
      <title>{title}</title>
      {bins.map((b, i) => {
        const h = b.share <= 0 ? 0 : Math.max(1, (b.share / maxShare) * (HEIGHT - 2));
        return <rect key={i} x={i * barWidth + 0.5} y={HEIGHT - h} width={Math.max(1, barWidth - 1)} height={h} className="histogram-bar" />;
      })}
      {p95x !== undefined && <line x1={p95x} x2={p95x} y1={0} y2={HEIGHT} className="histogram-p95" />}
    </svg>
  );
}
