package events

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Decoded is what a Decoder learns from a transaction's bytes.
type Decoded struct {
	ID           string
	AssetIDs     []string
	Operation    string
	PublicKeys   []string
	OwnersBefore []string
}

// A Decoder reads a transaction's bytes. It must be safe for concurrent use
// and must not keep tx after it returns.
type Decoder interface {
	Decode(tx []byte) (Decoded, error)
}

// DecoderFunc adapts a function to the Decoder interface.
type DecoderFunc func(tx []byte) (Decoded, error)

// Decode calls f(tx).
func (f DecoderFunc) Decode(tx []byte) (Decoded, error) { return f(tx) }

// ErrUndecodable is wrapped by decoders for bytes they do not understand.
var ErrUndecodable = errors.New("undecodable transaction")

// NewTx builds the event of the valid transaction at index in its block. It
// never fails: bytes the decoder rejects (or panics on) still get an event,
// named by RawID, because the stream must carry every valid transaction of
// any application, whatever its encoding. The returned error, when not nil,
// says why the fallback was used.
func NewTx(d Decoder, index uint32, tx []byte) (ev Tx, err error) {
	return newTx(d, index, tx, func() string { return RawID(tx) })
}

// NewTxHashed is NewTx for a caller that has hashed tx already (hash is
// its SHA-256, CometBFT's tx hash): the fallback id is that hash's hex, so
// the bytes are not hashed twice.
func NewTxHashed(d Decoder, index uint32, tx []byte, hash [32]byte) (Tx, error) {
	return newTx(d, index, tx, func() string { return hex.EncodeToString(hash[:]) })
}

// Predecoded is a block's transactions as the application decoded them
// while it executed the block, handed to the stream so that they are not
// parsed twice (see abci.Predecoder). Decoded returns transaction i's
// fields (i counts all the block's transactions, rejected ones included);
// ok false leaves that transaction to the stream's Decoder. Decoded runs
// on the stream's goroutine, after the application's Commit and while it
// executes later blocks: it must only read what the application will not
// change again.
type Predecoded interface {
	Decoded(i int) (dec Decoded, ok bool)
}

// NewTxPredecoded is NewTxHashed for fields an application decoded (see
// Predecoded): no decoder runs, and the same fallbacks apply (no id: the
// tx hash names it; no asset: its own id).
func NewTxPredecoded(dec Decoded, index uint32, hash [32]byte) (Tx, error) {
	var err error
	if dec.ID == "" {
		err = fmt.Errorf("%w: the application's decoded fields have no id", ErrUndecodable)
	}
	return fromDecoded(dec, err, index, func() string { return hex.EncodeToString(hash[:]) }), err
}

func newTx(d Decoder, index uint32, tx []byte, rawID func() string) (ev Tx, err error) {
	dec, err := safeDecode(d, tx)
	if err == nil && dec.ID == "" {
		err = fmt.Errorf("%w: decoder returned no id", ErrUndecodable)
	}
	return fromDecoded(dec, err, index, rawID), err
}

// fromDecoded is the event of decoded fields, or of the raw id when the
// decoding failed (err).
func fromDecoded(dec Decoded, err error, index uint32, rawID func() string) (ev Tx) {
	ev.Index = index
	if err != nil {
		id := rawID()
		ev.ID, ev.AssetIDs = id, []string{id}
		return ev
	}
	ev.ID = dec.ID
	ev.AssetIDs = dec.AssetIDs
	if len(ev.AssetIDs) == 0 {
		ev.AssetIDs = []string{dec.ID}
	}
	ev.Operation = dec.Operation
	ev.PublicKeys = dec.PublicKeys
	ev.OwnersBefore = dec.OwnersBefore
	return ev
}

func safeDecode(d Decoder, tx []byte) (dec Decoded, err error) {
	if d == nil {
		return Decoded{}, fmt.Errorf("%w: no decoder", ErrUndecodable)
	}
	defer func() {
		if r := recover(); r != nil {
			dec, err = Decoded{}, fmt.Errorf("%w: decoder panicked: %v", ErrUndecodable, r)
		}
	}()
	return d.Decode(tx)
}
