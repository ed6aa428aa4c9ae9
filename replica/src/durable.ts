/**
 * What `Store.append` (and `ByteLog.append`) may return when the record is already durable as the call
 * returns (a log in memory): one shared, resolved promise the replica recognises, so it acknowledges the
 * write and forwards the intent at once, without a promise, closure or microtask of its own per edit.
 * Any other promise is waited for, as before; a store never has to return it.
 */
export const DURABLE: Promise<void> = Promise.resolve();
