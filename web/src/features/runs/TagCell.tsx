// The runs table's Tags cell: the run's tags, edited in place by those who may write.
// The project's tags (offered when adding one) are read from the cache the page filled:
// a cell never fetches them itself (a hundred cells must not refetch a failed list).
import { useQueryClient } from "@tanstack/react-query";
import type { ProjectKeys } from "../../lib/api";
import { useAccess } from "../auth/queries";
import { runsKeys } from "./queries";
import { TagEditor } from "./TagEditor";

export function TagCell({ project, runId, tags }: { project: string; runId: string; tags: string[] }) {
  const { canWrite } = useAccess(project);
  const known = useQueryClient().getQueryData<ProjectKeys>(runsKeys.keys(project))?.tags ?? [];
  return <TagEditor project={project} runId={runId} tags={tags} knownTags={known} canWrite={canWrite} compact />;
}
