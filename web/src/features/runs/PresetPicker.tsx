// Column presets: choose a saved set of columns, save the columns on screen under a
// name, delete one. Kept per project in this browser (presets.ts).
import { useState } from "react";
import { usePopover } from "../../lib/popover";
import { deletePreset, savePreset, usePresets } from "./presets";

interface Props {
  project: string;
  columns: string[];
  onChoose: (columns: string[]) => void;
}

export function PresetPicker({ project, columns, onChoose }: Props) {
  const { open, setOpen, wrap, opener } = usePopover();
  const presets = usePresets(project);
  const [name, setName] = useState("");
  const current = presets.find((p) => JSON.stringify(p.columns) === JSON.stringify(columns))?.name;
  return (
    <div className="popover-wrap" ref={wrap}>
      <button
        ref={opener}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen((o) => !o)}
        data-testid="presets-button"
      >
        Presets{current ? `: ${current}` : ""}
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Column presets">
          <div className="popover-list">
            {presets.length === 0 && <div className="muted">No presets yet: save the columns shown.</div>}
            {presets.map((p) => (
              <div key={p.name} className="preset-row">
                <button
                  className={`ghost preset-choose${p.name === current ? " on" : ""}`}
                  title={p.columns.join(", ")}
                  onClick={() => {
                    onChoose(p.columns);
                    setOpen(false);
                  }}
                >
                  {p.name} <span className="muted small">({p.columns.length})</span>
                </button>
                <button
                  className="ghost small"
                  aria-label={`Delete preset ${p.name}`}
                  onClick={() => deletePreset(project, p.name)}
                >
                  ×
                </button>
              </div>
            ))}
          </div>
          <form
            className="popover-foot"
            onSubmit={(e) => {
              e.preventDefault();
              const n = name.trim();
              if (!n) return;
              savePreset(project, { name: n, columns });
              setName("");
            }}
          >
            <input
              type="text"
              aria-label="Preset name"
              placeholder="Name for the columns shown"
              maxLength={80}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
            <button type="submit" disabled={!name.trim()}>
              Save
            </button>
          </form>
        </div>
      )}
    </div>
  );
}
