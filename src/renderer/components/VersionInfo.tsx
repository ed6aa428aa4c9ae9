import type { EngineName, EngineStatus, EngineVersion } from '@converge/replica';
import { useMemo, useState } from 'react';
import {
  compareVersions,
  describeVersion,
  shortHash,
  type VersionComparison,
  type VersionGap,
} from '../logic/versions.ts';

export interface VersionInfoProps {
  readonly engine: EngineName;
  readonly status: EngineStatus;
  /**
   * Per peer, how the versions compare as resolved where the engine's change graph is (the replica
   * worker; Automerge's heads need it). Peers missing here are compared by their versions alone.
   */
  readonly resolved: Readonly<Record<string, VersionComparison>> | undefined;
}

const RELATION_TEXT: Readonly<Record<VersionComparison['relation'], string>> = {
  equal: 'same version',
  ahead: 'peer is behind',
  behind: 'peer is ahead',
  concurrent: 'both have something new',
  different: 'heads differ',
  unknown: 'version not known yet',
};

/**
 * This engine's version metadata and, per connected peer, what each side has that the other lacks. The
 * body is rendered only while the details are open: it changes with every snapshot while peers type, and
 * five engines' closed tables were React and DOM work on every one of them.
 */
export function VersionInfo({ engine, status, resolved }: VersionInfoProps) {
  const [open, setOpen] = useState(false);
  const described = describeVersion(status.version);
  return (
    <details
      className="version"
      data-testid={`version-${engine}`}
      onToggle={(event) => setOpen(event.currentTarget.open)}
    >
      <summary title={described.technical}>
        What it has: <span className="small">{described.plain}</span>
      </summary>
      {open ? <VersionBody engine={engine} status={status} resolved={resolved} /> : null}
    </details>
  );
}

function VersionBody({ engine, status, resolved }: VersionInfoProps) {
  const comparisons = useMemo(
    () =>
      Object.keys(status.peerVersions)
        .sort()
        .map(
          (peer) =>
            [peer, resolved?.[peer] ?? compareVersions(status.version, status.peerVersions[peer])] as const,
        ),
    [status.version, status.peerVersions, resolved],
  );
  return (
    <div className="version-body">
      <p className="mono small version-full">{full(status.version)}</p>
      {comparisons.length === 0 ? (
        <p className="empty small">
          No peer connected: nothing to compare with. Versions appear once a peer syncs.
        </p>
      ) : (
        <table className="version-table">
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">Relation</th>
              <th scope="col">We have, they lack</th>
              <th scope="col">They have, we lack</th>
            </tr>
          </thead>
          <tbody>
            {comparisons.map(([peer, c]) => (
              <tr key={peer} data-testid={`version-${engine}-${peer}`}>
                <th scope="row">{peer}</th>
                <td>{RELATION_TEXT[c.relation]}</td>
                <td>
                  <Gaps gaps={c.has} />
                </td>
                <td>
                  <Gaps gaps={c.lacks} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="small muted">Peer versions are what each peer advertised in its latest sync handshake.</p>
    </div>
  );
}

function Gaps({ gaps }: { gaps: readonly VersionGap[] }) {
  if (gaps.length === 0) return <span className="muted">nothing</span>;
  return (
    <ul className="gaps">
      {gaps.map((g) => (
        <li key={g.who}>
          <span className="mono">{g.who}</span>: {g.count} ({g.detail})
        </li>
      ))}
    </ul>
  );
}

function full(version: EngineVersion): string {
  if (version.kind === 'heads')
    return version.heads.length === 0 ? 'no heads' : `heads ${version.heads.map(shortHash).join(', ')}`;
  const entries = Object.entries(version.entries);
  return entries.length === 0 ? 'empty vector' : entries.map(([k, n]) => `${k}:${n}`).join('  ');
}
