// crdt-core compiles without DOM or Node types so that no I/O API can creep in.
// These two codecs are the only platform globals it uses; both Node and browsers provide them.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array | Uint16Array): string;
}
