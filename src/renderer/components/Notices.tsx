import type { Notice } from '../logic/app-model.ts';

export interface NoticesProps {
  readonly notices: readonly Notice[];
  onDismiss(id: number): void;
}

/** What went wrong recently (refused edits, failed settings), dismissible; never a console error. */
export function Notices({ notices, onDismiss }: NoticesProps) {
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-live="polite" data-testid="notices">
      {notices.map((n) => (
        <li key={n.id} className={`notice notice-${n.level}`}>
          <span>{n.message}</span>
          <button type="button" className="link" onClick={() => onDismiss(n.id)} aria-label="Dismiss">
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
