// A run's comments: oldest first, Markdown (rendered safely, no raw HTML), each with its
// author and time; write one, edit or delete your own (a project admin deletes any).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Markdown } from "../../components/Markdown";
import { ErrorBox, Loading } from "../../components/States";
import { fmtDate } from "../../lib/format";
import { useAccess, useMe } from "../auth/queries";
import { MAX_COMMENT_BYTES, commentsApi, utf8Bytes, type Comment } from "./api";
import "./comments.css";

export const commentKeys = { run: (runId: string) => ["comments", runId] as const };

export default function CommentsThread({ runId, project }: { runId: string; project: string }) {
  const qc = useQueryClient();
  const key = commentKeys.run(runId);
  const thread = useQuery({ queryKey: key, queryFn: ({ signal }) => commentsApi.list(runId, signal) });
  const { canWrite, canAdmin, readOnly } = useAccess(project);
  const me = useMe().data?.name ?? "local";
  const refresh = () => void qc.invalidateQueries({ queryKey: key });
  const add = useMutation({ mutationFn: (body: string) => commentsApi.add(runId, body), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (id: number) => commentsApi.remove(runId, id), onSuccess: refresh });
  const [draft, setDraft] = useState("");

  if (thread.error && !thread.data) return <ErrorBox error={thread.error} retry={() => void thread.refetch()} />;
  if (!thread.data) return <Loading what="comments" />;
  const size = utf8Bytes(draft);
  return (
    <div className="comments" data-view="comments">
      {thread.data.length === 0 && <p className="muted">No comments yet.</p>}
      <ol className="comment-list">
        {thread.data.map((c) => (
          <CommentItem
            key={c.id}
            runId={runId}
            comment={c}
            mine={c.author === me && canWrite}
            canDelete={canWrite && (c.author === me || canAdmin)}
            onChanged={refresh}
            onDelete={() => remove.mutate(c.id)}
          />
        ))}
      </ol>
      {remove.error && <div className="error-text">{remove.error.message}</div>}
      <form
        className="comment-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!draft.trim()) return;
          add.mutate(draft, { onSuccess: () => setDraft("") });
        }}
      >
        <textarea
          aria-label="New comment (Markdown)"
          placeholder={canWrite ? "Add a comment (Markdown)" : readOnly}
          disabled={!canWrite}
          rows={3}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
        <div className="comment-foot">
          <span className={`muted small${size > MAX_COMMENT_BYTES ? " error-text" : ""}`}>
            {size > MAX_COMMENT_BYTES
              ? `${size.toLocaleString("en-US")} bytes: the limit is 16 KiB`
              : "Ctrl+Enter posts"}
          </span>
          <button type="submit" disabled={!canWrite || !draft.trim() || add.isPending || size > MAX_COMMENT_BYTES}>
            Comment
          </button>
        </div>
        {add.error && (
          <div className="error-text" role="alert">
            {add.error.message}
          </div>
        )}
      </form>
    </div>
  );
}

function CommentItem(props: {
  runId: string;
  comment: Comment;
  mine: boolean;
  canDelete: boolean;
  onChanged: () => void;
  onDelete: () => void;
}) {
  const { runId, comment: c, mine, canDelete, onChanged, onDelete } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const edit = useMutation({
    mutationFn: (body: string) => commentsApi.edit(runId, c.id, body),
    onSuccess: () => {
      setDraft(null);
      onChanged();
    },
  });
  return (
    <li className="comment" data-comment-id={c.id}>
      <div className="comment-head">
        <strong className="comment-author">{c.author}</strong>
        <span className="muted small" title={c.edited_at ? `edited ${fmtDate(c.edited_at)}` : undefined}>
          {fmtDate(c.created_at)}
          {c.edited_at ? " (edited)" : ""}
        </span>
        <span className="spacer" />
        {mine && draft === null && (
          <button className="ghost small" onClick={() => setDraft(c.body)}>
            Edit
          </button>
        )}
        {canDelete && draft === null && (
          <button
            className="ghost small"
            onClick={() => {
              if (window.confirm("Delete this comment?")) onDelete();
            }}
          >
            Delete
          </button>
        )}
      </div>
      {draft === null ? (
        <Markdown source={c.body} />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) edit.mutate(draft);
          }}
        >
          <textarea aria-label="Edit comment" rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
          <div className="comment-foot">
            {edit.error && <span className="error-text">{edit.error.message}</span>}
            <span className="spacer" />
            <button type="button" className="ghost" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit" disabled={edit.isPending || !draft.trim()}>
              Save
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
