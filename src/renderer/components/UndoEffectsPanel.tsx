import type { EngineFacts } from '@converge/replica/descriptors';
import type { UndoEffects } from '../logic/undo-effects.ts';

const MAX_SHOWN = 60;

/** What this window's last undo (or redo) did in each engine, with the paths where they differ marked. */
export function UndoEffectsPanel({
  effects,
  engines,
}: {
  effects: UndoEffects;
  engines: readonly EngineFacts[];
}) {
  const differing = effects.rows.filter((row) => row.differs).length;
  return (
    <section
      className="undo-effects"
      aria-label={`What your last ${effects.op} did`}
      data-testid="undo-effects"
    >
      <h3>
        Your last {effects.op}{' '}
        {differing > 0 ? (
          <span className="badge badge-warn" data-testid="undo-differs">
            engines differ on {differing} {differing === 1 ? 'value' : 'values'}
          </span>
        ) : (
          <span className="badge badge-ok">the same in every engine</span>
        )}
      </h3>
      {effects.rows.length === 0 ? (
        <p className="muted small">It changed nothing any engine shows.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">value</th>
              {engines.map((e) => (
                <th scope="col" key={e.name}>
                  {e.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {effects.rows.map((row) => (
              <tr
                key={row.path}
                className={row.differs ? 'differs' : undefined}
                data-testid={`undo-effect-${row.path}`}
              >
                <th scope="row">{row.path}</th>
                {engines.map((e) => {
                  const effect = row.byEngine[e.name];
                  return (
                    <td key={e.name} className="small">
                      {effect === undefined
                        ? 'unchanged'
                        : `${shorten(effect.before)} → ${shorten(effect.after)}`}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function shorten(json: string): string {
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 1)}…` : json;
}
