/**
 * The relay wire protocol: every frame exchanged between a node (a window's replica, a room's storage
 * peer, a test client) and the relay, with its compact binary codec and validation. The relay and
 * every client import this one module, so both ends always agree on the bytes.
 *
 * A frame is one WebSocket binary message: a one-byte frame type, then the fields below as LEB128
 * varints and length-prefixed UTF-8 strings / byte strings (crdt-core's Encoder/Decoder). Decoding
 * rejects anything that is not exactly one well-formed, valid frame with a `DecodeError`; encoding
 * rejects invalid values with a `ProtocolError`, so neither side can put a bad frame on the wire.
 *
 * Data payloads are opaque to the relay: it never decodes them, and forwards a data frame's bytes
 * unchanged, which is why the sender writes its own id into `from` and the relay checks it instead of
 * rewriting it. A data frame's channel (one byte, channels.ts) says which engine the payload is for;
 * the relay counts frames per channel and never interprets it. Between two replicas a payload is a
 * replica message (replica-message.ts).
 *
 * A bundle frame carries several data frames' worth of (to, channel, payload) from one sender in one
 * WebSocket message: a node bundles what it sends in one task (one intent's frames for every engine,
 * bundler.ts), so a keystroke costs each end one message instead of one per engine. The relay routes
 * each entry as it would a data frame and forwards to each node the entries meant for it, as one frame.
 */
import { DecodeError, Decoder, Encoder } from '@converge/crdt-core';
import { checkChannel } from './channels.ts';
import { errorMessage } from './error-message.ts';

/**
 * Bumped on any incompatible change; sent in hello, the relay refuses other versions.
 * 2: data payloads between replicas are replica messages (a kind byte, then a sync message or a digest).
 * 3: hello must carry a room credential (a signed token of up to MAX_TOKEN_LENGTH characters naming the
 *    room, the node id and the rights); welcome tells the node the rights it was granted.
 * 4: a node may send, and is sent, bundle frames (several data frames' entries in one message), which a
 *    version-3 peer cannot read: it gets a clear 'protocol-version' error instead of frames it refuses.
 * 5: the relay sends cuts frames (the room's cut links, after welcome and whenever they change), which a
 *    version-4 node cannot read.
 */
export const PROTOCOL_VERSION = 5;

export const FrameType = {
  Hello: 1,
  Welcome: 2,
  Data: 3,
  LinkUp: 4,
  LinkDown: 5,
  Error: 6,
  Bundle: 7,
  Cuts: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** What a node is: a window's replica, a room's storage peer, or a tool (bench, scenario runner, admin UI). */
export const NODE_ROLES = ['replica', 'storage', 'tool'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

/**
 * What a room credential allows: `read` joins the room and receives its frames, `write` sends data
 * frames, `admin` drives the room through the relay's admin API. The relay's credentials carry these
 * names; welcome carries them as a bit set (bit i = RIGHTS[i]).
 */
export const RIGHTS = ['read', 'write', 'admin'] as const;
export type Right = (typeof RIGHTS)[number];

export function isRight(value: unknown): value is Right {
  return typeof value === 'string' && (RIGHTS as readonly string[]).includes(value);
}

export const LINK_UP_REASONS = ['joined', 'healed'] as const;
export type LinkUpReason = (typeof LINK_UP_REASONS)[number];
export const LINK_DOWN_REASONS = ['left', 'cut'] as const;
export type LinkDownReason = (typeof LINK_DOWN_REASONS)[number];

/** Why the relay answered with an error frame. The index in this list is the code on the wire. */
export const ERROR_CODES = [
  'internal',
  'bad-frame',
  'hello-required',
  'hello-timeout',
  'protocol-version',
  'unauthorized',
  'room-limit',
  'node-limit',
  'rate-limited',
  'spoofed-sender',
  'replaced',
  'shutting-down',
  // A credential that does not allow what the node asked (writing with read-only rights, the storage role).
  'forbidden',
  // The node id is live under another credential; only that credential may replace the connection.
  'identity-in-use',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * WebSocket close codes the relay uses. 1000–1015 are the standard ones; 4000–4999 are ours.
 * A client should not reconnect after `Unauthorized`, `ProtocolVersion` or `Replaced`: retrying
 * cannot succeed (or would fight the connection that replaced it).
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  FrameTooLarge: 1009,
  Internal: 1011,
  TryAgainLater: 1013,
  BadFrames: 4000,
  HelloRequired: 4001,
  HelloTimeout: 4002,
  Unauthorized: 4003,
  ProtocolVersion: 4004,
  NodeLimit: 4005,
  RoomLimit: 4006,
  RateLimited: 4008,
  Replaced: 4009,
  SlowConsumer: 4010,
  /** The node id is connected under another credential. Retried: the other connection may be a stale one of ours. */
  IdentityInUse: 4011,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting is pointless. */
export const PERMANENT_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.ProtocolVersion,
  CloseCode.Replaced,
]);

export const MAX_ID_LENGTH = 64;
/** A room credential (a JWT) naming a 64-character room and node id with every right fits easily. */
export const MAX_TOKEN_LENGTH = 2048;
export const MAX_ERROR_MESSAGE_LENGTH = 512;
/** Ids appear in URLs, logs and file names: letters, digits and `. _ : @ -`, starting with a letter or digit. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export interface HelloFrame {
  readonly type: 'hello';
  readonly version: number;
  readonly room: string;
  readonly nodeId: string;
  readonly role: NodeRole;
  /** A room credential for `room` and `nodeId` (minted by the relay's admin API). */
  readonly token: string;
}

export interface PeerInfo {
  readonly id: string;
  readonly role: NodeRole;
  /** Both directed links between this node and the peer are up. */
  readonly reachable: boolean;
}

export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly room: string;
  readonly nodeId: string;
  /** Every other node in the room, reachable or not. */
  readonly peers: readonly PeerInfo[];
  /** The relay's frame size limit, so clients can refuse oversize frames before sending them. */
  readonly maxFrameBytes: number;
  /** What the node's credential allows, in RIGHTS order (a node without `write` must not send data). */
  readonly rights: readonly Right[];
}

export interface DataFrame {
  readonly type: 'data';
  readonly from: string;
  /** A node id, or null for every node reachable from the sender. */
  readonly to: string | null;
  /** The engine's stable wire code (channels.ts); the relay forwards it uninterpreted. */
  readonly channel: number;
  /** Opaque engine payload. After decoding, a view into the decoded bytes (no copy). */
  readonly payload: Uint8Array;
}

export interface LinkUpFrame {
  readonly type: 'link-up';
  readonly peer: string;
  readonly role: NodeRole;
  readonly reason: LinkUpReason;
}

export interface LinkDownFrame {
  readonly type: 'link-down';
  readonly peer: string;
  readonly reason: LinkDownReason;
}

export interface ErrorFrame {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
}

/** One data frame's worth inside a bundle (the sender is the bundle's). */
export interface BundleEntry {
  /** A node id, or null for every node reachable from the sender. */
  readonly to: string | null;
  readonly channel: number;
  /** After decoding, a view into the decoded bytes (no copy). */
  readonly payload: Uint8Array;
}

export interface BundleFrame {
  readonly type: 'bundle';
  readonly from: string;
  /** At least two (one entry travels as a data frame), delivered in order. */
  readonly entries: readonly BundleEntry[];
}

/** A directed link of the room's link table: frames from `from` to `to`. */
export interface CutLink {
  readonly from: string;
  readonly to: string;
}

/**
 * Every directed link of the room that is cut, between any two nodes (present or not), sorted by `from`
 * then `to`, each once. The relay sends it right after welcome and again whenever the cuts change, so a
 * node knows which of its peers reach each other: a replica passes a peer's keystroke on only to the peers
 * that peer does not reach (replica/src/replica/peer-sessions.ts).
 */
export interface CutsFrame {
  readonly type: 'cuts';
  readonly links: readonly CutLink[];
}

export type Frame =
  | HelloFrame
  | WelcomeFrame
  | DataFrame
  | BundleFrame
  | LinkUpFrame
  | LinkDownFrame
  | CutsFrame
  | ErrorFrame;
/** Frames a node sends to the relay. */
export type NodeFrame = HelloFrame | DataFrame | BundleFrame;
/** Frames the relay sends to a node. */
export type RelayFrame =
  | WelcomeFrame
  | DataFrame
  | BundleFrame
  | LinkUpFrame
  | LinkDownFrame
  | CutsFrame
  | ErrorFrame;

/** An invalid value given to an encoder (a programming error on the sending side). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Why an id is invalid, or undefined when it is valid. */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  if (!ID_PATTERN.test(value))
    return 'may only contain letters, digits and . _ : @ - (starting with a letter or digit)';
  return undefined;
}

export function isValidId(value: unknown): value is string {
  return idProblem(value) === undefined;
}

export function isNodeRole(value: unknown): value is NodeRole {
  return typeof value === 'string' && (NODE_ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Encoding

function checkId(value: string, what: string): void {
  const problem = idProblem(value);
  if (problem !== undefined) throw new ProtocolError(`${what} ${JSON.stringify(value)} ${problem}`);
}

function rightsMask(rights: readonly Right[]): number {
  let mask = 0;
  let last = -1;
  for (const right of rights) {
    const index = enumIndex(RIGHTS, right, 'right');
    // Canonical: each right once, in RIGHTS order, so whatever decodes re-encodes to the same bytes.
    if (index <= last) throw new ProtocolError('rights must be distinct and in RIGHTS order');
    last = index;
    mask |= 1 << index;
  }
  return mask;
}

/** Why `link` cannot follow `previous` in a cuts frame (canonical: sorted, each once), or undefined. */
function cutLinkProblem(previous: CutLink | undefined, link: CutLink): string | undefined {
  if (link.from === link.to) return `cut link ${link.from} → ${link.to} joins a node to itself`;
  if (previous === undefined) return undefined;
  const order = compareIds(previous.from, link.from) || compareIds(previous.to, link.to);
  if (order >= 0) return `cut link ${link.from} → ${link.to} is out of order or listed twice`;
  return undefined;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function enumIndex<T extends string>(values: readonly T[], value: T, what: string): number {
  const index = values.indexOf(value);
  if (index < 0) throw new ProtocolError(`unknown ${what} ${String(value)}`);
  return index;
}

export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case 'hello': {
      checkId(frame.room, 'room');
      checkId(frame.nodeId, 'node id');
      if (frame.token.length > MAX_TOKEN_LENGTH) throw new ProtocolError('token too long');
      return new Encoder(32 + frame.token.length)
        .byte(FrameType.Hello)
        .uint(frame.version)
        .string(frame.room)
        .string(frame.nodeId)
        .byte(enumIndex(NODE_ROLES, frame.role, 'role'))
        .string(frame.token)
        .finish();
    }
    case 'welcome': {
      checkId(frame.room, 'room');
      checkId(frame.nodeId, 'node id');
      const e = new Encoder(32 + frame.peers.length * 16)
        .byte(FrameType.Welcome)
        .string(frame.room)
        .string(frame.nodeId)
        .uint(frame.maxFrameBytes)
        .byte(rightsMask(frame.rights))
        .uint(frame.peers.length);
      for (const peer of frame.peers) {
        checkId(peer.id, 'peer id');
        e.string(peer.id)
          .byte(enumIndex(NODE_ROLES, peer.role, 'role'))
          .byte(peer.reachable ? 1 : 0);
      }
      return e.finish();
    }
    case 'data':
      return encodeData(frame.from, frame.to, frame.channel, frame.payload);
    case 'bundle':
      return encodeBundle(frame.from, frame.entries);
    case 'link-up':
      checkId(frame.peer, 'peer id');
      return new Encoder(8 + frame.peer.length)
        .byte(FrameType.LinkUp)
        .string(frame.peer)
        .byte(enumIndex(NODE_ROLES, frame.role, 'role'))
        .byte(enumIndex(LINK_UP_REASONS, frame.reason, 'link-up reason'))
        .finish();
    case 'link-down':
      checkId(frame.peer, 'peer id');
      return new Encoder(8 + frame.peer.length)
        .byte(FrameType.LinkDown)
        .string(frame.peer)
        .byte(enumIndex(LINK_DOWN_REASONS, frame.reason, 'link-down reason'))
        .finish();
    case 'cuts': {
      let size = 8;
      let previous: CutLink | undefined;
      for (const link of frame.links) {
        checkId(link.from, 'cut link source');
        checkId(link.to, 'cut link target');
        const problem = cutLinkProblem(previous, link);
        if (problem !== undefined) throw new ProtocolError(problem);
        previous = link;
        size += 2 + link.from.length + link.to.length;
      }
      const e = new Encoder(size).byte(FrameType.Cuts).uint(frame.links.length);
      for (const link of frame.links) e.string(link.from).string(link.to);
      return e.finish();
    }
    case 'error': {
      // Messages are diagnostics: truncate rather than refuse to report an error.
      const message = frame.message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
      return new Encoder(8 + message.length * 3)
        .byte(FrameType.Error)
        .byte(enumIndex(ERROR_CODES, frame.code, 'error code'))
        .string(message)
        .finish();
    }
    default:
      throw new ProtocolError(`unknown frame type ${String((frame as { type?: unknown }).type)}`);
  }
}

/** Encode a data frame without building a frame object (the hot path of every client). */
export function encodeData(
  from: string,
  to: string | null,
  channel: number,
  payload: Uint8Array,
): Uint8Array {
  checkId(from, 'sender id');
  if (to !== null) checkId(to, 'recipient id');
  const problem = checkChannel(channel);
  if (problem !== undefined) throw new ProtocolError(problem);
  if (!(payload instanceof Uint8Array)) throw new ProtocolError('payload must be a Uint8Array');
  return new Encoder(16 + from.length + (to?.length ?? 0) + payload.length)
    .byte(FrameType.Data)
    .string(from)
    .string(to ?? '')
    .byte(channel)
    .bytes(payload)
    .finish();
}

/**
 * Encode several entries from one sender as one frame: a data frame when there is one entry (what every
 * relay and client has always read), else a bundle frame. Entries keep their order.
 */
export function encodeBundle(from: string, entries: readonly BundleEntry[]): Uint8Array {
  if (entries.length === 0) throw new ProtocolError('a bundle needs at least one entry');
  if (entries.length === 1) {
    const only = entries[0] as BundleEntry;
    return encodeData(from, only.to, only.channel, only.payload);
  }
  checkId(from, 'sender id');
  let size = 8 + from.length;
  for (const entry of entries) {
    checkEntry(entry);
    size += bundleEntryBytes(entry);
  }
  const e = new Encoder(size).byte(FrameType.Bundle).string(from).uint(entries.length);
  for (const entry of entries)
    e.string(entry.to ?? '')
      .byte(entry.channel)
      .bytes(entry.payload);
  return e.finish();
}

/** Throws ProtocolError unless `entry` can travel in a data or bundle frame. */
export function checkEntry(entry: BundleEntry): void {
  if (entry.to !== null) checkId(entry.to, 'recipient id');
  const problem = checkChannel(entry.channel);
  if (problem !== undefined) throw new ProtocolError(problem);
  if (!(entry.payload instanceof Uint8Array)) throw new ProtocolError('payload must be a Uint8Array');
}

function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

/** The bytes an entry takes inside a bundle frame (ids are ASCII, so characters are bytes). */
export function bundleEntryBytes(entry: BundleEntry): number {
  const to = entry.to?.length ?? 0;
  return varintBytes(to) + to + 1 + varintBytes(entry.payload.length) + entry.payload.length;
}

/** The bytes of `entry` sent alone, as a data frame from `from`. */
export function encodedDataBytes(from: string, entry: BundleEntry): number {
  return 1 + varintBytes(from.length) + from.length + bundleEntryBytes(entry);
}

/** The bytes of a bundle frame from `from` with `count` entries, beside its entries'. */
export function bundleHeaderBytes(from: string, count: number): number {
  return 1 + varintBytes(from.length) + from.length + varintBytes(count);
}

/**
 * The bytes of a frame of `entries` (a data or bundle frame of `frameBytes` bytes) each entry accounts
 * for: its own, and the frame's header with the first, so they sum to the frame's length. How the relay
 * and the benchmarks count bytes per channel.
 */
export function entryShares(entries: readonly BundleEntry[], frameBytes: number): number[] {
  const shares = entries.map(bundleEntryBytes);
  const counted = shares.reduce((sum, share) => sum + share, 0);
  if (shares.length > 0) shares[0] = (shares[0] as number) + frameBytes - counted;
  return shares;
}

/** A frame's data entries: a data frame's one, a bundle's all, none for other frames. */
export function dataEntries(frame: Frame): readonly BundleEntry[] {
  if (frame.type === 'data') return [frame];
  if (frame.type === 'bundle') return frame.entries;
  return [];
}

// ---------------------------------------------------------------------------------------------
// Decoding

function readId(d: Decoder, what: string): string {
  const start = d.offset;
  const value = d.string();
  const problem = idProblem(value);
  if (problem !== undefined) throw new DecodeError(`${what} ${problem}`, start);
  return value;
}

/** A data frame's or bundle entry's recipient: an id, or "" for every node (null). */
function readRecipient(d: Decoder): string | null {
  const start = d.offset;
  const raw = d.string();
  if (raw === '') return null;
  const problem = idProblem(raw);
  if (problem !== undefined) throw new DecodeError(`recipient id ${problem}`, start);
  return raw;
}

function readEnum<T extends string>(d: Decoder, values: readonly T[], what: string): T {
  const start = d.offset;
  const value = values[d.byte()];
  if (value === undefined) throw new DecodeError(`unknown ${what}`, start);
  return value;
}

function readPayload(d: Decoder, bytes: Uint8Array): Uint8Array {
  // The payload is the rest of the frame; a view avoids copying what the relay only forwards.
  const length = d.count(1);
  if (length !== d.remaining) d.fail(`payload length ${length} does not match the ${d.remaining} bytes left`);
  return bytes.subarray(d.offset);
}

/**
 * Decode one frame. Throws `DecodeError` for anything malformed: unknown type, truncated or
 * trailing bytes, invalid ids, unknown enum values. A data frame's payload is a view into `bytes`.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  const d = new Decoder(bytes);
  const type = d.byte();
  switch (type) {
    case FrameType.Hello: {
      const version = d.uint();
      const room = readId(d, 'room');
      const nodeId = readId(d, 'node id');
      const role = readEnum(d, NODE_ROLES, 'role');
      const tokenStart = d.offset;
      const token = d.string();
      if (token.length > MAX_TOKEN_LENGTH) throw new DecodeError('token too long', tokenStart);
      d.end();
      return { type: 'hello', version, room, nodeId, role, token };
    }
    case FrameType.Welcome: {
      const room = readId(d, 'room');
      const nodeId = readId(d, 'node id');
      const maxFrameBytes = d.uint();
      const maskAt = d.offset;
      const mask = d.byte();
      if (mask >> RIGHTS.length !== 0) throw new DecodeError('unknown right in the rights set', maskAt);
      const rights = RIGHTS.filter((_, i) => (mask & (1 << i)) !== 0);
      // Each peer takes at least 4 bytes: id length, one id byte, role, reachable.
      const count = d.count(4);
      const peers: PeerInfo[] = [];
      for (let i = 0; i < count; i++) {
        const id = readId(d, 'peer id');
        const role = readEnum(d, NODE_ROLES, 'role');
        const flagAt = d.offset;
        const flag = d.byte();
        if (flag > 1) throw new DecodeError('reachable flag must be 0 or 1', flagAt);
        peers.push({ id, role, reachable: flag === 1 });
      }
      d.end();
      return { type: 'welcome', room, nodeId, peers, maxFrameBytes, rights };
    }
    case FrameType.Data: {
      const from = readId(d, 'sender id');
      const to = readRecipient(d);
      // Any channel byte is forwarded: only the nodes at both ends know what it stands for.
      const channel = d.byte();
      const payload = readPayload(d, bytes);
      return { type: 'data', from, to, channel, payload };
    }
    case FrameType.Bundle: {
      const from = readId(d, 'sender id');
      // Each entry takes at least 3 bytes: the recipient's length, the channel, the payload's length.
      const countAt = d.offset;
      const count = d.count(3);
      if (count < 2) throw new DecodeError('a bundle carries at least two entries', countAt);
      const entries: BundleEntry[] = [];
      for (let i = 0; i < count; i++) {
        const to = readRecipient(d);
        const channel = d.byte();
        entries.push({ to, channel, payload: d.bytesView() });
      }
      d.end();
      return { type: 'bundle', from, entries };
    }
    case FrameType.LinkUp: {
      const peer = readId(d, 'peer id');
      const role = readEnum(d, NODE_ROLES, 'role');
      const reason = readEnum(d, LINK_UP_REASONS, 'link-up reason');
      d.end();
      return { type: 'link-up', peer, role, reason };
    }
    case FrameType.LinkDown: {
      const peer = readId(d, 'peer id');
      const reason = readEnum(d, LINK_DOWN_REASONS, 'link-down reason');
      d.end();
      return { type: 'link-down', peer, reason };
    }
    case FrameType.Cuts: {
      // Each link takes at least 4 bytes: two ids, each a length and one character.
      const count = d.count(4);
      const links: CutLink[] = [];
      let previous: CutLink | undefined;
      for (let i = 0; i < count; i++) {
        const start = d.offset;
        const link = { from: readId(d, 'cut link source'), to: readId(d, 'cut link target') };
        const problem = cutLinkProblem(previous, link);
        if (problem !== undefined) throw new DecodeError(problem, start);
        links.push(link);
        previous = link;
      }
      d.end();
      return { type: 'cuts', links };
    }
    case FrameType.Error: {
      const code = readEnum(d, ERROR_CODES, 'error code');
      const message = d.string();
      d.end();
      return { type: 'error', code, message };
    }
    default:
      throw new DecodeError(`unknown frame type ${type}`, 0);
  }
}

/**
 * The protocol version a hello frame announces, read before the rest of the frame (whose layout
 * may differ in other versions); undefined if `bytes` is not a hello frame.
 */
export function peekHelloVersion(bytes: Uint8Array): number | undefined {
  if (bytes[0] !== FrameType.Hello) return undefined;
  try {
    const d = new Decoder(bytes);
    d.byte();
    return d.uint();
  } catch {
    return undefined;
  }
}

/** Decode a frame, returning the error instead of throwing (for handlers that must never throw). */
export function tryDecodeFrame(
  bytes: Uint8Array,
): { readonly ok: true; readonly frame: Frame } | { readonly ok: false; readonly error: string } {
  try {
    return { ok: true, frame: decodeFrame(bytes) };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}
