import { type KeyboardEvent, type ReactNode, useRef } from 'react';

export interface TabSpec {
  readonly id: string;
  readonly label: string;
  /** Shown in the tab's title, e.g. "Alt+1". */
  readonly shortcut?: string;
  readonly badge?: string | undefined;
  readonly content: ReactNode;
}

export interface TabsProps {
  readonly label: string;
  readonly tabs: readonly TabSpec[];
  readonly active: string;
  onSelect(id: string): void;
}

/** WAI-ARIA tabs: arrow keys, Home and End move between tabs. Only the active panel renders its content. */
export function Tabs({ label, tabs, active, onSelect }: TabsProps) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const index = tabs.findIndex((t) => t.id === active);
    let next: number | undefined;
    if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tabs.length - 1;
    if (next === undefined) return;
    event.preventDefault();
    const id = tabs[next]!.id;
    onSelect(id);
    refs.current.get(id)?.focus();
  };
  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tablist" onKeyDown={onKeyDown}>
        {tabs.map((tab) => (
          <button
            key={tab.id}
            ref={(el) => {
              if (el === null) refs.current.delete(tab.id);
              else refs.current.set(tab.id, el);
            }}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={tab.id === active}
            aria-controls={`panel-${tab.id}`}
            tabIndex={tab.id === active ? 0 : -1}
            title={tab.shortcut}
            onClick={() => onSelect(tab.id)}
            data-testid={`tab-${tab.id}`}
          >
            {tab.label}
            {tab.badge !== undefined ? <span className="tab-badge">{tab.badge}</span> : null}
          </button>
        ))}
      </div>
      {tabs.map((tab) => (
        <div
          key={tab.id}
          role="tabpanel"
          id={`panel-${tab.id}`}
          aria-labelledby={`tab-${tab.id}`}
          hidden={tab.id !== active}
          className="tabpanel"
          data-testid={`panel-${tab.id}`}
        >
          {tab.id === active ? tab.content : null}
        </div>
      ))}
    </div>
  );
}
