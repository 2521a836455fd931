// A line panel: its keys over its runs, with its own x axis, smoothing, log scale and
// zoom; runs grouped (by everything but the seed) drawn as a mean with a band. Fetched
// when it first scrolls near the screen.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { SeriesQuery } from "../../lib/api";
import { Empty, ErrorBox } from "../../components/States";
import { useWidth } from "../../lib/canvas";
import { runColors } from "../../lib/colors";
import { seedGroupsOf } from "../analysis/bands";
import { LineChart } from "../charts/LineChart";
import type { ChartSeries } from "../charts/series";
import type { Row } from "../runs/rows";
import { bucketsFor, configOf, drawnLines } from "./lines";
import { startBatchedSeries, useBatchedSeries } from "./seriesBatch";
import type { Panel } from "./model";
import { nearScreen, useSeen } from "./useSeen";

interface Props {
  panel: Panel;
  runs: Row[];
}

export function LinePanel({ panel, runs }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 400);
  const seen = useSeen(box);
  const [xRange, setXRange] = useState<[number, number] | null>(null);
  const keys = panel.keys;
  const query = (w: number): SeriesQuery => ({
    runs: runs.map((r) => r.id),
    keys: keys.length ? keys : ["-"],
    x_axis: panel.xAxis,
    buckets: bucketsFor(w),
    x_min: xRange?.[0] ?? null,
    x_max: xRange?.[1] ?? null,
  });
  const res = useBatchedSeries(query(width), seen && runs.length > 0 && keys.length > 0);
  const qc = useQueryClient();
  useLayoutEffect(() => {
    // mounted near the screen: the series are asked for now, at the width as laid out
    // (what useWidth reads), not after the render that `seen` then causes (30 panels
    // rendered again: 50 ms and more on a loaded machine)
    const el = box.current;
    if (el && runs.length > 0 && keys.length > 0 && nearScreen(el))
      startBatchedSeries(qc, query(el.clientWidth || 400));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, as the panel is first laid out
  }, []);
  const runNames = useMemo(() => Object.fromEntries(runs.map((r) => [r.id, r.name])), [runs]);
  const groups = useMemo(
    () =>
      panel.band
        ? seedGroupsOf(
            runs.map((r) => ({ id: r.id, config: configOf(r.cells) })),
            panel.groupBy,
          )
        : null,
    [runs, panel.band, panel.groupBy],
  );
  const drawn = useMemo(
    () =>
      res.data
        ? drawnLines(res.data, keys, runNames, panel.band && groups ? { kind: panel.band, groups } : null)
        : null,
    [res.data, keys, runNames, panel.band, groups],
  );
  const palette = useMemo(() => runColors(drawn?.ids ?? []), [drawn]);
  // stable while the drawn lines are: a new function would rebuild the chart on every render
  const colors = useCallback((id: string) => palette.get(id) ?? "#888", [palette]);
  const options = useMemo(
    () => ({ xAxis: panel.xAxis, logY: panel.logY, smoothing: panel.smoothing, smoothKind: panel.smoothKind }),
    [panel.xAxis, panel.logY, panel.smoothing, panel.smoothKind],
  );
  const points = drawn?.series.reduce((n, s) => n + s.x.length, 0) ?? 0;
  // each drawn series' last value and the band's width there (what the browser tests read)
  const last = (f: (s: ChartSeries, i: number) => number) =>
    drawn?.series.map((s) => (s.x.length ? Number(f(s, s.x.length - 1).toPrecision(4)) : "")).join("|") ?? "";
  return (
    <div
      ref={box}
      className="ws-line"
      style={{ minHeight: panel.h }}
      data-loaded={drawn ? "1" : "0"}
      data-series={drawn?.series.length ?? 0}
      data-points={points}
      data-band={panel.band && groups ? panel.band : ""}
      data-drawn={drawn?.series.map((s) => drawn.names[s.run]).join("|") ?? ""}
      data-last={last((s, i) => s.y[i])}
      data-spread={last((s, i) => s.max[i] - s.min[i])}
    >
      {keys.length === 0 ? (
        <Empty title="No keys chosen">Open the panel's settings (⚙) and pick metrics.</Empty>
      ) : runs.length === 0 ? (
        <Empty title="No runs match" />
      ) : res.error ? (
        <ErrorBox error={res.error} retry={() => void res.refetch()} />
      ) : !drawn ? (
        <div className="chart-skeleton" style={{ height: panel.h }} aria-label="loading chart" />
      ) : drawn.series.length === 0 ? (
        <Empty title="No points" />
      ) : (
        <LineChart
          series={drawn.series}
          names={drawn.names}
          colors={colors}
          options={options}
          width={width}
          height={panel.h}
          xRange={xRange}
          onZoom={setXRange}
          label={`Chart of ${keys.join(", ")}`}
        />
      )}
    </div>
  );
}
