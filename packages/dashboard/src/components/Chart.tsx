/** A time-series line chart (uPlot). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** Props: x in seconds since the epoch, one array per series. */
export interface ChartProps {
  readonly title: string;
  readonly x: number[];
  readonly series: { label: string; values: (number | null)[] }[];
  readonly unit?: string;
}

/** Renders the chart and updates it in place when the data changes. */
export function Chart({ title, x, series, unit = '' }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const options: uPlot.Options = {
      title,
      width: Math.max(280, element.clientWidth || 480),
      height: 200,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length] ?? '#000',
          width: 2,
          value: (_u: uPlot, v: number | null) => (v === null ? '-' : `${v}${unit}`),
        })),
      ],
      axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t}${unit}`) }],
    };
    plot.current = new uPlot(options, [x, ...series.map((s) => s.values)], element);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; data updates go through setData below.
  }, [labels, title]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)]);
  }, [x, series]);

  return <div class="chart" ref={holder} role="img" aria-label={title} />;
}
