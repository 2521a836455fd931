// The Logs tab: what the run printed (stdout and stderr, captured by heron.init), and
// any saved files that look like logs. The console shows its newest lines first (older
// ones a page at a time), virtualised; while the run is running it follows new lines
// live, scrolling along unless the user has scrolled up to read.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useLayoutEffect, useRef, useState } from "react";
import { FilePreview } from "../../components/FilePreview";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { useLiveEvents } from "../../lib/live";
import { runApi } from "./api";
import { plainText, searchLines } from "./console";
import { useConsole, useRunFiles } from "./queries";

const ROW = 18; // px: one unwrapped line
const LOG_FILE = /(^|\/)(logs?\/|output\.log$|stdout|stderr|console)/i;
const LIVE_KINDS = ["console", "points", "run"] as const; // "points": a local writer's batch

export function LogsTab({ runId, running }: { runId: string; running: boolean }) {
  const files = useRunFiles(runId);
  const saved = (files.data ?? []).filter((f) => LOG_FILE.test(f.path));
  return (
    <div data-view="logs">
      <ConsoleView runId={runId} running={running} hasSaved={saved.length > 0} />
      {files.error && <ErrorBox error={files.error} retry={() => void files.refetch()} />}
      {saved.length > 0 && (
        <>
          <h2>Saved log files</h2>
          {saved.map((f) => (
            <FilePreview key={f.path} url={runApi.fileUrl(runId, f.path)} path={f.path} size={f.size} />
          ))}
        </>
      )}
    </div>
  );
}

function ConsoleView({ runId, running, hasSaved }: { runId: string; running: boolean; hasSaved: boolean }) {
  const { held, error, refresh, loadEarlier } = useConsole(runId);
  // new lines while it runs (its last lines come with its end: the run page refreshes them)
  useLiveEvents(running ? { run: runId } : null, refresh, 300, LIVE_KINDS);
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);
  const shown = held ? searchLines(held.lines, query) : [];
  const v = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    // sizes measured belong to a line, not to a position: a search moves lines to other
    // positions (keyed by index, a tall line's size stayed behind as a blank row)
    getItemKey: (i) => shown[i].line,
    overscan: 20,
  });
  const lastLine = shown.length ? shown[shown.length - 1] : null;
  // Follow the end: after new lines arrive, unless the user scrolled up.
  useLayoutEffect(() => {
    if (follow && shown.length) v.scrollToIndex(shown.length - 1, { align: "end" });
  }, [follow, shown.length, lastLine?.text, v]); // lastLine: a redrawn last line may be taller
  // Only the user scrolls up (following and re-measured rows only move down): that
  // stops following; reaching the end again resumes it.
  const lastTop = useRef(0);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (atEnd) setFollow(true);
    else if (el.scrollTop < lastTop.current) setFollow(false);
    lastTop.current = el.scrollTop;
  };

  if (error && !held) return <ErrorBox error={error} retry={refresh} />;
  if (!held) return <Loading what="console output" />;
  if (held.total === 0) {
    if (hasSaved) return null;
    return (
      <Empty title={running ? "Nothing printed yet" : "No console output was captured for this run"}>
        What a run prints is recorded by heron.init (capture_console=True, the default).
      </Empty>
    );
  }
  const first = held.lines.length ? held.lines[0].line : held.total + 1;
  return (
    <div className="console-view" data-view="console" data-total={held.total} data-loaded={held.lines.length}>
      <div className="console-tools">
        <input
          type="search"
          placeholder="Search the lines shown"
          aria-label="Search console output"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <span className="muted small" data-testid="console-count">
          {query ? `${shown.length} of ${held.lines.length} lines match` : `${held.total.toLocaleString()} lines`}
          {first > 1 && ` (showing the last ${held.lines.length.toLocaleString()})`}
        </span>
        {first > 1 && (
          <button className="ghost" onClick={loadEarlier}>
            Load earlier lines
          </button>
        )}
        <span className="spacer" />
        {!follow && (
          <button onClick={() => setFollow(true)} title="Scroll to the newest line and follow">
            ↓ Latest
          </button>
        )}
        <a className="button" href={runApi.consoleTextUrl(runId)} download={`${runId}-console.log`}>
          Download
        </a>
      </div>
      {error && <ErrorBox error={error} retry={refresh} />}
      <div className="console" ref={scroller} onScroll={onScroll} role="log" aria-live="off" tabIndex={0}>
        <div style={{ height: v.getTotalSize(), position: "relative" }}>
          {v.getVirtualItems().map((item) => {
            const l = shown[item.index];
            return (
              <div
                key={l.line}
                ref={v.measureElement}
                data-index={item.index}
                data-line={l.line}
                data-stream={l.stream}
                className={`console-line ${l.stream}${l.partial ? " partial" : ""}`}
                style={{ transform: `translateY(${item.start}px)` }}
                title={new Date(l.time * 1000).toLocaleString()}
              >
                <span className="ln">{l.line}</span>
                <span className="text">
                  {plainText(l.text)}
                  {l.truncated && <span className="console-cut">[line cut at 64 KiB]</span>}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
