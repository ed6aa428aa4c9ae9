import type { LostWrite, NamedField, PeerPresence } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { remoteCaretsOf } from '../editor/remote-carets.ts';
import { SharedTextView } from '../editor/shared-text-view.ts';
import type { FirstSync } from '../logic/first-sync.ts';
import { formatBytes } from '../logic/format.ts';
import { strikeLostText } from '../logic/text-compare.ts';
import { markStart } from '../logic/timing.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';

export interface TextEditorProps {
  readonly model: ReplicaClient;
  /** The text field edited (the workspace may have several). */
  readonly field: NamedField;
  /** The primary engine's text length as the replica reported it. */
  readonly length: number;
  /** The primary engine's descriptor. */
  readonly primary: EngineFacts;
  /** What the primary engine lost, when it keeps a ledger (last-writer-wins). */
  readonly ledger: readonly LostWrite[];
  /** A new window waiting for the room's document. */
  readonly firstSync: FirstSync;
  /** The others in the room: their carets in this field are drawn over the text. */
  readonly peers: readonly PeerPresence[];
  /** This window's caret moved (anchor: where the selection started; head: where the caret is). */
  onCaret(field: string, anchor: number, head: number): void;
  /** Whether the editor binds Ctrl/Cmd+Z itself (false where an application menu owns the keys). */
  readonly undoKeys: boolean;
}

const PLACEHOLDER =
  'Type here. Every keystroke goes to all four engines; go offline in two windows and type in both to see how each engine merges.';

/**
 * The primary engine's text in a CodeMirror editor (editor/shared-text-view.ts): made once per field,
 * then fed change by change; React re-renders never touch its document.
 */
export function TextEditor({
  model,
  field,
  length,
  primary,
  ledger,
  firstSync,
  peers,
  onCaret,
  undoKeys,
}: TextEditorProps) {
  const id = field.name;
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<SharedTextView | undefined>(undefined);
  const engine = useRef(primary.name);
  engine.current = primary.name;
  const reportCaret = useRef(onCaret);
  reportCaret.current = onCaret;

  // Made before the browser paints the app's first frame (a layout effect), so that frame has the text.
  useLayoutEffect(() => {
    const element = host.current;
    if (element === null) return;
    const view = new SharedTextView({
      host: element,
      link: {
        feed: model.texts,
        send: (engineName, fieldName, changes) => model.editText(engineName, fieldName, changes),
        onEditDone: (listener) => model.onEditDone(listener),
      },
      field: id,
      label: field.label,
      engine: engine.current,
      placeholder: PLACEHOLDER,
      testId: `${id}-editor`,
      history: {
        undo: () => void model.undo(),
        redo: () => void model.redo(),
      },
      undoKeys,
      onSelection: (anchor, head) => reportCaret.current(id, anchor, head),
    });
    editor.current = view;
    markStart('converge:editor-created');
    return () => {
      editor.current = undefined;
      view.destroy();
    };
  }, [model, id, field.label, undoKeys]);

  useEffect(() => {
    editor.current?.setEngine(primary.name);
  }, [primary.name]);

  useEffect(() => {
    editor.current?.setRemoteCarets(remoteCaretsOf(peers, id));
  }, [peers, id]);

  const lostText = useMemo(
    () => ledger.filter((entry) => entry.field === id && typeof entry.value === 'string'),
    [ledger, id],
  );

  return (
    <section
      className="panel editor-panel"
      aria-labelledby={`${id}-editor-title`}
      aria-busy={firstSync.phase === 'done' ? undefined : true}
    >
      <div className="panel-head">
        <h2 id={`${id}-editor-title`}>{field.label}</h2>
        <span className="muted small">
          editing the <strong>{primary.label}</strong> text · {length} characters · <kbd>Alt+E</kbd> to focus
        </span>
      </div>
      {firstSync.phase === 'done' ? null : <FirstSyncProgress state={firstSync} />}
      <div id={`${id}-editor`} ref={host} className="text-editor-host" />
      {primary.keepsLedger && lostText.length > 0 ? (
        <LostTextPreview label={primary.label} text={model.texts.text(primary.name, id)} lost={lostText} />
      ) : null}
    </section>
  );
}

/** While a new window waits for the room's document: what it waits for, and how much has arrived. */
function FirstSyncProgress({ state }: { state: Exclude<FirstSync, { phase: 'done' }> }) {
  const message =
    state.phase === 'receiving'
      ? `Receiving this room's document from the relay… ${formatBytes(state.bytes)} so far`
      : state.offline
        ? "This window is offline: the room's document arrives when it goes online. You can type meanwhile."
        : "Connecting to the relay to get this room's document…";
  return (
    <div className="first-sync" data-testid="first-sync" data-phase={state.phase}>
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Receiving the document"
        aria-valuetext={message}
      >
        <div className="progress-bar" />
      </div>
      <p className="small muted" role="status">
        {message}
      </p>
    </div>
  );
}

function LostTextPreview({ label, text, lost }: { label: string; text: string; lost: readonly LostWrite[] }) {
  // A character diff per lost version: only when the text or the ledger changed.
  const segments = useMemo(
    () =>
      strikeLostText(
        text,
        lost.map((entry) => ({ replica: entry.replica, text: String(entry.value) })),
      ),
    [text, lost],
  );
  return (
    <div className="lost-text" data-testid="lww-lost-text">
      <p className="small muted">
        {label} kept one whole text. What the other {lost.length === 1 ? 'version' : 'versions'} had is shown{' '}
        <del>struck through</del> where it would have been:
      </p>
      <p className="lost-text-body">
        {segments.map((segment, index) =>
          segment.kind === 'kept' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond their order
            <span key={index}>{segment.text}</span>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above
            <del key={index} title={`lost write of ${segment.replica}`}>
              {segment.text}
            </del>
          ),
        )}
      </p>
    </div>
  );
}
