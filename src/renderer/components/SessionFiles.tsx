import { errorMessage } from '@converge/protocol';
import { type ChangeEvent, useRef, useState } from 'react';
import { downloadJson } from '../logic/download.ts';
import type { NetworkStore } from '../logic/network-store.ts';
import type { ReplayChannel } from '../logic/replay-channel.ts';
import {
  defaultRole,
  describeStep,
  parseScenarioText,
  planReplay,
  type ReplayOutcome,
  replay,
  type Scenario,
} from '../logic/scenario-session.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';
import { ReplayAcrossWindows } from './ReplayAcrossWindows.tsx';
import { StopButton } from './StopButton.tsx';

export interface SessionFilesProps {
  readonly model: ReplicaClient;
  readonly network: NetworkStore;
  readonly replayChannel: ReplayChannel | undefined;
  readonly room: string;
  readonly recordedSteps: number;
  /** Actions the recorder could not express in the scenario format. */
  readonly omittedActions: readonly string[];
}

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const PAUSE_MS = 150;

/**
 * Export this window's session as a scenario file, and replay one: across the room's windows (one per
 * replica of the file, as the scenario runner plays it), or the steps of the one replica this window
 * plays (its edits, offline/online and skew, the others listed as skipped).
 */
export function SessionFiles({
  model,
  network,
  replayChannel,
  room,
  recordedSteps,
  omittedActions,
}: SessionFilesProps) {
  return (
    <div className="session">
      <Export model={model} room={room} recordedSteps={recordedSteps} omittedActions={omittedActions} />
      <Import model={model} network={network} replayChannel={replayChannel} />
    </div>
  );
}

function Export({
  model,
  room,
  recordedSteps,
  omittedActions: omitted,
}: Pick<SessionFilesProps, 'model' | 'room' | 'recordedSteps' | 'omittedActions'>) {
  const [message, setMessage] = useState<string | undefined>(undefined);
  const onExport = async (): Promise<void> => {
    try {
      const name = `Session in room ${room}, exported from ${model.id}, ${new Date().toISOString()}`;
      const file = await model.toScenario(name);
      downloadJson(`converge-session-${model.id}.json`, file);
      setMessage(
        `Exported ${file.steps.length} steps${file.start !== undefined ? ', starting from the room as it was when the recording began' : ''}. ` +
          'Replay it with npm run scenario -- FILE for the same result.',
      );
    } catch (error) {
      setMessage(`Export failed: ${errorMessage(error)}`);
    }
  };
  return (
    <section className="subpanel" aria-labelledby="export-title">
      <h3 id="export-title">Export this session</h3>
      <p className="small muted">
        A scenario file (the format of <span className="mono">scenarios/</span>) with what was done in this
        room's windows of this app since the recording began: edits (typing coalesced), Offline, clock skew,
        partition presets and chaos, and the room's state at the start, so the scenario runner replays it to
        the same result. {recordedSteps} step{recordedSteps === 1 ? '' : 's'} recorded so far.
      </p>
      <div className="button-row">
        <button
          type="button"
          onClick={() => void onExport()}
          disabled={recordedSteps === 0}
          data-testid="export-session"
        >
          Export scenario…
        </button>
        {recordedSteps === 0 ? (
          <span className="muted small">Edit something first: there is nothing to export yet.</span>
        ) : null}
      </div>
      {omitted.length > 0 ? (
        <p className="small warn-text">
          Not expressible in the format, left out: {omitted.slice(-5).join('; ')}
          {omitted.length > 5 ? ` and ${omitted.length - 5} more` : ''}.
        </p>
      ) : null}
      {message !== undefined ? (
        <p className="small" role="status">
          {message}
        </p>
      ) : null}
    </section>
  );
}

function Import({
  model,
  network,
  replayChannel,
}: Pick<SessionFilesProps, 'model' | 'network' | 'replayChannel'>) {
  const [scenario, setScenario] = useState<Scenario | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [playing, setPlaying] = useState<string>('');
  const [outcomes, setOutcomes] = useState<readonly ReplayOutcome[]>([]);
  const [running, setRunning] = useState(false);
  const stop = useRef(false);

  const onFile = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    event.target.value = '';
    setOutcomes([]);
    if (file === undefined) return;
    try {
      if (file.size > MAX_FILE_BYTES)
        throw new Error(`the file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      const parsed = parseScenarioText(await file.text());
      setScenario(parsed);
      setPlaying(defaultRole(parsed, model.id));
      setError(undefined);
    } catch (e) {
      setScenario(undefined);
      setError(errorMessage(e));
    }
  };

  const plan = scenario !== undefined && playing !== '' ? planReplay(scenario, playing) : undefined;

  const run = async (): Promise<void> => {
    if (plan === undefined) return;
    stop.current = false;
    setRunning(true);
    setOutcomes([]);
    await replay(plan, model, {
      pauseMs: PAUSE_MS,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      onOutcome: (outcome) => setOutcomes((list) => [...list, outcome]),
      shouldStop: () => stop.current,
    });
    setRunning(false);
  };

  const failed = outcomes.filter((o) => !o.ok).length;
  return (
    <section className="subpanel" aria-labelledby="import-title">
      <h3 id="import-title">Replay a scenario</h3>
      <p className="small muted">
        A scenario file: one of scenarios/, a minimal one the explorer found (npm run scenario -- --explore),
        or an export. Replay it across this room's windows, or in this window alone: the steps of one of its
        replicas (its edits, Offline/online and clock skew, in order; the other steps are listed as skipped).
      </p>
      <label className="field">
        <span>Scenario file (.json)</span>
        <input
          type="file"
          accept=".json,application/json"
          onChange={(e) => void onFile(e)}
          data-testid="import-session"
        />
      </label>
      {error !== undefined ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {scenario !== undefined && plan !== undefined ? (
        <div className="replay">
          <p>
            <strong>{scenario.name}</strong> · replicas {scenario.replicas.join(', ')} ·{' '}
            {scenario.steps.length} steps
          </p>
          {scenario.description !== undefined ? (
            <p className="small" data-testid="replay-description">
              {scenario.description}
            </p>
          ) : null}
          {plan.carriesStart ? (
            <p className="small warn-text" data-testid="replay-start-note">
              This file starts from a recorded room state, which a live room cannot be reset to: edits are
              replayed on this room as it is. The scenario runner replays the file exactly.
            </p>
          ) : null}
          <ReplayAcrossWindows scenario={scenario} model={model} network={network} channel={replayChannel} />
          <p className="small muted">Or replay one replica's steps in this window:</p>
          <div className="button-row">
            <label className="field-inline">
              <span>Play as</span>
              <select
                value={playing}
                onChange={(e) => setPlaying(e.target.value)}
                disabled={running}
                data-testid="replay-role"
              >
                {scenario.replicas.map((id) => (
                  <option key={id} value={id}>
                    {id}
                    {id === model.id ? ' (this replica)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              onClick={() => void run()}
              disabled={running || plan.actions.length === 0}
              data-testid="replay-run"
            >
              Replay {plan.actions.length} step{plan.actions.length === 1 ? '' : 's'}
            </button>
            <StopButton
              running={running}
              onStop={() => {
                stop.current = true;
              }}
            />
          </div>
          {outcomes.length > 0 ? (
            <p className="small" role="status" data-testid="replay-status">
              {running ? 'Replaying… ' : 'Replayed: '}
              {outcomes.length - failed} of {plan.actions.length} applied
              {failed > 0 ? `, ${failed} refused (see the notices)` : ''}.
            </p>
          ) : null}
          {plan.skipped.length > 0 ? (
            <details>
              <summary>{plan.skipped.length} steps skipped</summary>
              <ol className="skipped small">
                {plan.skipped.map((s) => (
                  <li key={s.index}>
                    step {s.index + 1}: <span className="mono">{describeStep(s.step)}</span> — {s.reason}
                  </li>
                ))}
              </ol>
            </details>
          ) : null}
        </div>
      ) : (
        <p className="empty small">
          No file loaded. Scenario files live in scenarios/*.json, or export one above.
        </p>
      )}
    </section>
  );
}
