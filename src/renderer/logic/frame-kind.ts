/**
 * What kind of message a data frame's payload is, for the wire inspector: a digest announcement, or an
 * engine's sync message, of which it reads only the leading bytes of each engine's own framing (the
 * converge message kind, the y-protocols message type, the lww envelope's message type; Automerge's
 * sync message is decoded for its change count). Never throws: anything unrecognised is reported as such.
 */

import * as A from '@automerge/automerge';
import { decodeReplicaMessage } from '@converge/protocol';
import { type EngineName, EnvelopeKind } from '@converge/replica';

const YJS_KINDS = ['sync step 1', 'sync step 2', 'update'] as const;
/** The converge engine's message kind: hello (version vector), ops (a batch), state (a whole-state transfer). */
const CONVERGE_KINDS: Readonly<Record<number, string>> = { 1: 'hello (vector)', 2: 'ops', 3: 'state' };
const LWW_MESSAGE_KINDS: ReadonlySet<number> = new Set([
  EnvelopeKind.LwwMessage,
  EnvelopeKind.LwwMessageWithSkew,
]);
const LWW_KINDS: Readonly<Record<number, string>> = { 1: 'hello (vector)', 2: 'writes' };
const CONVERGE_MESSAGE_KINDS: ReadonlySet<number> = new Set([EnvelopeKind.ConvergeMessage]);

export function frameKind(engine: EngineName, wire: Uint8Array): string {
  try {
    const message = decodeReplicaMessage(wire);
    if (message.kind === 'digest') return 'digest';
    const payload = message.payload;
    switch (engine) {
      case 'yjs':
        return YJS_KINDS[payload[0] ?? -1] ?? 'unrecognised';
      case 'lww':
        return sealedKind(payload, LWW_MESSAGE_KINDS, LWW_KINDS);
      case 'automerge':
        return automergeKind(payload);
      case 'converge':
        return sealedKind(payload, CONVERGE_MESSAGE_KINDS, CONVERGE_KINDS);
      default:
        return 'unrecognised';
    }
  } catch {
    return 'unrecognised';
  }
}

/** A message in an engine envelope: "CE", version, envelope kind, then the message type's byte. */
function sealedKind(
  payload: Uint8Array,
  envelopeKinds: ReadonlySet<number>,
  names: Readonly<Record<number, string>>,
): string {
  if (
    payload.length < 5 ||
    payload[0] !== 0x43 ||
    payload[1] !== 0x45 ||
    !envelopeKinds.has(payload[3] as number)
  )
    return 'unrecognised';
  return names[payload[4] as number] ?? 'unrecognised';
}

function automergeKind(payload: Uint8Array): string {
  const message = A.decodeSyncMessage(payload);
  const changes = message.changes.length;
  return changes === 0 ? 'sync (heads only)' : `sync (${changes} change${changes === 1 ? '' : 's'})`;
}
