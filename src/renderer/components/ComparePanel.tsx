import { errorMessage } from '@converge/protocol';
import type {
  EngineDescriptor,
  EngineName,
  EngineStatus,
  HeadsResolver,
  WorkspaceView,
} from '@converge/replica';
import { memo, useState } from 'react';
import type { MergeReport } from '../logic/compare-report.ts';
import type { EngineConvergence } from '../logic/convergence.ts';
import { downloadJson } from '../logic/download.ts';
import { siblingKeys } from '../logic/format.ts';
import { compareTexts } from '../logic/text-compare.ts';
import { ConvergedBadge } from './ConvergedBadge.tsx';
import { VersionInfo } from './VersionInfo.tsx';

export interface ComparePanelProps {
  /** The hosted engines, in display order. */
  readonly descriptors: readonly EngineDescriptor[];
  readonly primary: EngineName;
  readonly engines: Readonly<Partial<Record<EngineName, EngineStatus>>>;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  /** Ancestry answers for engines whose versions are heads (from their descriptors). */
  readonly resolvers: Readonly<Partial<Record<EngineName, HeadsResolver>>>;
  /** This window is not connected: the badges say so instead of counting peers they cannot hear. */
  readonly offline: boolean;
  /** What "Export comparison" saves: the panel as a merge report (scenario report format). */
  exportReport(): { readonly fileName: string; readonly report: MergeReport };
}

/** The engines side by side, each against the primary engine the user edits. */
export function ComparePanel({
  descriptors,
  primary,
  engines,
  convergence,
  resolvers,
  offline,
  exportReport,
}: ComparePanelProps) {
  const reference = engines[primary]?.view;
  const primaryLabel = descriptors.find((d) => d.name === primary)?.label ?? primary;
  return (
    <div className="compare">
      <ExportComparison exportReport={exportReport} />
      <p className="small muted legend">
        Differences from the <strong>{primaryLabel}</strong> text: <ins>only this engine has it</ins>{' '}
        <del>only {primaryLabel} has it</del>
      </p>
      <div className="compare-grid">
        {descriptors.map(({ name: engine, label, description }) => {
          const status = engines[engine];
          return (
            <article
              key={engine}
              className={engine === primary ? 'compare-card primary' : 'compare-card'}
              aria-labelledby={`compare-${engine}-title`}
            >
              <header className="compare-head">
                <h3 id={`compare-${engine}-title`} title={description}>
                  {label}
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
      <CartMergeRules descriptors={descriptors} />
    </div>
  );
}

/** "−"/"+" against "Set…": how each engine merges them when another replica changes the line too. */
function CartMergeRules({ descriptors }: { descriptors: readonly EngineDescriptor[] }) {
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
        {descriptors.map(({ name, label, cartRules }) => (
          <tr key={name} data-testid={`cart-rule-${name}`}>
            <th scope="row">{label}</th>
            <td>{cartRules.step}</td>
            <td>{cartRules.set}</td>
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
