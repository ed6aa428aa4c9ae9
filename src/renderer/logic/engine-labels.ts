/** What the UI calls each engine, and what it is in one sentence (shown on hover). */
import type { EngineName } from '@converge/replica';

export const ENGINE_LABELS: Readonly<Record<EngineName, string>> = {
  converge: 'converge',
  yjs: 'Yjs',
  automerge: 'Automerge',
  lww: 'last-writer-wins',
};

export const ENGINE_DESCRIPTIONS: Readonly<Record<EngineName, string>> = {
  converge: 'converge: our own CRDTs (crdt-core), which keep every concurrent edit',
  yjs: 'Yjs, used the way a typical Yjs app uses it',
  automerge: 'Automerge, used the way a typical Automerge app uses it',
  lww: 'last-writer-wins: every field keeps the write with the latest clock; the Lost writes tab lists the others',
};
