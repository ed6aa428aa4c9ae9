import { isFinal } from '@converge/checkout';
import type { PresenceCaret } from '@converge/protocol';
import { STORAGE_NODE_ID } from '@converge/protocol';
import type { EngineName, LedgerWrite, LostWrite } from '@converge/replica';
import { type CSSProperties, lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { CartPanel } from './components/CartPanel.tsx';
import { CheckoutPanel } from './components/CheckoutPanel.tsx';
import { ComparePanel } from './components/ComparePanel.tsx';
import { CountersPanel } from './components/CountersPanel.tsx';
import { EngineStrip } from './components/EngineStrip.tsx';
import { Header } from './components/Header.tsx';
import { HistoryPanel } from './components/HistoryPanel.tsx';
import { KeyPrompt } from './components/KeyPrompt.tsx';
import { LedgerPanel } from './components/LedgerPanel.tsx';
import { NetworkPanel } from './components/NetworkPanel.tsx';
import { NotePanel } from './components/NotePanel.tsx';
import { Notices } from './components/Notices.tsx';
import { PresenceBar } from './components/PresenceBar.tsx';
import { RoomControls } from './components/RoomControls.tsx';
import { Tabs } from './components/Tabs.tsx';
import { TextEditor } from './components/TextEditor.tsx';
import { UndoEffectsPanel } from './components/UndoEffectsPanel.tsx';
import { WireLog } from './components/WireLog.tsx';
import {
  useAfterFirstPaint,
  useAppSnapshot,
  useCheckoutView,
  useNetworkRoom,
  usePresenceIdentity,
  useShortcuts,
  useUndoKeys,
} from './hooks.ts';
import { comparedPeers, convergenceByEngine } from './logic/convergence.ts';
import { replicaHue } from './logic/format.ts';
import { cutOffFrom } from './logic/network.ts';
import type { Session } from './session.ts';

// Scenario files need the scenario format, which names the engines through their registry: loaded when
// the tab is first shown, so the page starts without any engine's code (the engines run in the worker).
const SessionFiles = lazy(async () => ({
  default: (await import('./components/SessionFiles.tsx')).SessionFiles,
}));

const TABS = ['compare', 'network', 'ledger', 'wire', 'session', 'checkout', 'history'] as const;
/** No engine is loading or behind (a snapshot from before progressive opens had no list). */
const NO_ENGINES: readonly EngineName[] = [];
type TabId = (typeof TABS)[number];

export function App({ session }: { session: Session }) {
  const { model, network: networkStore, setup } = session;
  const { registry } = model;
  const { schema } = model;
  const { descriptors } = registry;
  const snapshot = useAppSnapshot(model);
  const room = useNetworkRoom(networkStore);
  const checkoutView = useCheckoutView(session.checkout);
  const [tab, setTab] = useState<TabId>('compare');
  // The inspector renders once the text has been painted (a 1 MB reopen shows its text sooner).
  const inspector = useAfterFirstPaint();
  const { status } = snapshot;
  const self = status.id;
  const primaryView = status.engines[status.primary]?.view;

  const roomReplicas = useMemo(
    () => (room ?? undefined)?.nodes.filter((n) => n.role === 'replica').map((n) => n.id) ?? [],
    [room],
  );
  // Offline this window hears from nobody: it says it cannot check every peer it has seen in the room.
  const online = status.connection === 'online' && !snapshot.offline;
  const seenInRoom = useRef<readonly string[]>([]);
  const current = { sessionPeers: status.peers, roomReplicas, digestPeers: snapshot.peerDigests.keys() };
  seenInRoom.current = comparedPeers(self, current, seenInRoom.current);
  const peers = online ? comparedPeers(self, current) : seenInRoom.current;
  const convergence = convergenceByEngine(registry, status.engines, peers, snapshot.peerDigests);
  const cutOff = room ? cutOffFrom(room, self) : undefined;
  const traffic = Object.fromEntries(
    descriptors.flatMap(({ name }) => (status.engines[name] ? [[name, status.engines[name].traffic]] : [])),
  );
  const primary = registry.get(status.primary);
  const ledgerEngines = descriptors.filter((d) => d.keepsLedger);
  const cartField = schema.fieldsOf('cart')[0];
  const stockCounter = schema.counters().find((field) => field.name === 'stock');
  const engineCarts = descriptors.flatMap(({ name, label }) => {
    const view = status.engines[name]?.view;
    if (view === undefined || cartField === undefined) return [];
    const counter = stockCounter === undefined ? undefined : schema.valueIn(view, stockCounter);
    return [
      {
        name,
        label,
        cart: schema.valueIn(view, cartField) as Readonly<Record<string, number>>,
        ...(typeof counter === 'number' ? { stockCounter: counter } : {}),
      },
    ];
  });
  const openOrders = checkoutView.orders.filter((o) => o.replica === self && !isFinal(o.phase)).length;
  const lostCount = ledgerEngines.reduce((n, d) => n + (snapshot.ledgers[d.name]?.length ?? 0), 0);

  const identity = usePresenceIdentity(self);
  // Stable handlers and field lists: the panels that take them are memoized (they must not render
  // again for every snapshot while a peer types).
  const openRoom = useCallback(
    (room: string) => setup.openRoom(room, () => session.close()),
    [setup, session],
  );
  const freshRoom = useCallback(() => setup.freshRoomName(), [setup]);
  const roomLinkCopied = useCallback(
    (ok: boolean) =>
      model.notify(
        ok ? 'info' : 'error',
        ok ? 'Room link copied' : 'Could not copy: select the link and copy it',
      ),
    [model],
  );
  const counterFields = useMemo(() => schema.counters(), [schema]);
  const caret = useRef<PresenceCaret | null>(null);
  const publish = (): void =>
    model.setPresence({ name: identity.name, colour: identity.colour, panel: tab, caret: caret.current });
  // Announced again whenever the name, colour or panel changes (the caret announces itself).
  useEffect(publish, [identity.name, identity.colour, tab, model]);
  useUndoKeys({ undo: () => void model.undo(), redo: () => void model.redo() }, setup.onEditHistory);

  useShortcuts({
    o: () => model.setOffline(!snapshot.offline),
    e: () => document.getElementById(`${schema.fieldsOf('text')[0]?.name}-editor`)?.focus(),
    n: () => setup.openNewReplica(),
    '1': () => setTab('compare'),
    '2': () => setTab('network'),
    '3': () => setTab('ledger'),
    '4': () => setTab('wire'),
    '5': () => setTab('session'),
    '6': () => setTab('checkout'),
    '7': () => setTab('history'),
  });

  return (
    <div className="app" style={{ '--replica-hue': replicaHue(self) } as CSSProperties}>
      <Header
        replicaId={self}
        room={setup.config.room}
        platform={setup.platform}
        connection={status.connection}
        offline={snapshot.offline}
        cutOffFrom={cutOff}
        peers={status.peers}
        primary={status.primary}
        engines={descriptors}
        skewMs={status.skewMs}
        relayProblem={snapshot.relayProblem}
        onToggleOffline={() => model.setOffline(!snapshot.offline)}
        onPrimary={(engine) => void model.setPrimary(engine)}
        onNewReplica={() => setup.openNewReplica()}
        onSkew={(ms) => void model.setSkew(ms)}
      />
      <div className="collab-bar">
        <div className="undo-buttons">
          {(['undo', 'redo'] as const).map((op) => (
            <button
              key={op}
              type="button"
              className="secondary"
              disabled={!(op === 'undo' ? snapshot.canUndo : snapshot.canRedo)}
              onClick={() => void model[op]()}
              data-testid={`${op}-button`}
              title={
                op === 'undo'
                  ? 'Undo your last edit in every engine; what others did meanwhile stays (Ctrl/Cmd+Z)'
                  : 'Redo what you undid (Shift+Ctrl/Cmd+Z)'
              }
            >
              {op === 'undo' ? 'Undo' : 'Redo'}
            </button>
          ))}
        </div>
        <PresenceBar
          name={identity.name}
          colour={identity.colour}
          peers={snapshot.presence}
          offline={!online}
          onName={identity.setName}
          onColour={identity.setColour}
        />
        <RoomControls
          room={setup.config.room}
          link={setup.roomLink(setup.config.room)}
          platform={setup.platform}
          onOpen={openRoom}
          onFreshRoom={freshRoom}
          onCopied={roomLinkCopied}
        />
      </div>
      {setup.provideKey !== undefined ? <KeyPrompt onKey={setup.provideKey} /> : null}
      <Notices notices={snapshot.notices} onDismiss={(id) => model.dismiss(id)} />
      <EngineStrip
        engines={descriptors}
        primary={status.primary}
        convergence={convergence}
        traffic={traffic}
        offline={!online}
        loading={status.loading ?? NO_ENGINES}
        behind={status.behind ?? NO_ENGINES}
      />
      <main className="columns">
        <section className="workspace" aria-label="Workspace">
          {primaryView !== undefined ? (
            <>
              {schema.fieldsOf('text').map((field) => (
                <TextEditor
                  key={field.name}
                  model={model}
                  field={field}
                  length={model.texts.length(status.primary, field.name)}
                  primary={primary}
                  ledger={snapshot.ledgers[status.primary] ?? []}
                  firstSync={snapshot.firstSync}
                  peers={snapshot.presence}
                  undoKeys={setup.onEditHistory === undefined}
                  onCaret={(field, anchor, head) => {
                    const last = caret.current;
                    if (last?.field === field && last.anchor === anchor && last.head === head) return;
                    caret.current = { field, anchor, head };
                    publish();
                  }}
                />
              ))}
              <div className="workspace-row">
                <div className="stack">
                  {schema.fieldsOf('cart').map((field) => (
                    <CartPanel
                      key={field.name}
                      model={model}
                      field={field}
                      cart={schema.valueIn(primaryView, field) as Readonly<Record<string, number>>}
                    />
                  ))}
                </div>
                <div className="stack">
                  {counterFields.length > 0 ? (
                    <CountersPanel model={model} fields={counterFields} counters={primaryView.counters} />
                  ) : null}
                  {schema.fieldsOf('register').map((field) => (
                    <NotePanel
                      key={field.name}
                      model={model}
                      field={field}
                      note={schema.valueIn(primaryView, field) as readonly string[]}
                    />
                  ))}
                </div>
              </div>
            </>
          ) : null}
        </section>
        <div className="inspector" aria-busy={inspector ? undefined : true}>
          {inspector ? (
            <Tabs
              label="Inspect"
              active={tab}
              onSelect={(id) => setTab(id as TabId)}
              tabs={[
                {
                  id: 'compare',
                  label: 'Compare engines',
                  shortcut: 'Alt+1',
                  content: (
                    <>
                      {snapshot.lastUndo !== undefined ? (
                        <UndoEffectsPanel effects={snapshot.lastUndo} engines={descriptors} />
                      ) : null}
                      <ComparePanel
                        schema={schema}
                        descriptors={descriptors}
                        primary={status.primary}
                        engines={status.engines}
                        texts={model.texts}
                        convergence={convergence}
                        comparisons={snapshot.versionComparisons}
                        offline={!online}
                        loading={status.loading ?? NO_ENGINES}
                        behind={status.behind ?? NO_ENGINES}
                        exportReport={async () => {
                          const at = new Date().toISOString();
                          const [start, writes, { compareReport }] = await Promise.all([
                            model.startViews(),
                            model.ledgerWrites(),
                            import('./logic/compare-report.ts'),
                          ]);
                          return {
                            fileName: `converge-compare-${self}-${at.replaceAll(':', '-')}.json`,
                            report: compareReport({
                              name: `Compare panel of ${self} in room ${setup.config.room}, ${at}`,
                              self,
                              relayUrl: setup.config.relayUrl,
                              room: setup.config.room,
                              storagePeer: seenInRoom.current.includes(STORAGE_NODE_ID),
                              order: registry.names,
                              engines: status.engines,
                              start,
                              convergence,
                              ledgers: ledgersForExport(snapshot.ledgers, writes),
                            }),
                          };
                        }}
                      />
                    </>
                  ),
                },
                {
                  id: 'network',
                  label: 'Network',
                  shortcut: 'Alt+2',
                  badge: room && room.cut.length > 0 ? `${room.cut.length} cut` : undefined,
                  content: <NetworkPanel self={self} store={networkStore} model={model} />,
                },
                {
                  id: 'ledger',
                  label: 'Lost writes',
                  shortcut: 'Alt+3',
                  badge: lostCount > 0 ? String(lostCount) : undefined,
                  content: ledgerEngines.map((d) => (
                    <section key={d.name} aria-label={`Writes lost by ${d.label}`}>
                      {ledgerEngines.length > 1 ? <h3>{d.label}</h3> : null}
                      <LedgerPanel
                        ledger={snapshot.ledgers[d.name] ?? []}
                        text={status.engines[d.name]?.view.text}
                        skewMs={status.skewMs}
                        onSkew={(ms) => void model.setSkew(ms)}
                      />
                    </section>
                  )),
                },
                {
                  id: 'wire',
                  label: 'Wire log',
                  shortcut: 'Alt+4',
                  content: (
                    <WireLog
                      engines={descriptors}
                      frames={snapshot.wireFrames}
                      totals={snapshot.wireTotals}
                      problems={status.problems}
                    />
                  ),
                },
                {
                  id: 'session',
                  label: 'Session file',
                  shortcut: 'Alt+5',
                  content: (
                    <Suspense fallback={<p className="muted">Loading the scenario tools…</p>}>
                      <SessionFiles
                        model={model}
                        network={networkStore}
                        replayChannel={session.replayChannel}
                        room={setup.config.room}
                        recordedSteps={snapshot.recordedSteps}
                        omittedActions={snapshot.omittedActions}
                      />
                    </Suspense>
                  ),
                },
                {
                  id: 'checkout',
                  label: 'Checkout',
                  shortcut: 'Alt+6',
                  badge:
                    openOrders > 0
                      ? `${openOrders} open`
                      : checkoutView.availability.ok
                        ? undefined
                        : 'no authority',
                  content: (
                    <CheckoutPanel
                      self={self}
                      client={session.checkout}
                      view={checkoutView}
                      engines={engineCarts}
                      primary={status.primary}
                      control={(control) => session.admin.checkoutControl(setup.config.room, control)}
                      onError={(message) => model.notify('error', message)}
                    />
                  ),
                },
                {
                  id: 'history',
                  label: 'History',
                  shortcut: 'Alt+7',
                  content: (
                    <HistoryPanel
                      entries={snapshot.history}
                      loadEntry={model.historyEntry}
                      engines={descriptors}
                      schema={schema}
                      self={self}
                      onRestore={(seq) => void model.restore(seq)}
                    />
                  ),
                },
              ]}
            />
          ) : null}
        </div>
      </main>
      <footer className="shortcuts small muted">
        Keyboard: <kbd>Alt+O</kbd> offline · <kbd>Alt+E</kbd> text editor · <kbd>Alt+N</kbd> new replica ·{' '}
        <kbd>Ctrl/Cmd+Z</kbd> undo · <kbd>Shift+Ctrl/Cmd+Z</kbd> redo · <kbd>Alt+1</kbd>…<kbd>Alt+7</kbd>{' '}
        inspector tabs · arrow keys move between tabs
      </footer>
    </div>
  );
}

/** Per engine with a ledger: what it lost and every write it holds, for the Compare export. */
function ledgersForExport(
  lost: Readonly<Record<EngineName, readonly LostWrite[]>>,
  writes: Readonly<Record<EngineName, readonly LedgerWrite[]>>,
): Record<EngineName, { lost: readonly LostWrite[]; writes: readonly LedgerWrite[] }> {
  return Object.fromEntries(
    Object.entries(writes).map(([engine, all]) => [engine, { lost: lost[engine] ?? [], writes: all }]),
  );
}
