// The runs table's Tags cell: the run's tags, edited in place by those who may write.
import { useAccess } from "../auth/queries";
import { useProjectKeys } from "./queries";
import { TagEditor } from "./TagEditor";

export function TagCell({ project, runId, tags }: { project: string; runId: string; tags: string[] }) {
  const { canWrite } = useAccess(project);
  const known = useProjectKeys(project).data?.tags ?? [];
  return <TagEditor project={project} runId={runId} tags={tags} knownTags={known} canWrite={canWrite} compact />;
}
