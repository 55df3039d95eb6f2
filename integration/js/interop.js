// Drives a cometstream node with the real BigchainDB JavaScript driver
// (bigchaindb-driver 4.3.0, which builds version 2.0 transactions):
//
//   node interop.js http://127.0.0.1:9984/api/v1/
//
// It makes key pairs, then with the driver's own functions builds, signs
// and posts (mode=commit) a CREATE, a TRANSFER to several recipients (two
// single owners and a 2-of-3 threshold output), a TRANSFER that spends
// the threshold output with two of its three keys, and a CREATE issued by
// two of a group of three (both signed with crypto-conditions through
// delegateSignTransaction, as the driver leaves thresholds to the
// caller). It reads each back over the Web API (getTransaction,
// listBlocks, getBlock), lists the asset's transactions
// (listTransactions), checks that text search (searchAssets,
// searchMetadata) and a replay are refused, and prints one JSON line:
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

  // A CREATE issued by a 2-of-3 group, signed by two of them, with the
  // three keys in owners_before and a threshold fulfillment, which
  // Planetmint accepts for a CREATE. (The driver makes one input per
  // issuer, which a CREATE may not have; the group's one input is set by
  // hand.)
  const unsignedGroup = Transaction.makeCreateTransaction(
    { name: 'issued by two of three' },
    null,
    [Transaction.makeOutput(ed(keypair()), '1')],
    bob.publicKey,
  );
  unsignedGroup.inputs[0].owners_before = [bob.publicKey, carol.publicKey, dave.publicKey];
  const groupCreate = Transaction.delegateSignTransaction(
    unsignedGroup,
    (serialized) => {
      const msg = crypto.createHash('sha3-256').update(serialized).digest();
      const t = new cc.ThresholdSha256();
      t.setThreshold(2);
      t.addSubcondition(ed(bob, false).getCondition());
      for (const kp of [carol, dave]) {
        const f = new cc.Ed25519Sha256();
        f.sign(msg, kp.seed);
        t.addSubfulfillment(f);
      }
      return t.serializeUri();
    },
  );

  const out = [];
  for (const tx of [create, split, spend, groupCreate]) {
    const posted = await conn.postTransactionCommit(tx);
    assert.deepStrictEqual(posted, tx, 'POST answers with the transaction');
    assert.deepStrictEqual(await conn.getTransaction(tx.id), tx, 'GET returns the transaction');
    // Planetmint's block shape: the block holding the transaction, and
    // the same block by height.
    const block = await conn.listBlocks(tx.id);
    assert.ok(block.transaction_ids.includes(tx.id), `block ${block.height} lists ${tx.id}`);
    assert.match(block.app_hash, /^[0-9a-f]{64}$/);
    assert.deepStrictEqual(await conn.getBlock(block.height), block, 'getBlock answers the block listBlocks found');
    const assetID = tx.operation === 'CREATE' ? tx.id : tx.asset.id;
    out.push({ id: tx.id, operation: tx.operation, asset_id: assetID, height: block.height });
  }

  // The transactions of the asset, oldest first, all or by operation.
  assert.deepStrictEqual(await conn.listTransactions(create.id), [create, split, spend]);
  assert.deepStrictEqual(await conn.listTransactions(create.id, 'TRANSFER'), [split, spend]);
  assert.deepStrictEqual(await conn.listTransactions(create.id, 'CREATE'), [create]);
  assert.deepStrictEqual(await conn.listTransactions(groupCreate.id), [groupCreate]);

  // Text search needs MongoDB's text index, which the node does not keep:
  // a 400 with the reason, which the driver reports as an error.
  for (const search of [() => conn.searchAssets('interop'), () => conn.searchMetadata('créé')]) {
    await assert.rejects(search(), (err) => String(err.status).startsWith('400'));
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
  // The driver's ResponseError keeps the status, URL and body in fields.
  const fields = err && err.status ? ` ${JSON.stringify({ status: err.status, url: err.requestURI, body: err.message })}` : '';
  process.stderr.write(`interop: ${err && err.stack ? err.stack : JSON.stringify(err)}${fields}\n`);
  process.exit(1);
});
