package streamsvc

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"strings"
	"sync"
)

// permessage-deflate (RFC 7692). gorilla negotiates it with no context
// takeover on either side, so every message is compressed on its own: a
// block's compressed frames can be made once and shared by every
// subscriber that negotiated compression, like the plain ones.

var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// appendDeflatedFrame appends payload as a compressed text frame (RSV1 set).
func appendDeflatedFrame(dst, payload []byte) []byte {
	var buf bytes.Buffer
	w := flaters.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(payload) // a bytes.Buffer does not fail
	_ = w.Flush()
	flaters.Put(w)
	// A sync flush ends with 00 00 FF FF, which the receiver appends
	// itself (RFC 7692 7.2.1).
	out := bytes.TrimSuffix(buf.Bytes(), []byte{0x00, 0x00, 0xff, 0xff})
	return append(appendHeader(dst, 0xC1, len(out)), out...)
}

// offersDeflate reports whether the client offered permessage-deflate,
// which gorilla accepts whenever the upgrader enables compression: the
// same test gorilla makes, on the extension names of every header value.
func offersDeflate(h http.Header) bool {
	for _, v := range h.Values("Sec-Websocket-Extensions") {
		for _, ext := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(ext, ";")
			if strings.TrimSpace(name) == "permessage-deflate" {
				return true
			}
		}
	}
	return false
}

// inflater is a pooled decompressor: a flate reader holds a 32 KiB window,
// which only a subscriber in the middle of a compressed message needs.
type inflater struct {
	br *bufio.Reader
	fr io.ReadCloser
}

var inflaters = sync.Pool{New: func() any {
	br := bufio.NewReaderSize(nil, 4096)
	return &inflater{br: br, fr: flate.NewReader(br)}
}}

// deflateTail ends every compressed message: the 00 00 FF FF its sender
// removed (RFC 7692 7.2.2), then an empty final block, so the reader ends
// with io.EOF instead of asking for more.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflate reads the compressed message whose first frame header has been
// read and discards what it inflates to, counting that against the read
// limit. Data that does not inflate is 1007 (RFC 7692 8: the extension's
// failure to decompress fails the connection).
func (in *inbound) inflate() error {
	src := &compressedPayload{in: in}
	if src.wire = in.remaining; src.wire > in.wireLimit() {
		return in.tooBig()
	}
	z := inflaters.Get().(*inflater)
	z.br.Reset(src)
	if err := z.fr.(flate.Resetter).Reset(z.br, nil); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, io.LimitReader(z.fr, in.limit+1))
	z.br.Reset(nil) // drop the connection from the pool
	inflaters.Put(z)
	switch {
	case src.err != nil:
		return src.err
	case err != nil:
		return &failure{1007, "invalid compressed data"}
	case n > in.limit:
		return in.tooBig()
	}
	// A final block may end the deflate data before the message does.
	return src.drain()
}

// compressedPayload reads the unmasked payload of a compressed message,
// frame after frame, answering control frames between them, then
// deflateTail.
type compressedPayload struct {
	in   *inbound
	wire int64 // payload bytes of the message so far
	tail int   // bytes of deflateTail given
	err  error // the connection's or the protocol's, not the data's
}

func (c *compressedPayload) Read(p []byte) (int, error) {
	in := c.in
	for in.remaining == 0 {
		if in.fin {
			if c.tail == len(deflateTail) {
				return 0, io.EOF
			}
			n := copy(p, deflateTail[c.tail:])
			c.tail += n
			return n, nil
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > in.remaining {
		p = p[:in.remaining]
	}
	n, err := in.conn.Read(p)
	in.unmask(p[:n])
	in.remaining -= int64(n)
	if err != nil {
		c.err = eofIsUnexpected(err)
		return n, c.err
	}
	return n, nil
}

// next reads the message's next frame header.
func (c *compressedPayload) next() error {
	in := c.in
	if err := in.nextData(true); err != nil {
		c.err = err
		return err
	}
	if c.wire += in.remaining; c.wire > in.wireLimit() || c.wire < 0 {
		c.err = in.tooBig()
		return c.err
	}
	return nil
}

// drain discards the message's remaining frames.
func (c *compressedPayload) drain() error {
	in := c.in
	for {
		if err := in.skip(); err != nil {
			return err
		}
		if in.fin {
			return nil
		}
		if err := c.next(); err != nil {
			return err
		}
	}
}
