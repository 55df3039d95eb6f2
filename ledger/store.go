package ledger

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
)

// LevelDB layout. Everything of one block, including the state record, is
// written in one batch by Commit, so the store always holds a whole number
// of blocks. <id> is a transaction id as 32 raw bytes where not said
// otherwise; numbers are big-endian.
//
//	tx/<id hex>                    raw transaction as submitted
//	txblock/<id hex>               height (8) of the block holding it
//	block/<height 8>               ids of the block's valid transactions in block order
//	out/<id><index 4>              output record: value (8), asset id (32), condition URI
//	spent/<id><index 4>            id of the transaction that spent the output
//	owner/<public key>/<height 8><position 4><index 4>
//	                               id of the transaction whose output at index names the key
//	blockhash/<height 8>           the app hash after the block
//	assettx/<asset id><height 8><position 4>
//	                               id of a transaction of the asset, then its operation ('C' or 'T')
//	assetcid/<len 4><cid><height 8><position 4>
//	                               id of a 3.0 CREATE whose assets[0].data is cid
//	metacid/<len 4><cid><height 8><position 4>
//	                               id of a 3.0 transaction whose metadata is cid
//	state                          stateVersion, height (8), app hash
//
// The owner, asset and CID indexes are ordered by the chain, so lists
// come oldest first. A CID is length-prefixed, so that no CID's keys
// share a prefix with another's.
const (
	txPrefix        = "tx/"
	txBlockPrefix   = "txblock/"
	blockPrefix     = "block/"
	blockHashPrefix = "blockhash/"
	outPrefix       = "out/"
	spentPrefix     = "spent/"
	ownerPrefix     = "owner/"
	assetTxPrefix   = "assettx/"
	assetCIDPrefix  = "assetcid/"
	metaCIDPrefix   = "metacid/"
	stateKey        = "state"
	// stateVersion 1 (the first milestone) kept no outputs; its stores
	// are refused rather than read with missing state. Version 2 kept no
	// block app hashes, asset or CID indexes: New builds them from the
	// blocks it holds (upgrade.go).
	stateVersion = 3
)

func blockHashKey(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(blockHashPrefix), uint64(height))
}

// assetTxKey's prefix without the position lists an asset's
// transactions.
func assetTxKey(assetID string, height int64, position int) []byte {
	k, _ := hex.AppendDecode([]byte(assetTxPrefix), []byte(assetID))
	k = binary.BigEndian.AppendUint64(k, uint64(height))
	return binary.BigEndian.AppendUint32(k, uint32(position))
}

func assetTxPrefixOf(assetID string) []byte {
	k, _ := hex.AppendDecode([]byte(assetTxPrefix), []byte(assetID))
	return k
}

func cidPrefixOf(prefix, cid string) []byte {
	k := binary.BigEndian.AppendUint32([]byte(prefix), uint32(len(cid)))
	return append(k, cid...)
}

func cidKey(prefix, cid string, height int64, position int) []byte {
	k := binary.BigEndian.AppendUint64(cidPrefixOf(prefix, cid), uint64(height))
	return binary.BigEndian.AppendUint32(k, uint32(position))
}

func txKey(id string) []byte      { return []byte(txPrefix + id) }
func txBlockKey(id string) []byte { return []byte(txBlockPrefix + id) }

func blockKey(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(blockPrefix), uint64(height))
}

// outputKey returns the key suffix of an output; ok is false for an index
// no transaction can have, which therefore names no output.
func outputKey(prefix string, ref OutputRef) (key []byte, ok bool) {
	if ref.OutputIndex < 0 || ref.OutputIndex > 1<<31 || !isHexID(ref.TransactionID) {
		return nil, false
	}
	key, _ = hex.AppendDecode([]byte(prefix), []byte(ref.TransactionID))
	return binary.BigEndian.AppendUint32(key, uint32(ref.OutputIndex)), true
}

func ownerKey(pub string, height int64, position, index int) []byte {
	k := []byte(ownerPrefix + pub + "/")
	k = binary.BigEndian.AppendUint64(k, uint64(height))
	k = binary.BigEndian.AppendUint32(k, uint32(position))
	return binary.BigEndian.AppendUint32(k, uint32(index))
}

// outputRecord is what spending an output needs to know about it.
type outputRecord struct {
	value        uint64
	assetID      string
	conditionURI string
}

func encodeOutput(r outputRecord) []byte {
	b := binary.BigEndian.AppendUint64(nil, r.value)
	b, _ = hex.AppendDecode(b, []byte(r.assetID))
	return append(b, r.conditionURI...)
}

func decodeOutput(b []byte) (outputRecord, error) {
	if len(b) < 40 {
		return outputRecord{}, fmt.Errorf("corrupt output record of %d bytes", len(b))
	}
	return outputRecord{
		value:        binary.BigEndian.Uint64(b),
		assetID:      hex.EncodeToString(b[8:40]),
		conditionURI: string(b[40:]),
	}, nil
}

// encodeIDs packs hex ids as raw bytes; ParseTransaction has already
// checked that each is 64 lower-case hex digits.
func encodeIDs(ids ...string) []byte {
	out := make([]byte, 0, 32*len(ids))
	for _, id := range ids {
		out, _ = hex.AppendDecode(out, []byte(id))
	}
	return out
}

func decodeIDs(b []byte) ([]string, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("corrupt id list of %d bytes", len(b))
	}
	ids := make([]string, 0, len(b)/32)
	for i := 0; i < len(b); i += 32 {
		ids = append(ids, hex.EncodeToString(b[i:i+32]))
	}
	return ids, nil
}

type state struct {
	height  int64
	appHash []byte
	// version is the record's; 2 needs upgradeStore.
	version byte
}

func encodeState(s state) []byte {
	b := binary.BigEndian.AppendUint64([]byte{stateVersion}, uint64(s.height))
	return append(b, s.appHash...)
}

func decodeState(b []byte) (state, error) {
	if len(b) >= 1 && b[0] == 1 {
		return state{}, errors.New("the store was written by ledger 0.1, which kept no outputs: remove its ledger.db folder and restart, CometBFT replays the chain into a new one")
	}
	if len(b) < 9 || (b[0] != stateVersion && b[0] != 2) {
		return state{}, fmt.Errorf("corrupt or unknown state record (%d bytes)", len(b))
	}
	h := binary.BigEndian.Uint64(b[1:9])
	if h > 1<<62 {
		return state{}, fmt.Errorf("corrupt state record: height %d", h)
	}
	return state{height: int64(h), appHash: b[9:], version: b[0]}, nil
}

// loadState reads the last committed state; a fresh store is height 0
// with an empty app hash.
func loadState(db *leveldb.DB) (state, error) {
	b, err := db.Get([]byte(stateKey), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return state{}, nil
	}
	if err != nil {
		return state{}, err
	}
	return decodeState(b)
}
