// Drives a cometstream node with the real BigchainDB JavaScript driver
// (bigchaindb-driver 4.3.0, which builds version 2.0 transactions):
//
//   node interop.js http://127.0.0.1:9984/api/v1/
//
// It makes key pairs, then with the driver's own functions builds, signs
// and posts (mode=commit) a CREATE, a TRANSFER to several recipients (two
// single owners and a 2-of-3 threshold output), and a TRANSFER that spends
// the threshold output with two of its three keys (signed with
// crypto-conditions through delegateSignTransaction, as the driver leaves
// thresholds to the caller). It reads each back over the Web API, checks
// that a replay is refused, and prints one JSON line:
//
//   {"transactions":[{"id","operation","asset_id","height"}, ...]}
//
// Any mismatch or error exits non-zero with the reason on stderr.
'use strict';

const crypto = require('crypto');
const assert = require('assert');
const cc = require('crypto-conditions');
const driver = require('bigchaindb-driver');

const { Transaction } = driver;

// A key pair whose seed (the private key the driver signs with) we keep
// as bytes for crypto-conditions.
function keypair() {
  const seed = crypto.randomBytes(32);
  const kp = new driver.Ed25519Keypair(seed);
  kp.seed = seed;
  return kp;
}

const ed = (kp, json = true) => Transaction.makeEd25519Condition(kp.publicKey, json);

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node interop.js <Web API URL ending in /api/v1/>');
  const conn = new driver.Connection(url);
  const [alice, bob, carol, dave] = [keypair(), keypair(), keypair(), keypair()];

  const create = Transaction.signTransaction(
    Transaction.makeCreateTransaction(
      { name: 'cometstream interop', text: 'Grüße ✓ 日本' },
      { driver: 'bigchaindb-driver 4.3.0', note: 'créé €' },
      [Transaction.makeOutput(ed(alice), '10')],
      alice.publicKey,
    ),
    alice.privateKey,
  );

  const split = Transaction.signTransaction(
    Transaction.makeTransferTransaction(
      [{ tx: create, output_index: 0 }],
      [
        Transaction.makeOutput(ed(bob), '3'),
        Transaction.makeOutput(ed(carol), '3'),
        Transaction.makeOutput(Transaction.makeThresholdCondition(2, [ed(bob, false), ed(carol, false), ed(dave, false)]), '4'),
      ],
      { note: 'to several recipients' },
    ),
    alice.privateKey,
  );

  const unsignedSpend = Transaction.makeTransferTransaction(
    [{ tx: split, output_index: 2 }],
    [Transaction.makeOutput(ed(alice), '4')],
    { note: 'two of three' },
  );
  const spend = Transaction.delegateSignTransaction(unsignedSpend, (serialized, input) => {
    const msg = crypto.createHash('sha3-256')
      .update(serialized + input.fulfills.transaction_id + input.fulfills.output_index)
      .digest();
    const t = new cc.ThresholdSha256();
    t.setThreshold(2);
    for (const kp of [bob, dave]) {
      const f = new cc.Ed25519Sha256();
      f.sign(msg, kp.seed);
      t.addSubfulfillment(f);
    }
    t.addSubcondition(ed(carol, false).getCondition());
    return t.serializeUri();
  });

  const out = [];
  for (const tx of [create, split, spend]) {
    const posted = await conn.postTransactionCommit(tx);
    assert.deepStrictEqual(posted, tx, 'POST answers with the transaction');
    assert.deepStrictEqual(await conn.getTransaction(tx.id), tx, 'GET returns the transaction');
    const heights = await conn.listBlocks(tx.id);
    assert.strictEqual(heights.length, 1, `one block holds ${tx.id}`);
    const block = await conn.getBlock(heights[0]);
    assert.ok(block.transactions.some((b) => b.id === tx.id), `block ${heights[0]} lists ${tx.id}`);
    out.push({ id: tx.id, operation: tx.operation, asset_id: create.id, height: heights[0] });
  }

  const unspent = (kp) => conn.listOutputs(kp.publicKey, false);
  assert.deepStrictEqual(await unspent(bob), [{ transaction_id: split.id, output_index: 0 }]);
  assert.deepStrictEqual(await unspent(dave), []);
  assert.deepStrictEqual(await unspent(alice), [{ transaction_id: spend.id, output_index: 0 }]);
  assert.deepStrictEqual(await conn.listOutputs(dave.publicKey, true), [{ transaction_id: split.id, output_index: 2 }]);

  // A replay is refused with 400, which the driver reports as an error.
  await assert.rejects(conn.postTransactionCommit(split), (err) => String(err.status).startsWith('400'));

  process.stdout.write(JSON.stringify({ transactions: out }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`interop: ${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
