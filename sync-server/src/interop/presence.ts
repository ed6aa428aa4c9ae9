/**
 * Who is in a room through a gateway, for the app's presence list: one small interface over the
 * awareness states of y-websocket clients (and, with no awareness of their own, the automerge-repo
 * connections), so the app never looks inside a gateway.
 */

/** One outside client in a room. */
export interface OutsideClient {
  /** 'yjs' or 'automerge'. */
  readonly protocol: string;
  /** The replica that carries its edits into the engines. */
  readonly replica: string;
  /** Its own id in its protocol (a Yjs awareness client id, an automerge-repo peer id). */
  readonly client: string;
  /** What it publishes about itself (a y-websocket awareness state, e.g. { user: { name, color } }), or null. */
  readonly state: unknown;
}

export interface InteropPresence {
  /** The outside clients in a room now. */
  presence(room: string): OutsideClient[];
  /** Called with the room whenever its outside clients or their states change. Returns an unsubscribe. */
  subscribe(listener: (room: string) => void): () => void;
}
