// Prints crypto-condition test vectors made by crypto-conditions 2.2.1 and
// bigchaindb-driver 4.3.0, the libraries real clients sign with. The Go
// crypto-conditions package (ledger/cc) is checked against them:
//
//   node integration/js/cc_vectors.js > ledger/cc/testdata/js_vectors.json
//
// Keys come from fixed seeds and ed25519 signatures are deterministic, so
// the output is the same on every run.
'use strict';

const cc = require('crypto-conditions');
const driver = require('bigchaindb-driver');

const seed = (n) => Buffer.alloc(32, n);
const keys = [1, 2, 3, 4].map((n) => new driver.Ed25519Keypair(seed(n)));
const message = Buffer.from('cometstream crypto-conditions vector');

function signer(i) {
  const f = new cc.Ed25519Sha256();
  f.sign(message, seed(i + 1));
  return f;
}

function unsigned(i) {
  return driver.Transaction.makeEd25519Condition(keys[i].publicKey, false);
}

// threshold(m, spec) builds a ThresholdSha256 whose subconditions follow
// spec: 's' = signed key, 'u' = unsigned key (an unfulfilled subcondition),
// or a nested [m, spec] pair; key i is the position among the leaves.
function threshold(m, spec, next = { i: 0 }) {
  const t = new cc.ThresholdSha256();
  t.setThreshold(m);
  for (const s of spec) {
    if (Array.isArray(s)) {
      const inner = threshold(s[0], s[1], next);
      if (s[2] === 'signed') t.addSubfulfillment(inner);
      else t.addSubcondition(inner.getCondition());
      continue;
    }
    const i = next.i++;
    if (s === 's') t.addSubfulfillment(signer(i));
    else t.addSubcondition(unsigned(i).getCondition());
  }
  return t;
}

// The same shape as a condition for an output: every leaf unsigned, as
// makeThresholdCondition builds it.
function outputCondition(m, spec, next = { i: 0 }) {
  const subs = spec.map((s) => (Array.isArray(s) ? outputCondition(s[0], s[1], next) : unsigned(next.i++)));
  return driver.Transaction.makeThresholdCondition(m, subs, false);
}

const vectors = [];
const ed = signer(0);
vectors.push({
  name: 'ed25519',
  details: driver.Transaction.makeEd25519Condition(keys[0].publicKey).details,
  condition_uri: ed.getConditionUri(),
  condition_binary: ed.getConditionBinary().toString('hex'),
  fulfillment_uri: ed.serializeUri(),
});

const shapes = [
  ['1-of-1', 1, ['s']],
  ['2-of-2', 2, ['s', 's']],
  ['2-of-3 signed by first and third', 2, ['s', 'u', 's']],
  ['1-of-3 signed by second', 1, ['u', 's', 'u']],
  ['3-of-4', 3, ['s', 's', 'u', 's']],
  ['nested 2-of-2 over a 1-of-2', 2, ['s', [1, ['u', 's'], 'signed']]],
  ['nested 1-of-2, inner unsigned', 1, ['s', [2, ['u', 'u']]]],
];
for (const [name, m, spec] of shapes) {
  const f = threshold(m, spec);
  const c = outputCondition(m, spec);
  const json = require('bigchaindb-driver').ccJsonify(c);
  if (json.uri !== f.getConditionUri()) throw new Error(`${name}: output and fulfillment conditions differ`);
  vectors.push({
    name,
    details: json.details,
    condition_uri: f.getConditionUri(),
    condition_binary: f.getConditionBinary().toString('hex'),
    fulfillment_uri: f.serializeUri(),
  });
}

process.stdout.write(JSON.stringify({
  generator: 'integration/js/cc_vectors.js (crypto-conditions 2.2.1, bigchaindb-driver 4.3.0)',
  message_hex: message.toString('hex'),
  public_keys: keys.map((k) => k.publicKey),
  vectors,
}, null, 2) + '\n');
