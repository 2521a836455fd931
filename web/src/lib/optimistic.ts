// URL changes made by the page itself, told apart from changes made elsewhere
// (useUrlState in urlState.ts shows its writes at once and the URL follows).

/**
 * The URL now holds `url`: whether that is one of our own pending writes (then it
 * and any older ones are done), or a change from elsewhere (then nothing is pending).
 */
export function arrived(pending: string[], url: string): { ours: boolean; pending: string[] } {
  const i = pending.indexOf(url);
  return i >= 0 ? { ours: true, pending: pending.slice(i + 1) } : { ours: false, pending: [] };
}
