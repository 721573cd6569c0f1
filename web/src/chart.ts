// Bar charts with uPlot: one bar per hour or day, labelled on the site's clock. The chart is an image to
// assistive technology (its label says what it shows); the page gives the same figures as a table.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.ts";

export interface Bars {
  labels: string[];
  values: number[];
}

export interface BarChart {
  element: HTMLElement;
  update: (bars: Bars) => void;
  destroy: () => void;
}

const HEIGHT = 220;

export function barChart(label: string, format: (value: number) => string, bars: Bars): BarChart {
  const element = h("figure", { class: "chart", role: "img", "aria-label": label });
  let current = bars;
  const options = (width: number): uPlot.Options => ({
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(current.values.length, 1) - 0.5] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        space: 56,
        incrs: [1, 2, 3, 4, 6, 12, 24, 48, 96],
        values: (_u, splits) => splits.map((i) => current.labels[Math.round(i)] ?? ""),
      },
      { size: 72, values: (_u, splits) => splits.map(format) },
    ],
    series: [
      {},
      {
        label: "energy",
        fill: "#2f6fb0",
        stroke: "#1f4f80",
        width: 0,
        points: { show: false },
        paths: uPlot.paths.bars?.({ size: [0.7, 48] }),
      },
    ],
  });
  const data = (b: Bars): uPlot.AlignedData => [b.values.map((_, i) => i), b.values];
  let plot: uPlot | undefined;
  // uPlot needs a width: the chart is drawn once the figure is in the page, and again as it resizes.
  const resize = new ResizeObserver(() => {
    const width = element.clientWidth;
    if (width === 0) return;
    if (plot === undefined) plot = new uPlot(options(width), data(current), element);
    else plot.setSize({ width, height: HEIGHT });
  });
  resize.observe(element);
  return {
    element,
    update: (next) => {
      current = next;
      plot?.setData(data(next));
    },
    destroy: () => {
      resize.disconnect();
      plot?.destroy();
    },
  };
}
