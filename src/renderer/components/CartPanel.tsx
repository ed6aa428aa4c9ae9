import { OPERATION_CONSISTENCY } from '@converge/checkout';
import type { NamedField } from '@converge/replica';
import { type ChangeEvent, type FormEvent, memo, useId, useState } from 'react';
import { checkQuantity, MAX_QUANTITY } from '../logic/input-checks.ts';
import type { ReplicaClient } from '../worker/replica-client.ts';

export interface CartPanelProps {
  readonly model: ReplicaClient;
  /** The cart field shown (the workspace may have several). */
  readonly field: NamedField;
  readonly cart: Readonly<Record<string, number>>;
}

const SUGGESTIONS = ['apple', 'bread', 'milk', 'coffee'];

/** A number input's text and the browser's verdict on it (its value is '' when the text is no number). */
interface QuantityDraft {
  readonly text: string;
  readonly badInput: boolean;
}

/** A number field for a cart quantity; `errorId` names the message next to it while there is one. */
function QuantityInput({
  id,
  draft,
  onDraft,
  errorId,
  className,
  autoFocus = false,
  testId,
}: {
  id: string;
  draft: QuantityDraft;
  onDraft(draft: QuantityDraft): void;
  errorId: string | undefined;
  className?: string;
  autoFocus?: boolean;
  testId: string;
}) {
  return (
    <input
      id={id}
      type="number"
      min={1}
      max={MAX_QUANTITY}
      step={1}
      value={draft.text}
      // biome-ignore lint/a11y/noAutofocus: the Set… form opens on request, to type a number at once
      autoFocus={autoFocus}
      onChange={(e: ChangeEvent<HTMLInputElement>) =>
        onDraft({ text: e.target.value, badInput: e.target.validity.badInput })
      }
      aria-invalid={errorId !== undefined}
      aria-describedby={errorId}
      className={className}
      data-testid={testId}
    />
  );
}

/**
 * The cart. "−" and "+" are steps (one less, one more): each engine merges them as a counter where it
 * has one. Setting a quantity is a separate action, "Set…", because engines merge an absolute number
 * differently (the Compare tab lists how).
 */
export const CartPanel = memo(function CartPanel({ model, field, cart }: CartPanelProps) {
  const id = field.name;
  const [product, setProduct] = useState('');
  const [qty, setQty] = useState<QuantityDraft>({ text: '1', badInput: false });
  const [error, setError] = useState<string | undefined>(undefined);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const errorId = useId();
  const qtyId = useId();
  const lines = Object.entries(cart).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const add = (name: string, amount: number): void => {
    const trimmed = name.trim();
    if (trimmed === '') return;
    void model.applyEdit({ kind: 'cart', field: id, action: 'add', product: trimmed, qty: amount });
  };
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = checkQuantity(qty.text, qty.badInput);
    if (!checked.ok) {
      setError(checked.message);
      return;
    }
    add(product, checked.value);
    setProduct('');
    setQty({ text: '1', badInput: false });
    setError(undefined);
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel-head">
        <h2 id={`${id}-title`}>
          {field.label}{' '}
          <span className="tag" title={OPERATION_CONSISTENCY['cart.edit'].needs}>
            {OPERATION_CONSISTENCY['cart.edit'].level} · works offline
          </span>
        </h2>
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
              data-testid={`${id}-line-${name}`}
            >
              <span className="cart-name">{name}</span>
              <span
                className="cart-qty"
                data-testid={`${id}-qty-${name}`}
                title={quantity <= 0 ? 'oversold: quantity at or below zero' : undefined}
              >
                {quantity}
              </span>
              <span className="cart-actions">
                <button
                  type="button"
                  className="icon"
                  aria-label={`One ${name} less`}
                  title={quantity <= 1 ? 'Remove takes the last one out' : `One ${name} less`}
                  disabled={quantity <= 1}
                  onClick={() =>
                    void model.applyEdit({
                      kind: 'cart',
                      field: id,
                      action: 'decrement',
                      product: name,
                      qty: 1,
                    })
                  }
                  data-testid={`${id}-dec-${name}`}
                >
                  −
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`One ${name} more`}
                  title={`One ${name} more`}
                  onClick={() => add(name, 1)}
                  data-testid={`${id}-inc-${name}`}
                >
                  +
                </button>
                <button
                  type="button"
                  className="link"
                  aria-label={`Set the ${name} quantity`}
                  aria-expanded={editing === name}
                  onClick={() => setEditing(editing === name ? undefined : name)}
                  data-testid={`${id}-set-${name}`}
                >
                  Set…
                </button>
                <button
                  type="button"
                  className="link danger"
                  aria-label={`Remove ${name}`}
                  onClick={() =>
                    void model.applyEdit({ kind: 'cart', field: id, action: 'remove', product: name })
                  }
                >
                  Remove
                </button>
              </span>
              {editing === name ? (
                <SetQuantity
                  field={id}
                  product={name}
                  current={quantity}
                  onSet={(value) => {
                    void model.applyEdit({
                      kind: 'cart',
                      field: id,
                      action: 'setQuantity',
                      product: name,
                      qty: value,
                    });
                    setEditing(undefined);
                  }}
                  onCancel={() => setEditing(undefined)}
                />
              ) : null}
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
      <form className="inline-form" onSubmit={onSubmit} noValidate>
        <label className="field">
          <span>Product</span>
          <input
            value={product}
            onChange={(e) => setProduct(e.target.value)}
            maxLength={field.kind === 'cart' ? field.maxProductLength : undefined}
            placeholder="e.g. pears"
            data-testid={`${id}-product`}
          />
        </label>
        <label className="field narrow" htmlFor={qtyId}>
          <span>Qty</span>
          <QuantityInput
            id={qtyId}
            draft={qty}
            onDraft={(draft) => {
              setQty(draft);
              setError(undefined);
            }}
            errorId={error !== undefined ? errorId : undefined}
            testId={`${id}-qty-input`}
          />
        </label>
        <button type="submit" disabled={product.trim() === ''} data-testid={`${id}-add`}>
          Add
        </button>
        {error !== undefined ? (
          <p className="field-error" id={errorId} role="alert" data-testid={`${id}-qty-error`}>
            {error}
          </p>
        ) : null}
      </form>
    </section>
  );
});

/** The "Set…" form of one line: an absolute quantity, checked like the Add form's. */
function SetQuantity({
  field,
  product,
  current,
  onSet,
  onCancel,
}: {
  field: string;
  product: string;
  current: number;
  onSet(value: number): void;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState<QuantityDraft>({ text: String(Math.max(1, current)), badInput: false });
  const [error, setError] = useState<string | undefined>(undefined);
  const errorId = useId();
  const inputId = useId();
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    const checked = checkQuantity(draft.text, draft.badInput);
    if (!checked.ok) {
      setError(
        draft.text.trim() === '0' ? `0 would take ${product} out of the cart: use Remove.` : checked.message,
      );
      return;
    }
    onSet(checked.value);
  };
  return (
    <form
      className="set-quantity"
      onSubmit={onSubmit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
      noValidate
      aria-label={`Set the ${product} quantity`}
    >
      <label className="field-inline small" htmlFor={inputId}>
        <span>Set {product} to</span>
        <QuantityInput
          id={inputId}
          draft={draft}
          onDraft={(next) => {
            setDraft(next);
            setError(undefined);
          }}
          errorId={error !== undefined ? errorId : undefined}
          className="set-quantity-input"
          autoFocus
          testId={`${field}-set-input`}
        />
      </label>
      <button type="submit" data-testid={`${field}-set-apply`}>
        Set quantity
      </button>
      <button type="button" className="link" onClick={onCancel}>
        Cancel
      </button>
      <span className="small muted">an absolute number: engines merge it differently from − and +</span>
      {error !== undefined ? (
        <p className="field-error" id={errorId} role="alert" data-testid={`${field}-set-error`}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
