// The run page's Lineage tab: the graph around the run (loaded on demand).
import { num, useUrlState } from "../../lib/urlState";
import { LineageView } from "./LineageView";
import { useRunLineage } from "./queries";

const schema = { depth: num("ld", 2) };

export default function LineageTab({ runId, name }: { runId: string; name: string }) {
  const [s, set] = useUrlState(schema);
  const res = useRunLineage(runId, s.depth);
  return <LineageView res={res} depth={s.depth} setDepth={(depth) => set({ depth })} subject={`run ${name}`} />;
}
