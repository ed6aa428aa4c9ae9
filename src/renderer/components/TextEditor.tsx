import type { EngineDescriptor, LostWrite, NamedField } from '@converge/replica';
import { type FormEvent, useLayoutEffect, useRef, useState } from 'react';
import type { AppModel } from '../logic/app-model.ts';
import { transformSelection } from '../logic/caret.ts';
import { strikeLostText } from '../logic/text-compare.ts';
import { changeToEdits, diffTextChange } from '../logic/text-edit.ts';

export interface TextEditorProps {
  readonly model: AppModel;
  /** The text field edited (the workspace may have several). */
  readonly field: NamedField;
  /** The primary engine's text. */
  readonly text: string;
  /** The primary engine's descriptor. */
  readonly primary: EngineDescriptor;
  /** What the primary engine lost, when it keeps a ledger (last-writer-wins). */
  readonly ledger: readonly LostWrite[];
}

/**
 * A plain <textarea> over the primary engine's text. Each input event becomes text intents (the change
 * between the previous and the new value, ending at the caret). When the text changes underneath (a
 * remote edit, or another primary engine), the caret and selection are carried through the change.
 */
export function TextEditor({ model, field, text, primary, ledger }: TextEditorProps) {
  const id = field.name;
  const area = useRef<HTMLTextAreaElement>(null);
  /** The text the textarea shows, as the engines know it. */
  const shown = useRef(text);
  const composing = useRef(false);
  const [, setCompositionDone] = useState(0);

  useLayoutEffect(() => {
    const el = area.current;
    if (el === null || composing.current) return; // never disturb an IME composition
    // The replica's text now, not the prop: a render may carry a snapshot older than the last keystroke.
    const current = model.textOf(id);
    shown.current = current;
    if (el.value === current) return;
    const selection = transformSelection(el.value, current, {
      start: el.selectionStart,
      end: el.selectionEnd,
    });
    el.value = current; // this moves the caret to the end: put it back where it belongs
    el.setSelectionRange(selection.start, selection.end);
  });

  const onInput = (event: FormEvent<HTMLTextAreaElement>): void => {
    const el = event.currentTarget;
    const change = diffTextChange(shown.current, el.value, el.selectionEnd);
    if (change === undefined) return;
    for (const edit of changeToEdits(id, change)) void model.applyEdit(edit);
    const actual = model.textOf(id);
    shown.current = actual;
    if (actual !== el.value) {
      // The edit was refused (a notice says why): show what the engines hold.
      const caret = Math.min(change.pos, actual.length);
      el.value = actual;
      el.setSelectionRange(caret, caret);
    }
  };

  const lostText = ledger.filter((entry) => entry.field === id && typeof entry.value === 'string');

  return (
    <section className="panel editor-panel" aria-labelledby={`${id}-editor-title`}>
      <div className="panel-head">
        <h2 id={`${id}-editor-title`}>{field.label}</h2>
        <span className="muted small">
          editing the <strong>{primary.label}</strong> text · {text.length} characters · <kbd>Alt+E</kbd> to
          focus
        </span>
      </div>
      <label htmlFor={`${id}-editor`} className="visually-hidden">
        Shared {field.label.toLowerCase()}
      </label>
      <textarea
        id={`${id}-editor`}
        ref={area}
        className="text-editor"
        defaultValue={text}
        onInput={onInput}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={() => {
          composing.current = false;
          setCompositionDone((n) => n + 1);
        }}
        placeholder="Type here. Every keystroke goes to all four engines; go offline in two windows and type in both to see how each engine merges."
        spellCheck={false}
        data-testid={`${id}-editor`}
      />
      {primary.ledger !== undefined && lostText.length > 0 ? (
        <LostTextPreview label={primary.label} text={text} lost={lostText} />
      ) : null}
    </section>
  );
}

function LostTextPreview({ label, text, lost }: { label: string; text: string; lost: readonly LostWrite[] }) {
  const segments = strikeLostText(
    text,
    lost.map((entry) => ({ replica: entry.replica, text: String(entry.value) })),
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
