import type { Stage } from "../../lib/api";

export function StageBadge({ stage }: { stage: Stage }) {
  return (
    <span className={`badge stage-${stage}`} data-stage={stage}>
      {stage}
    </span>
  );
}

export function AliasChip({ alias }: { alias: string }) {
  return (
    <span className="tag alias" data-alias={alias}>
      @{alias}
    </span>
  );
}
