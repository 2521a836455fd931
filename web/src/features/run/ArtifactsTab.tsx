// The run's own files (code diff, requirements, logged files) and its artifacts:
// produced and used (lineage), each file previewable and downloadable.
import { useState } from "react";
import { FilePreview } from "../../components/FilePreview";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { ArtifactVersion, FileEntry } from "../../lib/api";
import { fmtBytes, fmtDate } from "../../lib/format";
import { runApi } from "./api";
import { useRunArtifacts, useRunFiles } from "./queries";

interface Picked {
  url: string;
  path: string;
  size: number;
}

export function ArtifactsTab({ runId, file, onFile }: { runId: string; file: string; onFile: (p: string) => void }) {
  const files = useRunFiles(runId);
  const arts = useRunArtifacts(runId);
  const [picked, setPicked] = useState<Picked | null>(null);
  const runFile = files.data?.find((f) => f.path === file);
  const current: Picked | null = runFile
    ? { url: runApi.fileUrl(runId, runFile.path), path: runFile.path, size: runFile.size }
    : picked;
  const produced = arts.data?.filter((a) => a.created_by === runId) ?? [];
  const used = arts.data?.filter((a) => a.created_by !== runId) ?? [];
  return (
    <div className="artifacts-tab split" data-view="artifacts">
      <div className="file-tree">
        <h3>Run files</h3>
        {files.error ? (
          <ErrorBox error={files.error} retry={() => void files.refetch()} />
        ) : !files.data ? (
          <Loading what="files" />
        ) : files.data.length === 0 ? (
          <div className="muted">No files.</div>
        ) : (
          <FileList
            files={files.data}
            active={current?.path ?? null}
            onPick={(f) => {
              setPicked(null);
              onFile(f.path);
            }}
          />
        )}
        <h3>Produced</h3>
        <Lineage
          list={produced}
          loading={!arts.data}
          error={arts.error}
          pick={(a, f) => {
            onFile("");
            setPicked({ url: runApi.artifactFileUrl(a.id, f.path), path: `${a.ref}/${f.path}`, size: f.size });
          }}
        />
        <h3>Used</h3>
        <Lineage
          list={used}
          loading={!arts.data}
          error={arts.error}
          pick={(a, f) => {
            onFile("");
            setPicked({ url: runApi.artifactFileUrl(a.id, f.path), path: `${a.ref}/${f.path}`, size: f.size });
          }}
        />
      </div>
      <div className="preview-pane">
        {current ? (
          <FilePreview key={current.url} url={current.url} path={current.path} size={current.size} />
        ) : (
          <Empty title="Pick a file">Its preview shows here.</Empty>
        )}
      </div>
    </div>
  );
}

function FileList({
  files,
  active,
  onPick,
}: {
  files: FileEntry[];
  active: string | null;
  onPick: (f: FileEntry) => void;
}) {
  return (
    <ul className="files">
      {files.map((f) => (
        <li key={f.path}>
          <button className={`file${active === f.path ? " on" : ""}`} onClick={() => onPick(f)} data-path={f.path}>
            <span>{f.path}</span>
            <span className="muted small">{fmtBytes(f.size)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Lineage({
  list,
  loading,
  error,
  pick,
}: {
  list: ArtifactVersion[];
  loading: boolean;
  error: Error | null;
  pick: (a: ArtifactVersion, f: FileEntry) => void;
}) {
  if (error) return <ErrorBox error={error} />;
  if (loading) return <Loading what="artifacts" />;
  if (list.length === 0) return <div className="muted">None.</div>;
  return (
    <ul className="artifacts">
      {list.map((a) => (
        <li key={a.id} data-artifact={a.ref}>
          <details>
            <summary>
              <strong>{a.ref}</strong> <span className="muted small">{a.type}</span>{" "}
              {a.aliases.map((al) => (
                <span key={al} className="tag">
                  {al}
                </span>
              ))}
              <div className="muted small">
                {fmtBytes(a.size)} · {fmtDate(a.created_at)}
                {a.used_by.length > 0 && ` · used by ${a.used_by.length} run${a.used_by.length === 1 ? "" : "s"}`}
              </div>
            </summary>
            <FileList files={a.files} active={null} onPick={(f) => pick(a, f)} />
          </details>
        </li>
      ))}
    </ul>
  );
}
