package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// reader is committed state: the database, or a snapshot of it.
type reader interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
	Has(key []byte, ro *opt.ReadOptions) (bool, error)
}

// staged is a finalized block that is not yet committed: its valid
// transactions and what they changed, which later transactions of the
// same block must see.
type staged struct {
	state
	ids     []string       // valid transactions in block order
	byIndex []*Transaction // valid transactions by index in the block, nil for rejected ones (see Predecoded)
	txs     map[string]*Transaction
	outputs map[OutputRef]outputRecord
	spent   map[OutputRef]string // spent output -> spending transaction
}

func newStaged(height int64) *staged {
	return &staged{
		state:   state{height: height},
		txs:     map[string]*Transaction{},
		outputs: map[OutputRef]outputRecord{},
		spent:   map[OutputRef]string{},
	}
}

func (b *staged) add(tx *Transaction) {
	b.ids = append(b.ids, tx.ID)
	b.txs[tx.ID] = tx
	for i, o := range tx.Outputs {
		b.outputs[OutputRef{tx.ID, int64(i)}] = outputRecord{value: o.Value, assetID: tx.AssetIDs[0], conditionURI: o.ConditionURI}
	}
	for _, in := range tx.Inputs {
		if in.Fulfills != nil {
			b.spent[*in.Fulfills] = tx.ID
		}
	}
}

// write puts the block into batch: see the layout in store.go.
func (b *staged) write(batch *leveldb.Batch) {
	height := binary.BigEndian.AppendUint64(nil, uint64(b.height))
	for pos, id := range b.ids {
		tx := b.txs[id]
		batch.Put(txKey(id), tx.Raw)
		batch.Put(txBlockKey(id), height)
		for i, o := range tx.Outputs {
			ref := OutputRef{id, int64(i)}
			k, _ := outputKey(outPrefix, ref)
			batch.Put(k, encodeOutput(b.outputs[ref]))
			for _, pub := range o.PublicKeys {
				batch.Put(ownerKey(pub, b.height, pos, i), encodeIDs(id))
			}
		}
		for _, in := range tx.Inputs {
			if in.Fulfills != nil {
				k, _ := outputKey(spentPrefix, *in.Fulfills)
				batch.Put(k, encodeIDs(id))
			}
		}
		writeQueryIndexes(batch, tx, b.height, pos)
	}
	batch.Put(blockKey(b.height), encodeIDs(b.ids...))
	batch.Put(blockHashKey(b.height), b.appHash)
	batch.Put([]byte(stateKey), encodeState(b.state))
}

// view is the state a transaction is checked against: committed state
// and, in FinalizeBlock, the valid transactions before it in the block.
// CheckTx and FinalizeBlock run the same checks through it.
type view struct {
	db  reader
	blk *staged // nil in CheckTx
}

// again says where a transaction sent twice already is.
func (v view) again(inBlock bool) string {
	if inBlock {
		return "already appears earlier in this block"
	}
	return "is already committed"
}

// where tells a message's reader which state a conflict is in.
func (v view) where(inBlock bool) string {
	if inBlock {
		return "earlier in this block"
	}
	return "committed"
}

// check applies the rules that need state. Storage failures come back as
// plain errors, refusals as *RejectError. The rules run in Planetmint's
// order, so that a transaction wrong in several ways gets the message
// Planetmint gives: the transaction must not be there already; then for
// each input in turn, that it exists and is unspent; then the
// fulfillments against the spent conditions, the asset, inputs spent
// twice, and the amounts.
//
// A TRANSFER sent again keeps CodeDuplicate, which block results have
// always carried for it (the code is in CometBFT's results hash, so it
// must not change for blocks already made), with the message Planetmint
// gives it: it spends what it spent, a DoubleSpend.
func (v view) check(tx *Transaction) error {
	if inBlock, found, err := v.hasTx(tx.ID); err != nil {
		return err
	} else if found {
		detail := "transaction " + tx.ID + " " + v.again(inBlock)
		if tx.Operation == "TRANSFER" {
			return rejectAs(CodeDuplicate, exceptionDoubleSpend, msgInputSpent(tx.Inputs[0].Fulfills.TransactionID), detail)
		}
		return rejectAs(CodeDuplicate, exceptionDuplicateTx, msgDuplicate(tx.ID), detail)
	}
	if tx.Operation != "TRANSFER" {
		return nil
	}
	spent := make([]outputRecord, len(tx.Inputs))
	for i, input := range tx.Inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		ref := *input.Fulfills
		what := fmt.Sprintf("output %d of transaction %s", ref.OutputIndex, ref.TransactionID)
		rec, found, err := v.output(ref)
		if err != nil {
			return err
		}
		if !found {
			if _, exists, err := v.hasTx(ref.TransactionID); err != nil {
				return err
			} else if exists {
				return reject(CodeInputNotFound, fmt.Sprintf("%s spends %s, which has no such output", field, what))
			}
			return rejectAs(CodeInputNotFound, exceptionInputMissing, msgInputMissing(ref.TransactionID), fmt.Sprintf("%s spends %s, which does not exist", field, what))
		}
		if by, inBlock, found, err := v.spender(ref); err != nil {
			return err
		} else if found {
			return rejectAs(CodeDoubleSpend, exceptionDoubleSpend, msgInputSpent(ref.TransactionID), fmt.Sprintf("%s spends %s, already spent by transaction %s (%s)", field, what, by, v.where(inBlock)))
		}
		spent[i] = rec
	}
	for i, input := range tx.Inputs {
		if input.ConditionURI != spent[i].conditionURI {
			return rejectAs(CodeConditionMismatch, exceptionInvalidSig, msgSignatureInvalid, fmt.Sprintf("inputs[%d].fulfillment meets %s, but the spent output's condition is %s", i, input.ConditionURI, spent[i].conditionURI))
		}
	}
	for i := range tx.Inputs {
		if a := spent[i].assetID; a != spent[0].assetID {
			return rejectAs(CodeAssetMismatch, exceptionAssetID, msgInputsOfTwoAssets, fmt.Sprintf("inputs[%d] spends output %d of transaction %s, which holds asset %s, but inputs[0] spends asset %s", i, tx.Inputs[i].Fulfills.OutputIndex, tx.Inputs[i].Fulfills.TransactionID, a, spent[0].assetID))
		}
	}
	if a := spent[0].assetID; a != tx.AssetIDs[0] {
		return rejectAs(CodeAssetMismatch, exceptionAssetID, msgAssetIDMismatch, fmt.Sprintf("the inputs spend asset %s, but the transaction transfers asset %s", a, tx.AssetIDs[0]))
	}
	seen := map[OutputRef]int{}
	for i, input := range tx.Inputs {
		ref := *input.Fulfills
		if j, dup := seen[ref]; dup {
			return rejectAs(CodeDoubleSpend, exceptionDoubleSpend, msgSpendsTwice(tx.ID), fmt.Sprintf("inputs[%d] spends output %d of transaction %s, as inputs[%d] already does", i, ref.OutputIndex, ref.TransactionID, j))
		}
		seen[ref] = i
	}
	var in, out sum128
	for i := range tx.Inputs {
		in.add(spent[i].value)
	}
	for _, o := range tx.Outputs {
		out.add(o.Value)
	}
	if in != out {
		return rejectAs(CodeAmountMismatch, exceptionAmount, msgAmounts(in, out), fmt.Sprintf("the outputs add up to %s but the inputs spend %s: a TRANSFER must move the whole amount", out, in))
	}
	return nil
}

func (v view) hasTx(id string) (inBlock, found bool, err error) {
	if v.blk != nil {
		if _, ok := v.blk.txs[id]; ok {
			return true, true, nil
		}
	}
	found, err = v.db.Has(txKey(id), nil)
	return false, found, err
}

func (v view) output(ref OutputRef) (outputRecord, bool, error) {
	if v.blk != nil {
		if rec, ok := v.blk.outputs[ref]; ok {
			return rec, true, nil
		}
	}
	k, ok := outputKey(outPrefix, ref)
	if !ok {
		return outputRecord{}, false, nil
	}
	b, err := v.db.Get(k, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return outputRecord{}, false, nil
	}
	if err != nil {
		return outputRecord{}, false, err
	}
	rec, err := decodeOutput(b)
	return rec, err == nil, err
}

func (v view) spender(ref OutputRef) (id string, inBlock, found bool, err error) {
	if v.blk != nil {
		if id, ok := v.blk.spent[ref]; ok {
			return id, true, true, nil
		}
	}
	k, ok := outputKey(spentPrefix, ref)
	if !ok {
		return "", false, false, nil
	}
	b, err := v.db.Get(k, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, err
	}
	ids, err := decodeIDs(b)
	if err != nil || len(ids) != 1 {
		return "", false, false, fmt.Errorf("corrupt spent record for %v", ref)
	}
	return ids[0], false, true, nil
}
