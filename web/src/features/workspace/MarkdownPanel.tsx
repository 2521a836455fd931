// A Markdown panel: notes beside the charts (react-markdown, no raw HTML), edited in place.
import { useState } from "react";
import { Markdown } from "../../components/Markdown";

export default function MarkdownPanel({ text, onChange }: { text: string; onChange: (text: string) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  if (draft !== null)
    return (
      <div className="ws-markdown editing">
        <textarea aria-label="Markdown" value={draft} rows={8} onChange={(e) => setDraft(e.target.value)} />
        <div className="row">
          <button
            className="button primary"
            onClick={() => {
              onChange(draft);
              setDraft(null);
            }}
          >
            Done
          </button>
          <button className="ghost" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </div>
      </div>
    );
  return (
    <div className="ws-markdown">
      <Markdown source={text} />
      <button className="ghost small" onClick={() => setDraft(text)}>
        Edit
      </button>
    </div>
  );
}
