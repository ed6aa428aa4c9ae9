import { useEffect, useState } from 'react';
import { useNetwork } from '../hooks.ts';
import type { EngineCatalog } from '../logic/engine-catalog.ts';
import { formatBytes } from '../logic/format.ts';
import {
  type ChaosSliders,
  describeSplit,
  HEAL_ALL,
  indirectPairs,
  isNoChaos,
  isolatePreset,
  type LinkCell,
  linkMatrix,
  roomTraffic,
  STORAGE_SIDES,
  type StorageSide,
  scenarioChaosOf,
  slidersOf,
  splitInHalvesPreset,
  toggleLink,
} from '../logic/network.ts';
import type { NetworkSnapshot, NetworkStore } from '../logic/network-store.ts';
import type { LinkOperation, RoomInfo } from '../logic/relay-admin.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';

export interface NetworkPanelProps {
  readonly self: string;
  /** Followed here, not by the window: its traffic counters change every second while anyone types. */
  readonly store: NetworkStore;
  readonly model: ReplicaClient;
}

export function NetworkPanel({ self, store, model }: NetworkPanelProps) {
  const network = useNetwork(store);
  const { room } = network;
  return (
    <div className="network">
      <p className="small muted">
        The relay's view of room nodes. Each cell is a <em>directed</em> link (row sends to column): click it
        to cut or heal it. A peer is reachable only while both directions are up.{' '}
        {network.streamConnected ? (
          <span className="ok-text">Live.</span>
        ) : (
          <span className="warn-text">Event stream down; polling.</span>
        )}
      </p>
      {network.error !== undefined ? (
        <p className="error-text" role="alert">
          {network.error}
        </p>
      ) : null}
      {room === undefined ? (
        <p className="empty">Asking the relay for the room…</p>
      ) : room === null ? (
        <p className="empty">
          The relay has no room yet. It appears once this replica connects (is Offline on?).
        </p>
      ) : (
        <>
          <Matrix
            room={room}
            self={self}
            busy={network.busy}
            onToggle={(cell) => toggle(cell, store, model, room)}
          />
          <Presets room={room} self={self} store={store} model={model} busy={network.busy} />
          <Chaos room={room} store={store} model={model} busy={network.busy} />
        </>
      )}
      <Traffic network={network} engines={model.registry} />
    </div>
  );
}

function toggle(cell: LinkCell, store: NetworkStore, model: ReplicaClient, room: RoomInfo): void {
  send(toggleLink(cell), store, model, room);
}

/** Send a link operation to the relay and record it for the session export. */
function send(operation: LinkOperation, store: NetworkStore, model: ReplicaClient, room: RoomInfo): void {
  model.recordLinks(operation, room.nodes);
  void store.links(operation);
}

function Matrix({
  room,
  self,
  busy,
  onToggle,
}: {
  room: RoomInfo;
  self: string;
  busy: boolean;
  onToggle(cell: LinkCell): void;
}) {
  const matrix = linkMatrix(room, self);
  if (matrix.nodes.length < 2) {
    return (
      <p className="empty">
        Only this replica is in the room. Open another replica (New replica, Alt+N) to get links to cut.
      </p>
    );
  }
  const indirect = indirectPairs(matrix);
  return (
    <>
      <table className="matrix" data-testid="link-matrix">
        <caption className="visually-hidden">Links between the room's nodes, row → column</caption>
        <thead>
          <tr>
            <th scope="col">from \ to</th>
            {matrix.nodes.map((n) => (
              <th key={n.id} scope="col" className={n.self ? 'self' : undefined} title={n.role}>
                {n.id}
                {n.role !== 'replica' ? <span className="role"> {n.role}</span> : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.rows.map((row, i) => {
            const from = matrix.nodes[i]!;
            return (
              <tr key={from.id}>
                <th scope="row" className={from.self ? 'self' : undefined}>
                  {from.id}
                  {from.self ? <span className="role"> (me)</span> : null}
                </th>
                {row.map((cell, j) =>
                  cell === undefined ? (
                    <td key={matrix.nodes[j]!.id} className="diagonal" aria-hidden="true" />
                  ) : (
                    <td key={cell.to}>
                      <button
                        type="button"
                        className={`link-cell ${cell.up ? 'up' : 'cut'}${cell.via !== undefined ? ' routed' : ''}`}
                        aria-pressed={!cell.up}
                        aria-label={`Link ${cell.from} to ${cell.to} is ${cell.up ? 'up' : 'cut'}${cell.via !== undefined ? `, but ${cell.from} still reaches ${cell.to} through ${cell.via.join(', ')}` : ''}; ${cell.up ? 'cut' : 'heal'} it`}
                        title={
                          cell.via !== undefined
                            ? `${cell.from} and ${cell.to} still sync through ${cell.via.join(' → ')}`
                            : undefined
                        }
                        disabled={busy}
                        onClick={() => onToggle(cell)}
                        data-testid={`link-cell-${cell.from}-${cell.to}`}
                      >
                        {cell.up ? 'up' : 'cut'}
                        {cell.via !== undefined ? (
                          <span className="via"> via {cell.via.join(' → ')}</span>
                        ) : null}
                      </button>
                    </td>
                  ),
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {indirect.length > 0 ? (
        <p className="small warn-text" data-testid="indirect-routes">
          Not separated:{' '}
          {indirect.map((p) => `${p.a} and ${p.b} still sync through ${p.via.join(' → ')}`).join('; ')}. Cut
          those links too, or isolate a window, to keep their edits apart.
        </p>
      ) : null}
    </>
  );
}

const STORAGE_SIDE_LABELS: Readonly<Record<StorageSide, string>> = {
  alone: 'alone',
  mine: 'with my half',
  theirs: 'with the other half',
  everywhere: 'with both halves (bridges them)',
};

function Presets({
  room,
  self,
  store,
  model,
  busy,
}: {
  room: RoomInfo;
  self: string;
  store: NetworkStore;
  model: ReplicaClient;
  busy: boolean;
}) {
  const [storageSide, setStorageSide] = useState<StorageSide>('alone');
  const split = splitInHalvesPreset(room, self, storageSide);
  const others = room.nodes.map((n) => n.id).filter((id) => id !== self);
  const hasStorage = room.nodes.some((n) => n.role === 'storage');
  return (
    <fieldset className="button-row plain">
      <legend className="visually-hidden">Partition presets</legend>
      <button
        type="button"
        disabled={busy || others.length === 0}
        onClick={() => send(isolatePreset(self), store, model, room)}
        title="Cut every link of this window, the storage peer's too: nothing reaches it, directly or through others"
        data-testid="preset-isolate"
      >
        {hasStorage ? 'Isolate me (storage too)' : 'Isolate me'}
      </button>
      <button
        type="button"
        disabled={busy || split === undefined}
        onClick={() => {
          if (split !== undefined) send(split, store, model, room);
        }}
        data-testid="preset-split"
        title={split !== undefined ? describeSplit(split) : 'needs at least two windows'}
      >
        Split windows in halves
      </button>
      {hasStorage ? (
        <label className="field-inline small">
          <span>storage peer</span>
          <select
            value={storageSide}
            onChange={(e) => setStorageSide(e.target.value as StorageSide)}
            disabled={busy}
            data-testid="preset-split-storage"
          >
            {STORAGE_SIDES.map((side) => (
              <option key={side} value={side}>
                {STORAGE_SIDE_LABELS[side]}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <button
        type="button"
        disabled={busy || room.cut.length === 0}
        onClick={() => send(HEAL_ALL, store, model, room)}
        data-testid="preset-heal"
      >
        Heal all
      </button>
      <span className="muted small" data-testid="preset-split-plan">
        {split !== undefined ? `Split: ${describeSplit(split)}. ` : ''}
        {room.cut.length === 0
          ? 'No link is cut.'
          : `${room.cut.length} directed link${room.cut.length === 1 ? '' : 's'} cut.`}
      </span>
    </fieldset>
  );
}

function Chaos({
  room,
  store,
  model,
  busy,
}: {
  room: RoomInfo;
  store: NetworkStore;
  model: ReplicaClient;
  busy: boolean;
}) {
  const current = slidersOf(room.chaos.room);
  const [draft, setDraft] = useState<ChaosSliders>(current);
  const key = JSON.stringify(current);
  // When the relay's chaos changes (from any window), show it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `current`'s content
  useEffect(() => setDraft(current), [key]);
  const set = (patch: Partial<ChaosSliders>): void => setDraft((d) => ({ ...d, ...patch }));
  const apply = (sliders: ChaosSliders): void => {
    model.recordChaos(scenarioChaosOf(sliders));
    void store.chaos(isNoChaos(sliders) ? null : { ...sliders, jitterMs: 0 });
  };
  const dirty = JSON.stringify(draft) !== key;
  const linkChaos = room.chaos.links.length;
  return (
    <fieldset className="chaos">
      <legend>Chaos (every link of the room, seeded)</legend>
      <Slider
        label="Delay"
        unit="ms"
        min={0}
        max={2000}
        step={10}
        value={draft.delayMs}
        onChange={(v) => set({ delayMs: v })}
        testId="chaos-delay"
      />
      <Slider
        label="Drop"
        unit="%"
        min={0}
        max={90}
        step={1}
        value={Math.round(draft.dropRate * 100)}
        onChange={(v) => set({ dropRate: v / 100 })}
        testId="chaos-drop"
      />
      <Slider
        label="Duplicate"
        unit="%"
        min={0}
        max={90}
        step={1}
        value={Math.round(draft.duplicateRate * 100)}
        onChange={(v) => set({ duplicateRate: v / 100 })}
        testId="chaos-duplicate"
      />
      <Slider
        label="Reorder window"
        unit="frames"
        min={1}
        max={16}
        step={1}
        value={draft.reorderWindow}
        onChange={(v) => set({ reorderWindow: v })}
        testId="chaos-reorder"
        format={(v) => (v <= 1 ? 'in order' : `${v} frames`)}
      />
      <label className="field narrow">
        <span>Seed</span>
        <input
          type="number"
          min={0}
          max={4294967295}
          value={draft.seed}
          onChange={(e) =>
            set({ seed: Math.max(0, Math.min(4294967295, Math.trunc(Number(e.target.value)) || 0)) })
          }
          data-testid="chaos-seed"
        />
      </label>
      <div className="button-row">
        <button
          type="button"
          disabled={busy || !dirty}
          onClick={() => apply(draft)}
          data-testid="chaos-apply"
        >
          Apply chaos
        </button>
        <button
          type="button"
          className="secondary"
          disabled={busy || isNoChaos(current)}
          onClick={() => {
            const none = { ...draft, delayMs: 0, dropRate: 0, duplicateRate: 0, reorderWindow: 1 };
            setDraft(none);
            apply(none);
          }}
          data-testid="chaos-clear"
        >
          No chaos
        </button>
        <span className="muted small">
          {isNoChaos(current) ? 'none active' : 'active'}
          {linkChaos > 0 ? ` · ${linkChaos} link-specific setting${linkChaos === 1 ? '' : 's'}` : ''}
        </span>
      </div>
    </fieldset>
  );
}

interface SliderProps {
  readonly label: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly value: number;
  readonly testId: string;
  readonly format?: (value: number) => string;
  onChange(value: number): void;
}

function Slider({ label, unit, min, max, step, value, onChange, testId, format }: SliderProps) {
  return (
    <label className="slider">
      <span>{label}</span>
      <input
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        data-testid={testId}
      />
      <output className="mono">{format !== undefined ? format(value) : `${value} ${unit}`}</output>
    </label>
  );
}

function Traffic({ network, engines }: { network: NetworkSnapshot; engines: EngineCatalog }) {
  const total = roomTraffic(engines, network.traffic.values());
  const dropped = Object.entries(total.dropped).filter(([, n]) => n > 0);
  return (
    <div className="traffic">
      <h3>Relay traffic in this room</h3>
      <table className="small-table" data-testid="relay-traffic">
        <thead>
          <tr>
            <th scope="col">Engine</th>
            <th scope="col">Frames</th>
            <th scope="col">Bytes</th>
          </tr>
        </thead>
        <tbody>
          {engines.descriptors.map(({ name, label }) => (
            <tr key={name}>
              <th scope="row">{label}</th>
              <td className="mono">{total.engines[name]?.frames ?? 0}</td>
              <td className="mono">{formatBytes(total.engines[name]?.bytes ?? 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">
        {dropped.length === 0
          ? 'Nothing dropped.'
          : `Dropped: ${dropped.map(([why, n]) => `${n} (${why})`).join(', ')}.`}{' '}
        {total.duplicated > 0 ? `Duplicated: ${total.duplicated}.` : ''}
      </p>
    </div>
  );
}
