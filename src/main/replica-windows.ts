/**
 * At most one window per replica id: two windows on one replica would be two writers numbering their
 * edits alike under one relay node id (the converge and lww engines would drop one window's edits as
 * duplicates) over one log.
 *
 * A request to open a replica that already has a window gets that window (the caller focuses it) instead
 * of a second one, rather than a new replica id: in the app only main opens windows, New Replica always
 * asks for a fresh id, and a request for a given id (restoring windows, File > Reopen Replica, a second
 * app launch) means the user wants THAT replica's data, which a new, empty replica would not give them.
 * (A browser tab is different: there the duplicate is the user's own doing and cannot be redirected to
 * the first tab, so web mode gives it a new id; see renderer/platform/replica-claim.ts.)
 */
export class ReplicaWindows<W> {
  private readonly byReplica = new Map<string, W>();

  /** The window of `replicaId`: the one already open (`created: false`), or a new one from `create`. */
  open(replicaId: string, create: () => W): { readonly window: W; readonly created: boolean } {
    const existing = this.byReplica.get(replicaId);
    if (existing !== undefined) return { window: existing, created: false };
    const window = create();
    this.byReplica.set(replicaId, window);
    return { window, created: true };
  }

  /** `window` closed; the replica may get a window again. A stale call for another window changes nothing. */
  closed(replicaId: string, window: W): void {
    if (this.byReplica.get(replicaId) === window) this.byReplica.delete(replicaId);
  }

  get(replicaId: string): W | undefined {
    return this.byReplica.get(replicaId);
  }

  /** Open windows, oldest first. */
  all(): W[] {
    return [...this.byReplica.values()];
  }
}
