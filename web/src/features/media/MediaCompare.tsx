// Media side by side in the comparison: for each image key the runs share, each run's
// image at one step (a shared slider), so a model's samples can be compared run to run.
import { useQueries } from "@tanstack/react-query";
import { Empty, Loading } from "../../components/States";
import { useUrlState } from "../../lib/urlState";
import { mediaApi, type MediaItem, type MediaKey } from "./api";
import { itemAt, unionSteps } from "./media";
import "./media.css";
import { ImagePanel } from "./panels";
import { mediaKeys } from "./queries";
import { mediaSchema } from "./state";

export default function MediaCompare({ runs }: { runs: { id: string; name: string }[] }) {
  const [s, set] = useUrlState(mediaSchema);
  const keyLists = useQueries({
    queries: runs.map((r) => ({
      queryKey: mediaKeys.keys(r.id),
      queryFn: ({ signal }: { signal: AbortSignal }) => mediaApi.keys(r.id, signal),
    })),
  });
  const loaded = keyLists.every((q) => q.data);
  const shared = loaded ? commonImageKeys(keyLists.map((q) => q.data ?? [])) : [];
  const items = useQueries({
    queries: shared.flatMap((key) =>
      runs.map((r) => ({
        queryKey: mediaKeys.items(r.id, key),
        queryFn: ({ signal }: { signal: AbortSignal }) => mediaApi.items(r.id, key, signal),
      })),
    ),
  });
  if (!loaded) return <Loading what="media" />;
  if (!shared.length) return <Empty title="No image key common to these runs" />;
  const lists: MediaItem[][] = items.map((q) => q.data ?? []);
  const steps = unionSteps(lists);
  const step = s.step >= 0 ? s.step : (steps.at(-1) ?? null);
  const index =
    step === null
      ? 0
      : Math.max(
          0,
          steps.findLastIndex((x) => x <= step),
        );
  return (
    <div className="media-tab media-compare" data-view="media-compare">
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
        </div>
      )}
      {shared.map((key, k) => (
        <section key={key} className="media-panel" data-media-key={key}>
          <h3>{key}</h3>
          <div className="media-grid">
            {runs.map((r, i) => {
              const item = itemAt(lists[k * runs.length + i] ?? [], step);
              return (
                <div key={r.id} data-run-id={r.id}>
                  <div className="muted">{r.name}</div>
                  {item ? <ImagePanel runId={r.id} item={item} /> : <span className="muted">none</span>}
                </div>
              );
            })}
          </div>
        </section>
      ))}
    </div>
  );
}

function commonImageKeys(lists: MediaKey[][]): string[] {
  const [first, ...rest] = lists;
  if (!first) return [];
  return first
    .filter((k) => k.kind === "image" && rest.some((l) => l.some((o) => o.key === k.key && o.kind === "image")))
    .map((k) => k.key)
    .sort();
}
