// The top bar's bell: unread alerts over the projects you may read; it opens a list of
// those projects, each linking to its alerts page.
import { useState } from "react";
import { Link } from "react-router";
import { alertsPath } from "./api";
import { badgeText } from "./logic";
import { useUnread } from "./queries";
import "./alerts.css";

export function AlertsBell() {
  const unread = useUnread();
  const [open, setOpen] = useState(false);
  if (unread.error) return null; // a store without alerts (or not signed in): no bell
  const total = unread.data?.total ?? 0;
  const projects = Object.entries(unread.data?.projects ?? {});
  const label = total === 1 ? "1 unread alert" : `${total} unread alerts`;
  return (
    <div className="alerts-bell" data-unread={total}>
      <button
        className="ghost bell-button"
        aria-label={label}
        title={label}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
          <path
            d="M8 1.5a4.5 4.5 0 0 0-4.5 4.5v2.6L2 11h12l-1.5-2.4V6A4.5 4.5 0 0 0 8 1.5ZM6.3 12.5a1.8 1.8 0 0 0 3.4 0Z"
            fill="currentColor"
          />
        </svg>
        {total > 0 && <span className="bell-count">{badgeText(total)}</span>}
      </button>
      {open && (
        <div className="bell-menu" role="menu" aria-label="Unread alerts">
          {projects.length === 0 ? (
            <div className="muted bell-empty">No unread alerts.</div>
          ) : (
            projects.map(([project, n]) => (
              <Link
                key={project}
                role="menuitem"
                className="bell-item"
                to={alertsPath(project)}
                data-project={project}
                onClick={() => setOpen(false)}
              >
                <span>{project}</span>
                <span className="bell-item-count">{n}</span>
              </Link>
            ))
          )}
        </div>
      )}
    </div>
  );
}
