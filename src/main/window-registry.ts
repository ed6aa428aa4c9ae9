/**
 * Which of our windows hosts which replica, keyed by the window's webContents id. IPC handlers use
 * it to bind every call to the caller's own replica; an unknown webContents is not one of ours.
 * One window per replica: two windows on one replica would share a log and a relay node id.
 */
export class WindowRegistry {
  private readonly byContents = new Map<number, string>();
  private readonly byReplica = new Map<string, number>();

  register(webContentsId: number, replicaId: string): void {
    if (this.byContents.has(webContentsId)) {
      throw new Error(
        `webContents ${webContentsId} already hosts replica ${this.byContents.get(webContentsId)}`,
      );
    }
    if (this.byReplica.has(replicaId)) throw new Error(`replica ${replicaId} already has a window`);
    this.byContents.set(webContentsId, replicaId);
    this.byReplica.set(replicaId, webContentsId);
  }

  /** Forget a window; returns the replica it hosted. */
  unregister(webContentsId: number): string | undefined {
    const replicaId = this.byContents.get(webContentsId);
    if (replicaId === undefined) return undefined;
    this.byContents.delete(webContentsId);
    this.byReplica.delete(replicaId);
    return replicaId;
  }

  replicaFor(webContentsId: number): string | undefined {
    return this.byContents.get(webContentsId);
  }

  hasReplica(replicaId: string): boolean {
    return this.byReplica.has(replicaId);
  }

  openReplicas(): string[] {
    return [...this.byReplica.keys()];
  }
}
