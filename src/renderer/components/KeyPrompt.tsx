import { type FormEvent, useState } from 'react';

/** Asks for web mode's launch key when this page was opened without one (a room link shared without it). */
export function KeyPrompt({ onKey }: { onKey(pasted: string): boolean }) {
  const [text, setText] = useState('');
  const [refused, setRefused] = useState(false);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setRefused(!onKey(text));
  };
  return (
    <form className="key-prompt" onSubmit={submit} data-testid="key-prompt">
      <label>
        This page has no key to join the room. Paste the room link you were given (it ends in{' '}
        <code>#key=…</code>) or the key:{' '}
        <input
          value={text}
          onChange={(event) => setText(event.target.value)}
          aria-invalid={refused}
          data-testid="key-input"
        />
      </label>
      <button type="submit" data-testid="key-submit">
        Join
      </button>
      {refused ? <span className="error-text">That holds no key.</span> : null}
    </form>
  );
}
