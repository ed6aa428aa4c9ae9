/**
 * What kind of message a data frame's payload is, for the wire inspector: a digest announcement, or an
 * engine's sync message, which the engine's descriptor describes. Never throws: anything unrecognised is
 * reported as such.
 */
import { decodeReplicaMessage } from '@converge/protocol';
import type { EngineDescriptor } from '@converge/replica';

export function frameKind(engine: EngineDescriptor, wire: Uint8Array): string {
  try {
    const message = decodeReplicaMessage(wire);
    if (message.kind === 'sync') return engine.describePayload(message.payload);
    return message.kind;
  } catch {
    return 'unrecognised';
  }
}
