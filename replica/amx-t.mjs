import * as A from '@automerge/automerge';
let a = A.from({ text: 'hello' }, { actor: 'aa' });
a = A.change(a, d => A.splice(d, ['text'], 1, 0, 'y'));
const c = A.getLastLocalChange(a);
const since = A.getChangesSince(a, []);
for (const x of [c, ...since]) { try { console.log('ok', A.decodeChange(x).hash.slice(0, 8), x.length); } catch (e) { console.log('fail', e.message, x.length, x[8]); } }
console.log(A.getHeads(a).map(h => h.slice(0, 8)));
