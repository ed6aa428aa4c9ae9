import { type FormEvent, memo, useState } from 'react';
import type { AppModel } from '../logic/app-model.ts';

export interface CartPanelProps {
  readonly model: AppModel;
  readonly cart: Readonly<Record<string, number>>;
}

const SUGGESTIONS = ['apple', 'bread', 'milk', 'coffee'];

export const CartPanel = memo(function CartPanel({ model, cart }: CartPanelProps) {
  const [product, setProduct] = useState('');
  const [qty, setQty] = useState(1);
  const lines = Object.entries(cart).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const add = (name: string, amount: number): void => {
    const trimmed = name.trim();
    if (trimmed === '') return;
    void model.apply({ op: 'cart.add', product: trimmed, qty: amount });
  };
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    add(product, qty);
    setProduct('');
    setQty(1);
  };

  return (
    <section className="panel" aria-labelledby="cart-title">
      <div className="panel-head">
        <h2 id="cart-title">Cart</h2>
        <span className="muted small">{lines.length === 0 ? 'empty' : `${lines.length} products`}</span>
      </div>
      {lines.length === 0 ? (
        <p className="empty">The cart is empty. Add a product below, or pick one: </p>
      ) : (
        <ul className="cart-lines">
          {lines.map(([name, quantity]) => (
            <li
              key={name}
              className={quantity <= 0 ? 'cart-line oversold' : 'cart-line'}
              data-testid={`cart-line-${name}`}
            >
              <span className="cart-name">{name}</span>
              <span
                className="cart-qty"
                data-testid={`cart-qty-${name}`}
                title={quantity <= 0 ? 'oversold: quantity at or below zero' : undefined}
              >
                {quantity}
              </span>
              <span className="cart-actions">
                <button
                  type="button"
                  className="icon"
                  aria-label={`One ${name} less`}
                  disabled={quantity <= 0}
                  onClick={() =>
                    void model.apply({
                      op: 'cart.setQuantity',
                      product: name,
                      qty: Math.max(0, quantity - 1),
                    })
                  }
                >
                  −
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`One ${name} more`}
                  onClick={() => add(name, 1)}
                >
                  +
                </button>
                <button
                  type="button"
                  className="link danger"
                  aria-label={`Remove ${name}`}
                  onClick={() => void model.apply({ op: 'cart.remove', product: name })}
                >
                  Remove
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <div className="suggestions">
        {SUGGESTIONS.filter((s) => !(s in cart)).map((name) => (
          <button key={name} type="button" className="chip" onClick={() => add(name, 1)}>
            + {name}
          </button>
        ))}
      </div>
      <form className="inline-form" onSubmit={onSubmit}>
        <label className="field">
          <span>Product</span>
          <input
            value={product}
            onChange={(e) => setProduct(e.target.value)}
            maxLength={100}
            placeholder="e.g. pears"
            data-testid="cart-product"
          />
        </label>
        <label className="field narrow">
          <span>Qty</span>
          <input
            type="number"
            min={1}
            max={999}
            value={qty}
            onChange={(e) => setQty(Math.max(1, Math.min(999, Math.trunc(Number(e.target.value)) || 1)))}
            data-testid="cart-qty-input"
          />
        </label>
        <button type="submit" disabled={product.trim() === ''} data-testid="cart-add">
          Add
        </button>
      </form>
    </section>
  );
});
