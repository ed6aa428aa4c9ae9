import { errorMessage } from '@converge/protocol';
import type { EngineName, EngineStatus, NamedField, WorkspaceSchema, WorkspaceView } from '@converge/replica';
import { COUNTERS, type EngineFacts } from '@converge/replica/descriptors';
import { Fragment, memo, type RefObject, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { MergeReport } from '../logic/compare-report.ts';
import type { EngineConvergence } from '../logic/convergence.ts';
import { downloadJson } from '../logic/download.ts';
import { siblingKeys } from '../logic/format.ts';
import { frameThrottle } from '../logic/frame-throttle.ts';
import { type CardWindows, TextComparisons } from '../logic/text-comparisons.ts';
import type { TextFeed } from '../logic/text-feed.ts';
import type { TextWindow } from '../logic/text-window.ts';
import type { VersionComparison } from '../logic/versions.ts';
import { ConvergedBadge } from './ConvergedBadge.tsx';
import { VersionInfo } from './VersionInfo.tsx';

export interface ComparePanelProps {
  /** The workspace's fields. */
  readonly schema: WorkspaceSchema;
  /** The hosted engines, in display order. */
  readonly descriptors: readonly EngineFacts[];
  readonly primary: EngineName;
  readonly engines: Readonly<Partial<Record<EngineName, EngineStatus>>>;
  /** Each engine's texts, change by change (the cards follow it in animation frames, `COMPARE_REFRESH_MS` apart). */
  readonly texts: TextFeed;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  /** Ancestry answers for engines whose versions are heads (from their descriptors). */
  /** Per engine whose versions are heads, per peer: the comparison the replica worker resolved. */
  readonly comparisons: Readonly<Record<EngineName, Readonly<Record<string, VersionComparison>>>>;
  /** This window is not connected: the badges say so instead of counting peers they cannot hear. */
  readonly offline: boolean;
  /** Engines still loading the stored document: shown as loading, never compared. */
  readonly loading: readonly EngineName[];
  /** Engines catching up on a large edit: shown as they are, their badge says so. */
  readonly behind: readonly EngineName[];
  /** What "Export comparison" saves: the panel as a merge report (scenario report format). */
  exportReport(): Promise<{ readonly fileName: string; readonly report: MergeReport }>;
}

/** The engines side by side, each against the primary engine the user edits. */
export function ComparePanel({
  schema,
  descriptors,
  primary,
  engines,
  texts,
  convergence,
  comparisons,
  offline,
  loading,
  behind,
  exportReport,
}: ComparePanelProps) {
  const reference = engines[primary]?.view;
  const grid = useRef<HTMLDivElement>(null);
  const textComparisons = useTextComparisons(texts, descriptors, schema, primary, grid);
  const primaryLabel = descriptors.find((d) => d.name === primary)?.label ?? primary;
  return (
    <div className="compare">
      <ExportComparison exportReport={exportReport} />
      <p className="small muted legend">
        Differences from the <strong>{primaryLabel}</strong> text: <ins>only this engine has it</ins>{' '}
        <del>only {primaryLabel} has it</del>
      </p>
      <div className="compare-grid" ref={grid}>
        {descriptors.map(({ name: engine, label, description }) => (
          <CompareCard
            key={engine}
            schema={schema}
            engine={engine}
            label={label}
            description={description}
            primary={engine === primary}
            status={engines[engine]}
            reference={reference}
            texts={textComparisons}
            convergence={convergence[engine]}
            resolved={comparisons[engine]}
            offline={offline}
            loading={loading.includes(engine)}
            behind={behind.includes(engine)}
          />
        ))}
      </div>
      <CartMergeRules descriptors={descriptors} />
    </div>
  );
}

interface CompareCardProps {
  readonly schema: WorkspaceSchema;
  readonly engine: EngineName;
  readonly label: string;
  readonly description: string;
  /** This card is the engine the user edits. */
  readonly primary: boolean;
  readonly status: EngineStatus | undefined;
  readonly reference: WorkspaceView | undefined;
  /** The texts' comparisons: the card follows its own engine's windows only. */
  readonly texts: TextComparisons | undefined;
  readonly convergence: EngineConvergence | undefined;
  readonly resolved: Readonly<Record<string, VersionComparison>> | undefined;
  readonly offline: boolean;
  readonly loading: boolean;
  readonly behind: boolean;
}

/**
 * One engine's card. It renders again when its own data changes: its text windows (a few times a second
 * while peers type, each card only when its own comparison changed) or its status.
 */
const CompareCard = memo(function CompareCard({
  schema,
  engine,
  label,
  description,
  primary,
  status,
  reference,
  texts,
  convergence,
  resolved,
  offline,
  loading,
  behind,
}: CompareCardProps) {
  const windows = useSyncExternalStore(texts?.subscribe ?? noSubscription, () =>
    texts === undefined ? NO_WINDOWS : texts.windowsOf(engine),
  );
  return (
    <article
      className={primary ? 'compare-card primary' : 'compare-card'}
      aria-labelledby={`compare-${engine}-title`}
    >
      <header className="compare-head">
        <h3 id={`compare-${engine}-title`} title={description}>
          {label}
        </h3>
        {primary ? <span className="tag">editing</span> : null}
        <ConvergedBadge
          engine={engine}
          convergence={convergence}
          hosted={status !== undefined}
          loading={loading}
          behind={behind}
          offline={offline}
          compact
        />
      </header>
      {status === undefined || reference === undefined ? (
        <p className="empty">This engine is not part of this build.</p>
      ) : loading ? (
        <p className="empty" role="status" data-testid={`compare-loading-${engine}`}>
          Loading {label}'s copy of the stored document…
        </p>
      ) : (
        <EngineView
          schema={schema}
          engine={engine}
          view={status.view}
          reference={reference}
          windows={windows}
          status={status}
          resolved={resolved}
        />
      )}
    </article>
  );
});

/**
 * The text cards' comparisons, from the text feed; nothing is compared while the panel is not shown. The
 * cards' `grid` is `aria-busy` while a change waits for its update (`COMPARE_REFRESH_MS`): what reads the
 * cards (assistive technology, the e2e support) knows they are about to change.
 */
function useTextComparisons(
  feed: TextFeed,
  descriptors: readonly EngineFacts[],
  schema: WorkspaceSchema,
  primary: EngineName,
  grid: RefObject<HTMLDivElement | null>,
): TextComparisons | undefined {
  const [store, setStore] = useState<TextComparisons | undefined>(undefined);
  const engines = descriptors.map((d) => d.name).join('\u0000');
  const fields = schema
    .fieldsOf('text')
    .map((f) => f.name)
    .join('\u0000');
  // biome-ignore lint/correctness/useExhaustiveDependencies: primary is followed by setPrimary below
  useEffect(() => {
    const throttled = frameThrottle({
      interval: COMPARE_REFRESH_MS,
      now: () => performance.now(),
      requestFrame: (callback) => requestAnimationFrame(callback),
      setTimer: (callback, ms) => setTimeout(callback, ms),
    });
    const comparisons = new TextComparisons({
      feed,
      engines: engines.split('\u0000'),
      fields: fields.split('\u0000'),
      primary,
      schedule: (flush) => {
        grid.current?.setAttribute('aria-busy', 'true');
        throttled(() => {
          grid.current?.removeAttribute('aria-busy');
          flush();
        });
      },
    });
    setStore(comparisons);
    return () => comparisons.close();
  }, [feed, engines, fields]);
  useEffect(() => store?.setPrimary(primary), [store, primary]);
  return store;
}

/**
 * The least time between two updates of the cards' texts. Each remote keystroke changes them (the counts of
 * shared characters), and each update lays out and paints the cards in every window: a few a second while
 * peers type, not one per key. A quiet panel updates in the next frame.
 */
export const COMPARE_REFRESH_MS = 200;

const NO_WINDOWS: CardWindows = new Map();
const noSubscription = (): (() => void) => () => {};

/** "−"/"+" against "Set…": how each engine merges them when another replica changes the line too. */
function CartMergeRules({ descriptors }: { descriptors: readonly EngineFacts[] }) {
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
  const onExport = async (): Promise<void> => {
    try {
      const { fileName, report } = await exportReport();
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
        onClick={() => void onExport()}
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
  readonly schema: WorkspaceSchema;
  readonly engine: EngineName;
  readonly view: WorkspaceView;
  readonly reference: WorkspaceView;
  readonly windows: CardWindows;
  readonly status: EngineStatus;
  readonly resolved: Readonly<Record<string, VersionComparison>> | undefined;
}

/** One engine's state against the edited engine's, field by field of the workspace schema. */
function EngineView({ schema, engine, view, reference, windows, status, resolved }: EngineViewProps) {
  const texts = schema.fieldsOf('text');
  return (
    <>
      {texts.map((field) => (
        <TextDiff
          key={field.name}
          label={texts.length > 1 ? field.label : undefined}
          testId={`compare-${field.name}-${engine}`}
          window={windows.get(field.name)}
        />
      ))}
      <EngineFields
        schema={schema}
        engine={engine}
        view={view}
        reference={reference}
        status={status}
        resolved={resolved}
      />
    </>
  );
}

/**
 * Everything but the texts, from the status snapshot (a few times a second): not rendered again when only
 * the texts' comparisons changed (every animation frame while peers type).
 */
const EngineFields = memo(function EngineFields({
  schema,
  engine,
  view,
  reference,
  status,
  resolved,
}: Omit<EngineViewProps, 'windows'>) {
  const counters = schema.counters();
  const mine = (field: NamedField) => schema.valueIn(view, field);
  const theirs = (field: NamedField) => schema.valueIn(reference, field);
  return (
    <>
      <dl className="compare-facts">
        {schema.fieldsOf('cart').map((field) => (
          <CartFacts
            key={field.name}
            label={field.label}
            testId={`compare-${field.name}-${engine}`}
            cart={mine(field) as Readonly<Record<string, number>>}
            reference={theirs(field) as Readonly<Record<string, number>>}
          />
        ))}
        {counters.length > 0 ? (
          <>
            <dt>Counters</dt>
            <dd data-testid={`compare-${COUNTERS}-${engine}`}>
              {counters.map((field) => (
                <span key={field.name} className={mine(field) !== theirs(field) ? 'fact differs' : 'fact'}>
                  {field.name} {String(mine(field))}
                </span>
              ))}
            </dd>
          </>
        ) : null}
        {schema.fieldsOf('register').map((field) => {
          const values = mine(field) as readonly string[];
          const other = theirs(field) as readonly string[];
          return (
            <Fragment key={field.name}>
              <dt>{field.label}</dt>
              <dd data-testid={`compare-${field.name}-${engine}`}>
                {values.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  siblingKeys(values).map(({ key, value }) => (
                    <span key={key} className={other.includes(value) ? 'fact' : 'fact differs'}>
                      {JSON.stringify(value)}
                    </span>
                  ))
                )}
                {values.length > 1 ? <span className="tag">{values.length} siblings</span> : null}
              </dd>
            </Fragment>
          );
        })}
      </dl>
      <VersionInfo engine={engine} status={status} resolved={resolved} />
    </>
  );
});

function CartFacts({
  label,
  testId,
  cart,
  reference,
}: {
  label: string;
  testId: string;
  cart: Readonly<Record<string, number>>;
  reference: Readonly<Record<string, number>>;
}) {
  const products = [...new Set([...Object.keys(cart), ...Object.keys(reference)])].sort();
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>
        {products.length === 0 ? (
          <span className="muted">empty</span>
        ) : (
          products.map((p) => {
            const mine = cart[p];
            const differs = mine !== reference[p];
            return (
              <span
                key={p}
                className={differs ? 'fact differs' : 'fact'}
                title={differs ? `the edited engine has ${reference[p] ?? 'no such line'}` : undefined}
              >
                {p} {mine === undefined ? '—' : `×${mine}`}
              </span>
            );
          })
        )}
      </dd>
    </>
  );
}

/**
 * An engine's text against the primary's (the primary's own card shows its text): whole when short, else
 * the stretch around the difference with what was left out counted.
 */
const TextDiff = memo(function TextDiff({
  label,
  testId,
  window,
}: {
  label: string | undefined;
  testId: string;
  window: TextWindow | undefined;
}) {
  return (
    <div className="compare-text" data-testid={testId}>
      {label !== undefined ? <span className="small muted">{label}: </span> : null}
      {window === undefined ? null : window.segments.length === 0 ? (
        <span className="muted">(empty text)</span>
      ) : (
        <>
          {window.omittedBefore > 0 ? <Omitted count={window.omittedBefore} where="before" /> : null}
          {window.segments.map((s, i) =>
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
          )}
          {window.truncated ? <Omitted count={undefined} where="cut" /> : null}
          {window.omittedAfter > 0 ? <Omitted count={window.omittedAfter} where="after" /> : null}
        </>
      )}
    </div>
  );
});

/** One formatter for every marker: `toLocaleString` builds one per call (a tenth of a render's time). */
const COUNT_FORMAT = new Intl.NumberFormat('en');

/** A marker for text not shown (never a <span>: the e2e support reads an engine's text from those). */
function Omitted({ count, where }: { count: number | undefined; where: 'before' | 'after' | 'cut' }) {
  const text =
    count === undefined
      ? ' … (the rest of this difference is not shown) '
      : ` … ${COUNT_FORMAT.format(count)} shared characters ${where === 'before' ? 'before' : 'after'} … `;
  return <small className="omitted muted">{text}</small>;
}
