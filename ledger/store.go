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
// of blocks.
//
//	tx/<id hex>        raw transaction as submitted
//	block/<height BE8> ids of the block's valid transactions, 32 bytes each, in block order
//	state              stateVersion, height BE8, app hash
const (
	txPrefix     = "tx/"
	blockPrefix  = "block/"
	stateKey     = "state"
	stateVersion = 1
)

func txKey(id string) []byte { return []byte(txPrefix + id) }

func blockKey(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(blockPrefix), uint64(height))
}

// encodeIDs packs hex ids as raw bytes; ParseTransaction has already
// checked that each is 64 lower-case hex digits.
func encodeIDs(ids []string) []byte {
	out := make([]byte, 0, 32*len(ids))
	for _, id := range ids {
		out, _ = hex.AppendDecode(out, []byte(id))
	}
	return out
}

func decodeIDs(b []byte) ([]string, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("corrupt block record of %d bytes", len(b))
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
}

func encodeState(s state) []byte {
	b := binary.BigEndian.AppendUint64([]byte{stateVersion}, uint64(s.height))
	return append(b, s.appHash...)
}

func decodeState(b []byte) (state, error) {
	if len(b) < 9 || b[0] != stateVersion {
		return state{}, fmt.Errorf("corrupt or unknown state record (%d bytes)", len(b))
	}
	h := binary.BigEndian.Uint64(b[1:9])
	if h > 1<<62 {
		return state{}, fmt.Errorf("corrupt state record: height %d", h)
	}
	return state{height: int64(h), appHash: b[9:]}, nil
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

// has reports whether a committed transaction has this id.
func has(db *leveldb.DB, id string) (bool, error) {
	return db.Has(txKey(id), nil)
}
