import type { NamedField } from '@converge/replica';
import { type FormEvent, memo, useId, useState } from 'react';
import { siblingKeys } from '../logic/format.ts';
import { checkNote } from '../logic/input-checks.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';

export interface NotePanelProps {
  readonly model: ReplicaClient;
  /** The register field shown (the workspace may have several). */
  readonly field: NamedField;
  /** The primary engine's values of it (several when it keeps concurrent writes as siblings). */
  readonly note: readonly string[];
}

/** A register of the workspace (the note): its value or siblings, and a form to set it. */
export const NotePanel = memo(function NotePanel({ model, field, note }: NotePanelProps) {
  const id = field.name;
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const errorId = useId();
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = checkNote(draft);
    if (!checked.ok) {
      setError(checked.message);
      return;
    }
    void model.applyEdit({ kind: 'register', field: id, action: 'set', value: checked.value });
    setDraft('');
    setError(undefined);
  };
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel-head">
        <h2 id={`${id}-title`}>{field.label}</h2>
        <span className="muted small">a register: one value, or siblings after concurrent writes</span>
      </div>
      <div className="note-values" data-testid={`${id}-value`}>
        {note.length === 0 ? (
          <p className="empty">No note yet. Write one below.</p>
        ) : note.length === 1 ? (
          <p className="note-value">{note[0]}</p>
        ) : (
          <>
            <p className="small warn-text">
              {note.length} concurrent values kept (siblings); the next write replaces them:
            </p>
            <ul className="siblings">
              {siblingKeys(note).map(({ key, value }) => (
                <li key={key} className="note-value">
                  {value}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <form className="inline-form" onSubmit={onSubmit}>
        <label className="field grow">
          <span>New note</span>
          <input
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
              setError(undefined);
            }}
            maxLength={1000}
            aria-invalid={error !== undefined}
            aria-describedby={error !== undefined ? errorId : undefined}
            data-testid={`${id}-input`}
            placeholder="e.g. deliver after 6pm"
          />
        </label>
        <button type="submit" data-testid={`${id}-set`}>
          Set note
        </button>
        {error !== undefined ? (
          <p className="field-error" id={errorId} role="alert" data-testid={`${id}-error`}>
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
});
