package ledger

import (
	"crypto/sha256"
	"encoding/binary"
)

// nextAppHash chains the app hash from block to block:
//
//	appHash(H) = SHA-256(appHash(H-1) || uint64 big-endian H || id_1 || ... || id_n)
//
// where id_i are the raw 32-byte ids of the block's valid transactions in
// block order and the app hash before the first block is empty. It commits
// to the whole history using only data every validator has, and costs
// O(transactions in the block), not O(state).
func nextAppHash(prev []byte, height int64, ids []string) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
	h.Write(encodeIDs(ids...))
	return h.Sum(nil)
}
