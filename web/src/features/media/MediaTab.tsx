// The run page's Media tab (docs/media.md): images, text and audio at one step chosen
// with a slider shared by every key, histograms over all steps as a heatmap, tables
// with sort and filter. Loaded when the tab is first shown.
import { useQueries, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { useLiveEvents } from "../../lib/live";
import { useUrlState } from "../../lib/urlState";
import { mediaApi, type MediaItem, type MediaKey } from "./api";
import { itemAt, unionSteps } from "./media";
import "./media.css";
import { AudioPanel, HistogramPanel, ImagePanel, TablePanel, TextPanel } from "./panels";
import { invalidateMedia, mediaKeys, useMediaKeys } from "./queries";
import { mediaSchema } from "./state";

const ORDER: Record<MediaKey["kind"], number> = { image: 0, text: 1, audio: 2, table: 3, histogram: 4 };

export default function MediaTab({ runId, running = false }: { runId: string; running?: boolean }) {
  const keys = useMediaKeys(runId);
  // a running run's media grow: refetch its keys and items as it ships them
  const qc = useQueryClient();
  useLiveEvents(running ? { run: runId } : null, () => void invalidateMedia(qc, runId), 2000);
  const [s, set] = useUrlState(mediaSchema);
  const sorted = useMemo(
    () => [...(keys.data ?? [])].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.key.localeCompare(b.key)),
    [keys.data],
  );
  const items = useQueries({
    queries: sorted.map((k) => ({
      queryKey: mediaKeys.items(runId, k.key),
      queryFn: ({ signal }: { signal: AbortSignal }) => mediaApi.items(runId, k.key, signal),
    })),
  });
  const byKey = new Map<string, MediaItem[]>();
  sorted.forEach((k, i) => {
    const data = items[i]?.data;
    if (data) byKey.set(k.key, data);
  });
  const stepped = sorted.filter((k) => k.kind !== "histogram");
  const steps = unionSteps(stepped.map((k) => byKey.get(k.key) ?? []));
  const step = s.step >= 0 ? s.step : (steps.at(-1) ?? null);
  const index =
    step === null
      ? 0
      : Math.max(
          0,
          steps.findLastIndex((x) => x <= step),
        );

  if (keys.error) return <ErrorBox error={keys.error} retry={() => void keys.refetch()} />;
  if (!keys.data) return <Loading what="media" />;
  if (!sorted.length)
    return (
      <Empty title="No media logged">
        Log images, histograms, tables, text and audio with run.log({"{"}"samples": heron.Image(x){"}"}).
      </Empty>
    );
  const failed = items.find((q) => q.error);
  return (
    <div className="media-tab" data-view="media">
      {failed?.error && <ErrorBox error={failed.error} retry={() => void failed.refetch()} />}
      {steps.length > 0 && (
        <div className="media-slider">
          <label>
            Step{" "}
            <input
              type="range"
              aria-label="media step"
              min={0}
              max={steps.length - 1}
              value={index}
              onChange={(e) => set({ step: steps[Number(e.target.value)] }, { replace: true })}
            />
          </label>
          <output data-testid="media-step">{steps[index]}</output>
          <span className="muted">
            {" "}
            ({index + 1} of {steps.length} steps)
          </span>
        </div>
      )}
      <div className="media-grid">
        {sorted.map((k) => {
          const list = byKey.get(k.key);
          if (!list) return null;
          const item = itemAt(list, step);
          return (
            <section key={k.key} className={`media-panel media-${k.kind}-panel`} data-media-key={k.key}>
              <h3>
                {k.key} <span className="muted">{k.kind}</span>
              </h3>
              {k.kind === "histogram" ? (
                <HistogramPanel items={list} />
              ) : !item ? null : k.kind === "image" ? (
                <ImagePanel runId={runId} item={item} />
              ) : k.kind === "text" ? (
                <TextPanel runId={runId} item={item} />
              ) : k.kind === "audio" ? (
                <AudioPanel runId={runId} item={item} />
              ) : (
                <TablePanel
                  runId={runId}
                  item={item}
                  filter={s.tableFilter}
                  sort={s.tableSort}
                  onFilter={(tableFilter) => set({ tableFilter }, { replace: true })}
                  onSort={(tableSort) => set({ tableSort })}
                />
              )}
            </section>
          );
        })}
      </div>
    </div>
  );
}
