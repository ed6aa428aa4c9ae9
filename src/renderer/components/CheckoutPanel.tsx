/**
 * The Checkout tab: the other half of the oversell lesson. Cart edits are eventual (they work offline and
 * merge); checkout is strong (it needs the room's authority, and says so when it cannot reach it). Each
 * order shows its saga step by step, the compensations among them and the fencing token that wrote them;
 * stock at the authority stands beside each engine's cart and CRDT stock counter, with the oversell a
 * CRDT alone would have allowed. Operator controls (set stock, make the next payment fail, pause the
 * authority) go through the relay's admin API.
 */
import { type ClientView, linesFromCart, OPERATION_CONSISTENCY, type RoomControl } from '@converge/checkout';
import { errorMessage } from '@converge/protocol';
import { type FormEvent, useState } from 'react';
import { counterOversell, type OrderRow, orderRows, stockRows } from '../logic/checkout-view.ts';
import type { CheckoutProxy } from '../worker/replica-client.ts';

export interface EngineCarts {
  readonly name: string;
  readonly label: string;
  readonly cart: Readonly<Record<string, number>>;
  /** The engine's CRDT stock counter, when the workspace has one. */
  readonly stockCounter?: number;
}

export interface CheckoutPanelProps {
  readonly self: string;
  readonly client: CheckoutProxy;
  readonly view: ClientView;
  /** Every engine's cart; the primary engine's is the one checked out. */
  readonly engines: readonly EngineCarts[];
  readonly primary: string;
  control(control: RoomControl): Promise<void>;
  onError(message: string): void;
}

const STATUS_BADGE: Record<OrderRow['status'], string> = {
  sending: 'badge-off',
  'in-progress': 'badge-warn',
  confirmed: 'badge-ok',
  refused: 'badge-bad',
  compensated: 'badge-bad',
};

export function CheckoutPanel({
  self,
  client,
  view,
  engines,
  primary,
  control,
  onError,
}: CheckoutPanelProps) {
  const primaryCart = engines.find((e) => e.name === primary)?.cart ?? {};
  const lines = linesFromCart(primaryCart);
  const rows = orderRows(view, self);
  const stock = stockRows(view.stock, Object.fromEntries(engines.map((e) => [e.label, e.cart])));
  const unavailable = !view.availability.ok ? view.availability.reason : undefined;
  const checkOut = (): void => {
    client.checkout(lines).then(
      (start) => {
        if (start.kind === 'refused') onError(start.reason);
      },
      (error: unknown) => onError(errorMessage(error)),
    );
  };
  return (
    <div className="checkout" data-testid="checkout-panel">
      <section aria-label="Consistency per operation">
        <ul className="consistency-legend small">
          {(['cart.edit', 'counter.stock', 'checkout', 'order.status'] as const).map((op) => (
            <li key={op}>
              <span
                className={`badge ${OPERATION_CONSISTENCY[op].level === 'strong' ? 'badge-warn' : 'badge-ok'}`}
              >
                {OPERATION_CONSISTENCY[op].level}
              </span>{' '}
              <strong>{op}</strong>: {OPERATION_CONSISTENCY[op].needs}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="checkout-cart-title">
        <h3 id="checkout-cart-title">
          Check out this window's cart <span className="tag">strong</span>
        </h3>
        <p className="small">
          {lines.length === 0 ? 'The cart is empty.' : lines.map(([p, q]) => `${q} × ${p}`).join(', ')}
        </p>
        <button
          type="button"
          data-testid="checkout-button"
          disabled={unavailable !== undefined || lines.length === 0}
          title={unavailable}
          onClick={checkOut}
        >
          Check out
        </button>
        {unavailable !== undefined ? (
          <p className="small muted" role="status" data-testid="checkout-unavailable">
            {unavailable}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="checkout-stock-title">
        <h3 id="checkout-stock-title">Stock: the authority beside the CRDTs</h3>
        <table className="small" data-testid="checkout-stock">
          <thead>
            <tr>
              <th scope="col">product</th>
              <th scope="col">
                authority <span className="tag">strong</span>
              </th>
              {engines.map((e) => (
                <th key={e.name} scope="col">
                  {e.label} cart <span className="tag">eventual</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {stock.map((row) => (
              <tr key={row.product} data-testid={`stock-${row.product}`}>
                <th scope="row">{row.product}</th>
                <td>
                  {row.authority === undefined
                    ? 'not stocked'
                    : `${row.authority.available} available · ${row.authority.reserved} reserved · ${row.authority.sold} sold`}
                </td>
                {engines.map((e) => (
                  <td key={e.name}>
                    {row.carts[e.label] ?? 0}
                    {(row.oversell[e.label] ?? 0) > 0 ? (
                      <span className="badge badge-bad">oversell {row.oversell[e.label]}</span>
                    ) : null}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {engines.some((e) => e.stockCounter !== undefined) ? (
          <p className="small" data-testid="crdt-stock-counters">
            CRDT stock counter (eventual, may oversell):{' '}
            {engines
              .filter((e) => e.stockCounter !== undefined)
              .map((e) => {
                const oversold = counterOversell(e.stockCounter ?? 0);
                return `${e.label} ${e.stockCounter}${oversold > 0 ? ` (oversold ${oversold})` : ''}`;
              })
              .join(' · ')}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="checkout-orders-title">
        <h3 id="checkout-orders-title">Orders</h3>
        {rows.length === 0 ? <p className="empty">No orders yet.</p> : null}
        <ol className="orders" data-testid="checkout-orders">
          {rows.map((row) => (
            <li key={`${row.id}-${row.key}`} data-testid={`order-${row.key}`} data-status={row.status}>
              <div>
                <span className={`badge ${STATUS_BADGE[row.status]}`}>{row.status}</span>{' '}
                <strong>{row.mine ? 'mine' : row.replica}</strong> {row.lines}
                {row.amount !== undefined ? ` · ${row.amount}` : ''} · key <code>{row.key}</code> ·{' '}
                <span className="tag">{row.consistency}</span>
                {row.token !== undefined ? <span className="tag">token {row.token}</span> : null}
              </div>
              {row.reason !== undefined ? <div className="small muted">{row.reason}</div> : null}
              {row.steps.length > 0 ? (
                <ol className="saga-steps small">
                  {row.steps.map((step, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: steps are appended, never reordered
                    <li key={index} className={step.compensation ? 'compensation' : undefined}>
                      {step.compensation ? '↩ ' : ''}
                      {step.step}: {step.outcome} (token {step.token})
                      {step.detail !== undefined ? ` — ${step.detail}` : ''}
                    </li>
                  ))}
                </ol>
              ) : null}
            </li>
          ))}
        </ol>
        <p className="small muted">
          Read-your-writes: your checkouts show from the moment they are sent. Monotonic reads:{' '}
          {view.session.staleIgnored} stale updates ignored.
        </p>
      </section>

      <OperatorControls control={control} onError={onError} view={view} />
    </div>
  );
}

function OperatorControls({
  control,
  onError,
  view,
}: {
  control(control: RoomControl): Promise<void>;
  onError(message: string): void;
  view: ClientView;
}) {
  const [product, setProduct] = useState('kiwi');
  const [quantity, setQuantity] = useState('1');
  const send = (body: RoomControl): void => {
    control(body).catch((error: unknown) => onError((error as Error).message));
  };
  const setStock = (event: FormEvent): void => {
    event.preventDefault();
    const amount = Number(quantity);
    if (product.trim() === '' || !Number.isSafeInteger(amount) || amount < 0) {
      onError('stock needs a product and a whole number ≥ 0');
      return;
    }
    send({ stock: { product: product.trim(), quantity: amount } });
  };
  return (
    <section aria-labelledby="checkout-operator-title">
      <h3 id="checkout-operator-title">Authority (operator)</h3>
      <form className="button-row" onSubmit={setStock}>
        <label>
          product{' '}
          <input value={product} onChange={(e) => setProduct(e.target.value)} data-testid="stock-product" />
        </label>
        <label>
          quantity{' '}
          <input
            type="number"
            min={0}
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            data-testid="stock-quantity"
          />
        </label>
        <button type="submit" data-testid="set-stock">
          Set stock
        </button>
      </form>
      <div className="button-row">
        <button type="button" onClick={() => send({ fail: { service: 'payment', calls: 1 } })}>
          Fail next payment
        </button>
        <button type="button" onClick={() => send({ fail: { service: 'shipment', calls: 1 } })}>
          Fail next shipment
        </button>
        <button type="button" onClick={() => send({ pause: 'authority' })}>
          Pause authority
        </button>
        <button type="button" onClick={() => send({ resume: 'authority' })}>
          Resume
        </button>
      </div>
      <p className="small muted">
        Holders:{' '}
        {view.holders.map((h) => `${h.name} (token ${h.token}, ${h.state})`).join(', ') || 'none seen'} ·{' '}
        <span data-testid="fenced-count">{view.fenced.length}</span> stale calls fenced off
      </p>
    </section>
  );
}
