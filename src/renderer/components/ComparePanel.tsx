import { errorMessage } from '@converge/protocol';
import {
  CART_MERGE_RULES,
  ENGINE_NAMES,
  type EngineName,
  type EngineStatus,
  type WorkspaceView,
} from '@converge/replica';
import { memo, useState } from 'react';
import type { MergeReport } from '../logic/compare-report.ts';
import type { EngineConvergence } from '../logic/convergence.ts';
import { downloadJson } from '../logic/download.ts';
import { ENGINE_DESCRIPTIONS, ENGINE_LABELS } from '../logic/engine-labels.ts';
import { siblingKeys } from '../logic/format.ts';
import { compareTexts } from '../logic/text-compare.ts';
import type { HeadsResolver } from '../logic/versions.ts';
import { ConvergedBadge } from './ConvergedBadge.tsx';
import { VersionInfo } from './VersionInfo.tsx';

export interface ComparePanelProps {
  readonly primary: EngineName;
  readonly engines: Readonly<Partial<Record<EngineName, EngineStatus>>>;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  /** Ancestry answers for engines whose versions are heads (Automerge). */
  readonly resolvers: Readonly<Partial<Record<EngineName, HeadsResolver>>>;
  /** This window is not connected: the badges say so instead of counting peers they cannot hear. */
  readonly offline: boolean;
  /** What "Export comparison" saves: the panel as a merge report (scenario report format). */
  exportReport(): { readonly fileName: string; readonly report: MergeReport };
}

/** The four engines side by side, each against the primary engine the user edits. */
export function ComparePanel({
  primary,
  engines,
  convergence,
  resolvers,
  offline,
  exportReport,
}: ComparePanelProps) {
  const reference = engines[primary]?.view;
  return (
    <div className="compare">
      <ExportComparison exportReport={exportReport} />
      <p className="small muted legend">
        Differences from the <strong>{ENGINE_LABELS[primary]}</strong> text:{' '}
        <ins>only this engine has it</ins> <del>only {ENGINE_LABELS[primary]} has it</del>
      </p>
      <div className="compare-grid">
        {ENGINE_NAMES.map((engine) => {
          const status = engines[engine];
          return (
            <article
              key={engine}
              className={engine === primary ? 'compare-card primary' : 'compare-card'}
              aria-labelledby={`compare-${engine}-title`}
            >
              <header className="compare-head">
                <h3 id={`compare-${engine}-title`} title={ENGINE_DESCRIPTIONS[engine]}>
                  {ENGINE_LABELS[engine]}
                </h3>
                {engine === primary ? <span className="tag">editing</span> : null}
                <ConvergedBadge
                  engine={engine}
                  convergence={convergence[engine]}
                  hosted={status !== undefined}
                  offline={offline}
                  compact
                />
              </header>
              {status === undefined || reference === undefined ? (
                <p className="empty">This engine is not part of this build.</p>
              ) : (
                <EngineView
                  engine={engine}
                  view={status.view}
                  reference={reference}
                  isPrimary={engine === primary}
                  status={status}
                  resolver={resolvers[engine]}
                />
              )}
            </article>
          );
        })}
      </div>
      <CartMergeRules />
    </div>
  );
}

/** "−"/"+" against "Set…": how each engine merges them when another replica changes the line too. */
function CartMergeRules() {
  return (
    <table className="small-table cart-rules" data-testid="cart-merge-rules">
      <caption>How each engine merges a cart change made at the same time as another replica's</caption>
      <thead>
        <tr>
          <th scope="col">engine</th>
          <th scope="col">− one less / + one more</th>
          <th scope="col">Set… a quantity</th>
        </tr>
      </thead>
      <tbody>
        {ENGINE_NAMES.map((engine) => (
          <tr key={engine} data-testid={`cart-rule-${engine}`}>
            <th scope="row">{ENGINE_LABELS[engine]}</th>
            <td>{CART_MERGE_RULES[engine].step}</td>
            <td>{CART_MERGE_RULES[engine].set}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Save the panel (every engine's state here, their differences, the lost writes) as a JSON report. */
function ExportComparison({ exportReport }: Pick<ComparePanelProps, 'exportReport'>) {
  const [message, setMessage] = useState<string | undefined>(undefined);
  const onExport = (): void => {
    try {
      const { fileName, report } = exportReport();
      downloadJson(fileName, report);
      setMessage(
        `Saved ${fileName}: ${report.differences.length} difference${report.differences.length === 1 ? '' : 's'} between the engines.`,
      );
    } catch (error) {
      setMessage(`Export failed: ${errorMessage(error)}`);
    }
  };
  return (
    <div className="button-row compare-export">
      <button
        type="button"
        className="secondary"
        onClick={onExport}
        title="Every engine's state in this window, the differences between the engines and what last-writer-wins lost, as JSON in the scenario runner's report format"
        data-testid="export-compare"
      >
        Export comparison (JSON)
      </button>
      {message !== undefined ? (
        <span className="small muted" role="status">
          {message}
        </span>
      ) : null}
    </div>
  );
}

interface EngineViewProps {
  readonly engine: EngineName;
  readonly view: WorkspaceView;
  readonly reference: WorkspaceView;
  readonly isPrimary: boolean;
  readonly status: EngineStatus;
  readonly resolver: HeadsResolver | undefined;
}

function EngineView({ engine, view, reference, isPrimary, status, resolver }: EngineViewProps) {
  const products = [...new Set([...Object.keys(view.cart), ...Object.keys(reference.cart)])].sort();
  return (
    <>
      <TextDiff engine={engine} text={view.text} reference={isPrimary ? undefined : reference.text} />
      <dl className="compare-facts">
        <dt>Cart</dt>
        <dd data-testid={`compare-cart-${engine}`}>
          {products.length === 0 ? (
            <span className="muted">empty</span>
          ) : (
            products.map((p) => {
              const mine = view.cart[p];
              const differs = mine !== reference.cart[p];
              return (
                <span
                  key={p}
                  className={differs ? 'fact differs' : 'fact'}
                  title={differs ? `the edited engine has ${reference.cart[p] ?? 'no such line'}` : undefined}
                >
                  {p} {mine === undefined ? '—' : `×${mine}`}
                </span>
              );
            })
          )}
        </dd>
        <dt>Counters</dt>
        <dd data-testid={`compare-counters-${engine}`}>
          <span className={view.counters.likes !== reference.counters.likes ? 'fact differs' : 'fact'}>
            likes {view.counters.likes}
          </span>
          <span className={view.counters.stock !== reference.counters.stock ? 'fact differs' : 'fact'}>
            stock {view.counters.stock}
          </span>
        </dd>
        <dt>Note</dt>
        <dd data-testid={`compare-note-${engine}`}>
          {view.note.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            siblingKeys(view.note).map(({ key, value }) => (
              <span key={key} className={reference.note.includes(value) ? 'fact' : 'fact differs'}>
                {JSON.stringify(value)}
              </span>
            ))
          )}
          {view.note.length > 1 ? <span className="tag">{view.note.length} siblings</span> : null}
        </dd>
      </dl>
      <VersionInfo engine={engine} status={status} resolver={resolver} />
    </>
  );
}

/** An engine's text against the primary's (none for the primary itself); re-diffed only when a text changes. */
const TextDiff = memo(function TextDiff({
  engine,
  text,
  reference,
}: {
  engine: EngineName;
  text: string;
  reference: string | undefined;
}) {
  const segments =
    reference === undefined ? [{ kind: 'same' as const, text }] : compareTexts(reference, text);
  return (
    <div className="compare-text" data-testid={`compare-text-${engine}`}>
      {text === '' && (reference ?? '') === '' ? (
        <span className="muted">(empty text)</span>
      ) : (
        segments.map((s, i) =>
          s.kind === 'same' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: diff runs are identified by their order
            <span key={i}>{s.text}</span>
          ) : s.kind === 'extra' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above
            <ins key={i}>{s.text}</ins>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above
            <del key={i}>{s.text}</del>
          ),
        )
      )}
    </div>
  );
});
