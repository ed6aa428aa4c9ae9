import { errorMessage, realTimers, STORAGE_NODE_ID } from '@converge/protocol';
import type { Scenario } from '@converge/scenarios/format';
import { useRef, useState } from 'react';
import type { NetworkStore } from '../logic/network-store.ts';
import { type ReplayChannel, ReplayClient } from '../logic/replay-channel.ts';
import { castWindows, conduct, conductorTarget } from '../logic/replay-conductor.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';
import { StopButton } from './StopButton.tsx';

export interface ReplayAcrossWindowsProps {
  readonly scenario: Scenario;
  readonly model: ReplicaClient;
  readonly network: NetworkStore;
  /** The room's replay channel (undefined where the platform has no BroadcastChannel). */
  readonly channel: ReplayChannel | undefined;
}

/** How long the room's windows get to say they are there. */
const DISCOVER_MS = 400;

type Status =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly cast: string; readonly step: number }
  | { readonly kind: 'done'; readonly text: string }
  | { readonly kind: 'failed'; readonly text: string };

/**
 * Replay the whole file: each of its replicas played by one window of this room (this one plays the
 * first), partitions and syncs as the scenario runner's simulation has them (replay-conductor.ts).
 */
export function ReplayAcrossWindows({ scenario, model, network, channel }: ReplayAcrossWindowsProps) {
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const stop = useRef(false);
  const total = scenario.steps.length;

  const run = async (): Promise<void> => {
    if (channel === undefined) return;
    stop.current = false;
    const client = new ReplayClient(model.windowActions(), channel, realTimers);
    try {
      const windows = await client.discover(DISCOVER_MS);
      const cast = castWindows(scenario, windows);
      const castText = [...cast].map(([replica, window]) => `${replica} → ${window}`).join(', ');
      setStatus({ kind: 'running', cast: castText, step: 0 });
      const nodes = (): string[] => network.getSnapshot().room?.nodes.map((n) => n.id) ?? [];
      const target = conductorTarget(client, {
        links: (operation) => network.links(operation),
        chaos: (config) => network.chaos(config),
        nodes,
        error: () => network.getSnapshot().error,
      });
      const outcome = await conduct(scenario, cast, target, {
        storagePeer: nodes().includes(STORAGE_NODE_ID),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: Date.now,
        onStep: (step) => setStatus({ kind: 'running', cast: castText, step }),
        shouldStop: () => stop.current,
      });
      const notes = [
        outcome.refused.length > 0 ? `${outcome.refused.length} edits refused (see the notices)` : '',
        outcome.skipped.length > 0 ? `${outcome.skipped.length} restarts skipped` : '',
      ].filter(Boolean);
      setStatus({
        kind: 'done',
        text: `${outcome.stopped ? 'Stopped' : 'Replayed'} across ${cast.size} windows (${castText})${notes.length > 0 ? `: ${notes.join(', ')}` : ''}. Compare the engines in each window.`,
      });
    } catch (error) {
      setStatus({ kind: 'failed', text: `Replay across windows failed: ${errorMessage(error)}` });
    } finally {
      client.close();
    }
  };

  const running = status.kind === 'running';
  return (
    <div className="replay-windows">
      <p className="small muted">
        Or replay the whole file across this room's windows, one window per replica (this one plays{' '}
        {scenario.replicas[0]}), as the scenario runner does: the relay keeps the windows apart between the
        file's syncs, so edits made there are concurrent, and partitions and syncs follow the file.
      </p>
      <div className="button-row">
        <button
          type="button"
          onClick={() => void run()}
          disabled={running || channel === undefined}
          data-testid="replay-across-windows"
        >
          Replay across {scenario.replicas.length} window{scenario.replicas.length === 1 ? '' : 's'}
        </button>
        <StopButton
          running={running}
          onStop={() => {
            stop.current = true;
          }}
        />
      </div>
      {status.kind === 'running' ? (
        <p className="small" role="status" data-testid="replay-windows-status">
          Replaying ({status.cast}):{' '}
          {status.step < total ? `step ${status.step + 1} of ${total}` : 'final sync'}…
        </p>
      ) : status.kind === 'done' ? (
        <p className="small" role="status" data-testid="replay-windows-status">
          {status.text}
        </p>
      ) : status.kind === 'failed' ? (
        <p className="error-text" role="alert" data-testid="replay-windows-status">
          {status.text}
        </p>
      ) : null}
    </div>
  );
}
