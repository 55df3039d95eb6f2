package streamsvc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// inbound reads what a client sends after the handshake: frames of RFC
// 6455 section 5, compressed messages of RFC 7692 when permessage-deflate
// was negotiated. Client messages are read only to be discarded, but every
// frame is checked, and a breach ends the connection with a close frame
// whose code and reason say why. gorilla's reader, used before, let
// through a length with its top bit set, RSV1 on control frames and
// continuations, and a 1-byte close payload, and counted compressed bytes
// against the read limit: a 61 KB frame that inflated to 60 MiB was read
// whole.
//
// It reads the connection directly, never ahead of the frame it is in,
// and holds no buffer of its own between messages: an idle subscriber
// costs the struct alone.
type inbound struct {
	conn    io.Reader // the connection
	deflate bool      // permessage-deflate was negotiated
	limit   int64     // the largest message, inflated
	// alive is called on every frame header: the client is there.
	alive func()
	// ping is called with each ping's payload, which it must copy to keep.
	ping func([]byte)

	hdr [8]byte
	ctl [maxControlPayload]byte

	// The data frame being read.
	fin       bool
	rsv1      bool
	remaining int64
	key       [4]byte
	keyPos    int
	// The uncompressed data message being read, over several frames.
	inMessage bool
	size      int64
}

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	maxControlPayload = 125
)

// failure is a client's breach of the protocol or of the read limit. The
// server answers with a close frame carrying code and reason (RFC 6455
// 7.1.7: fail the WebSocket connection), then closes the connection.
type failure struct {
	code   int
	reason string
}

func (f *failure) Error() string { return fmt.Sprintf("websocket: %s (close %d)", f.reason, f.code) }

func protocolError(format string, args ...any) *failure {
	return &failure{1002, fmt.Sprintf(format, args...)}
}

// peerClose is the client's close frame; code is 1005 when it had none.
type peerClose struct {
	code int
	text string
}

func (c *peerClose) Error() string {
	return fmt.Sprintf("websocket: client closed with %d %q", c.code, c.text)
}

func (in *inbound) tooBig() *failure {
	return &failure{1009, fmt.Sprintf("message larger than read_limit (%d bytes)", in.limit)}
}

// wireLimit bounds the bytes a compressed message may take on the wire:
// its inflated size is bounded by limit, and deflate's worst expansion
// (fixed Huffman codes on bytes that do not compress) is 1/8 and a few
// bytes. Without it, frames of empty deflate blocks would be one endless
// message.
func (in *inbound) wireLimit() int64 { return in.limit + in.limit/8 + 64 }

// discardMessage reads the next data message and discards it, handling
// the control frames before and inside it. Its error ends the connection:
// a *failure, a *peerClose, or the connection's own error.
func (in *inbound) discardMessage() error {
	for {
		done, err := in.next()
		if err != nil || done {
			return err
		}
	}
}

// next reads one frame and acts on it: a control frame, or a data frame
// whose payload it discards (a compressed message is read whole, since
// its size is known only once inflated). done reports that a data
// message ended with it. The subscriber calls it once a frame's first
// byte has arrived, between its writes; the fragments of one message may
// come in several calls, with control frames between them.
func (in *inbound) next() (done bool, err error) {
	op, n, err := in.header()
	if err != nil {
		return false, err
	}
	switch {
	case op == opContinuation && !in.inMessage:
		return false, protocolError("continuation frame outside a fragmented message")
	case (op == opText || op == opBinary) && in.inMessage:
		return false, protocolError("new message inside a fragmented one")
	case op >= opClose:
		return false, in.control(op, n)
	}
	in.remaining = n
	if in.rsv1 { // text or binary: header refuses RSV1 elsewhere
		return true, in.inflate()
	}
	if op != opContinuation {
		in.size = 0
	}
	// Checked before reading: a header may claim up to 2^63-1 bytes.
	if in.size += n; in.size > in.limit || in.size < 0 {
		return false, in.tooBig()
	}
	if err := in.skip(); err != nil {
		return false, err
	}
	in.inMessage = !in.fin
	return in.fin, nil
}

// skip discards the rest of the current frame's payload (io.Discard
// borrows a pooled buffer).
func (in *inbound) skip() error {
	n, err := io.CopyN(io.Discard, in.conn, in.remaining)
	in.remaining -= n
	return eofIsUnexpected(err)
}

// nextData reads frames up to the next data frame, answering control
// frames on the way. continuation tells whether a message is in progress,
// so the frame must continue it.
func (in *inbound) nextData(continuation bool) error {
	for {
		op, n, err := in.header()
		if err != nil {
			return err
		}
		switch {
		case op == opContinuation && !continuation:
			return protocolError("continuation frame outside a fragmented message")
		case (op == opText || op == opBinary) && continuation:
			return protocolError("new message inside a fragmented one")
		case op == opContinuation || op == opText || op == opBinary:
			in.remaining = n
			return nil
		}
		if err := in.control(op, n); err != nil {
			return err
		}
	}
}

// header reads and checks one frame header (RFC 6455 5.2, RFC 7692 6)
// and returns its opcode and payload length. For a data frame it sets fin,
// rsv1 and the mask key; a control frame's payload is read by control.
func (in *inbound) header() (op byte, n int64, err error) {
	if _, err := io.ReadFull(in.conn, in.hdr[:2]); err != nil {
		return 0, 0, err
	}
	b0, b1 := in.hdr[0], in.hdr[1]
	fin, rsv1, op := b0&0x80 != 0, b0&0x40 != 0, b0&0x0f
	control := op >= opClose
	n = int64(b1 & 0x7f)
	switch {
	case b0&0x30 != 0:
		return 0, 0, protocolError("RSV2 or RSV3 set: no extension defines them")
	case op > opBinary && op < opClose || op > opPong:
		return 0, 0, protocolError("unknown opcode %d", op)
	case b1&0x80 == 0:
		return 0, 0, protocolError("client frames must be masked")
	case control && !fin:
		return 0, 0, protocolError("fragmented control frame")
	case control && n > maxControlPayload:
		return 0, 0, protocolError("control frame payload over 125 bytes")
	case rsv1 && !in.deflate:
		return 0, 0, protocolError("RSV1 set without permessage-deflate")
	case rsv1 && control:
		return 0, 0, protocolError("RSV1 set on a control frame")
	case rsv1 && op == opContinuation:
		return 0, 0, protocolError("RSV1 set on a continuation frame")
	}
	switch n {
	case 126:
		if _, err := io.ReadFull(in.conn, in.hdr[:2]); err != nil {
			return 0, 0, eofIsUnexpected(err)
		}
		n = int64(binary.BigEndian.Uint16(in.hdr[:2]))
	case 127:
		if _, err := io.ReadFull(in.conn, in.hdr[:8]); err != nil {
			return 0, 0, eofIsUnexpected(err)
		}
		u := binary.BigEndian.Uint64(in.hdr[:8])
		if u>>63 != 0 {
			return 0, 0, protocolError("payload length with its most significant bit set")
		}
		n = int64(u)
	}
	if _, err := io.ReadFull(in.conn, in.key[:]); err != nil {
		return 0, 0, eofIsUnexpected(err)
	}
	in.keyPos = 0
	if !control {
		in.fin, in.rsv1 = fin, rsv1
	}
	in.alive()
	return op, n, nil
}

// control reads a control frame's payload and acts on it.
func (in *inbound) control(op byte, n int64) error {
	p := in.ctl[:n]
	if _, err := io.ReadFull(in.conn, p); err != nil {
		return eofIsUnexpected(err)
	}
	in.unmask(p)
	switch op {
	case opPing:
		in.ping(p)
	case opClose:
		return parseClose(p)
	}
	return nil // a pong: alive has been called
}

// parseClose reads a client's close frame (RFC 6455 5.5.1, 7.4).
func parseClose(p []byte) error {
	switch {
	case len(p) == 0:
		return &peerClose{code: 1005}
	case len(p) == 1:
		return protocolError("close frame with a 1-byte payload")
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return protocolError("close code %d may not be sent", code)
	}
	if !utf8.Valid(p[2:]) {
		return &failure{1007, "close reason is not UTF-8"}
	}
	return &peerClose{code: code, text: string(p[2:])}
}

// validCloseCode reports whether an endpoint may send code: the codes
// RFC 6455 and the IANA registry define for use in a frame (not 1004,
// 1005, 1006 or 1015), and the 3000-4999 range of libraries and
// applications.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// unmask unmasks p, the next bytes of the frame's payload.
func (in *inbound) unmask(p []byte) {
	for i := range p {
		p[i] ^= in.key[in.keyPos&3]
		in.keyPos++
	}
}

// eofIsUnexpected turns an EOF inside a frame into io.ErrUnexpectedEOF:
// only an EOF between frames is a connection that simply ended.
func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
