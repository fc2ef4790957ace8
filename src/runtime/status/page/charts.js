// @ts-check
// Time-series charts of the dashboard, drawn by uPlot (served by Tidal from its own dependency).
import uPlot from "./vendor/uPlot.esm.js";

/**
 * @typedef {{ label: string, color: string, dash?: number[], stepped?: boolean, width?: number }} Line
 * @typedef {{ at: string, type: string, reason: string, message: string }} Marker
 * @typedef {{ min: number, max: number } | undefined} Range
 */

/** The chart colours from the page's CSS variables (light or dark, colour-blind safe). */
export function palette() {
  const style = getComputedStyle(document.documentElement);
  /** @param {string} name */
  const read = (name) => style.getPropertyValue(name).trim();
  return {
    fg: read("--fg"),
    muted: read("--muted"),
    grid: read("--grid"),
    panel: read("--panel"),
    primary: read("--series-primary"),
    secondary: read("--series-secondary"),
    threshold: read("--series-threshold"),
    forecast: read("--series-forecast"),
    normal: read("--marker-normal"),
    warning: read("--marker-warning"),
  };
}

/**
 * uPlot's date templates in 24-hour time and ISO dates, as the rest of the page writes times
 * (its defaults are "1:47pm" and "12/3/26"). Ticks seconds apart name the minute under the first
 * one without the date, which would run into the next minute's name (the legend has the date).
 * @param {string} template
 */
function fmtDate(template) {
  return uPlot.fmtDate(
    template
      .replaceAll("{M}/{D}/{YY} {h}:{mm}{aa}", "{HH}:{mm}")
      .replaceAll("{M}/{D}/{YY}", "{YYYY}-{MM}-{DD}")
      .replaceAll("{M}/{D}", "{MM}-{DD}")
      .replaceAll("{h}{aa}", "{HH}:00")
      .replaceAll("{h}", "{HH}")
      .replaceAll("{aa}", ""),
  );
}

/**
 * Vertical lines at events' times, so scale events line up with the series that caused them.
 * @param {() => Marker[]} markers
 * @returns {uPlot.Plugin}
 */
function eventMarkers(markers) {
  return {
    hooks: {
      draw: [
        (chart) => {
          const colors = palette();
          const { ctx, bbox } = chart;
          const min = chart.scales.x?.min ?? -Infinity;
          const max = chart.scales.x?.max ?? Infinity;
          ctx.save();
          ctx.lineWidth = Math.max(1, devicePixelRatio);
          for (const marker of markers()) {
            const x = Date.parse(marker.at) / 1000;
            if (x < min || x > max) continue;
            const left = Math.round(chart.valToPos(x, "x", true));
            const warning = marker.type === "Warning";
            ctx.strokeStyle = warning ? colors.warning : colors.normal;
            ctx.setLineDash(warning ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(left, bbox.top);
            ctx.lineTo(left, bbox.top + bbox.height);
            ctx.stroke();
            // A small flag at the top, so a marker is seen even where a line crosses it.
            ctx.fillStyle = ctx.strokeStyle;
            ctx.beginPath();
            ctx.moveTo(left, bbox.top);
            ctx.lineTo(left + 6 * devicePixelRatio, bbox.top);
            ctx.lineTo(left, bbox.top + 6 * devicePixelRatio);
            ctx.fill();
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * Shades the stretch drawn from one-minute buckets (each the minute's largest values) and says
 * so, so it is not read as every evaluation.
 * @param {() => number} until seconds since the epoch; 0 when nothing is bucketed
 * @returns {uPlot.Plugin}
 */
function coarseShade(until) {
  return {
    hooks: {
      drawClear: [
        (chart) => {
          const end = until();
          const min = chart.scales.x?.min;
          if (!end || min === undefined || end <= min) return;
          const colors = palette();
          const { ctx, bbox } = chart;
          const right = Math.round(chart.valToPos(end, "x", true));
          ctx.save();
          ctx.fillStyle = colors.panel;
          ctx.fillRect(bbox.left, bbox.top, right - bbox.left, bbox.height);
          const label = "per-minute maxima";
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          if (ctx.measureText(label).width + 12 * devicePixelRatio < right - bbox.left) {
            ctx.fillStyle = colors.muted;
            ctx.textAlign = "left";
            ctx.textBaseline = "top";
            ctx.fillText(label, bbox.left + 6 * devicePixelRatio, bbox.top + 4 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** A chart of lines over time, with event markers; `setData` replaces what it shows. */
export class TimeChart {
  /**
   * @param {HTMLElement} container
   * @param {{ lines: Line[], yLabel: string, markers: () => Marker[], height?: number, integer?: boolean }} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    /** @type {uPlot.AlignedData} */
    this.data = [[], ...options.lines.map(() => [])];
    /** @type {Range} */
    this.range = undefined;
    /** Seconds since the epoch before which points are one-minute buckets (0: none). */
    this.coarseUntil = 0;
    this.chart = this.#create();
    this.resize = new ResizeObserver(() => {
      const width = this.container.clientWidth;
      if (width > 0 && width !== this.chart.width) this.chart.setSize({ width, height: this.chart.height });
    });
    this.resize.observe(container);
  }

  #create() {
    const colors = palette();
    const { lines, yLabel, markers, integer } = this.options;
    const axis = {
      stroke: colors.muted,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1 },
      font: "12px system-ui, sans-serif",
      labelFont: "12px system-ui, sans-serif",
    };
    /** @type {uPlot.Options} */
    const options = {
      width: Math.max(320, this.container.clientWidth),
      height: this.options.height ?? 220,
      cursor: { sync: { key: "tidal" }, drag: { x: true, y: false } },
      legend: { live: true },
      fmtDate,
      scales: {
        x: {
          time: true,
          range: (_chart, min, max) => (this.range ? [this.range.min, this.range.max] : [min, max]),
        },
        y: {
          range: (_chart, min, max) => {
            const top = Math.max(1, max) * 1.1;
            return [Math.min(0, min), integer ? Math.ceil(top) : top];
          },
        },
      },
      axes: [
        { ...axis },
        {
          ...axis,
          label: yLabel,
          size: 56,
          ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
        },
      ],
      series: [
        { label: "time", value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}" },
        ...lines.map((line) => ({
          label: line.label,
          stroke:
            line.color === "primary"
              ? colors.primary
              : colors[/** @type {keyof ReturnType<typeof palette>} */ (line.color)],
          width: line.width ?? 2,
          ...(line.dash ? { dash: line.dash } : {}),
          ...(line.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
          spanGaps: false,
          points: { show: false },
          /** @param {uPlot} _chart @param {number | null} value */
          value: (_chart, value) =>
            value === null || value === undefined ? "–" : String(Math.round(value * 1000) / 1000),
        })),
      ],
      plugins: [coarseShade(() => this.coarseUntil), eventMarkers(markers)],
    };
    return new uPlot(options, this.data, this.container);
  }

  /**
   * @param {uPlot.AlignedData} data
   * @param {Range} range
   * @param {number} [coarseUntil] seconds since the epoch before which points are buckets
   */
  setData(data, range, coarseUntil = 0) {
    this.data = data;
    this.range = range;
    this.coarseUntil = coarseUntil;
    this.chart.setData(data);
    // After uPlot has drawn the new data (it redraws on the next frame).
    requestAnimationFrame(() => this.#showLatest());
  }

  /** Without a cursor on the chart, the legend shows the latest measured values. */
  #showLatest() {
    if (
      this.chart.cursor.idx !== null &&
      this.chart.cursor.idx !== undefined &&
      (this.chart.cursor.left ?? -1) >= 0
    )
      return;
    const measured = /** @type {(number | null)[]} */ (this.data[1] ?? []);
    let index = measured.length - 1;
    while (index > 0 && (measured[index] === null || measured[index] === undefined)) index--;
    if (index >= 0) this.chart.setLegend({ idx: index });
  }

  /** Draws again with the current colours (after a theme change). */
  restyle() {
    this.chart.destroy();
    this.chart = this.#create();
    this.chart.setData(this.data);
    requestAnimationFrame(() => this.#showLatest());
  }

  destroy() {
    this.resize.disconnect();
    this.chart.destroy();
  }
}
