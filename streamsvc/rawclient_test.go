package streamsvc_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawClient is a WebSocket client written by hand: a test writes exactly
// the bytes it means, and reads the server's frames with no library in
// between, so what it checks is what went over the wire.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
}

// rawUpgrade performs the handshake for path on addr, with extra header
// lines (each ending in \r\n), and fails the test unless the server
// answers 101. The response's headers are returned.
func rawUpgrade(t *testing.T, addr, path, extra string) (*rawClient, http.Header) {
	t.Helper()
	c, resp := rawRequest(t, addr, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n"+upgradeHeaders+extra+"\r\n")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("handshake: %s %q", resp.Status, body)
	}
	return c, resp.Header
}

const upgradeHeaders = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

// rawRequest writes req on a new connection and reads the response
// header. The connection is closed by the test's cleanup.
func rawRequest(t *testing.T, addr, req string) (*rawClient, *http.Response) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatalf("write request: %v", err)
	}
	c := &rawClient{conn: conn, br: bufio.NewReader(conn)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return c, resp
}

// maskKey masks every frame the raw client sends: any key will do, and a
// fixed one makes failures reproducible.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frame is a client frame: first is the byte with FIN, RSV and opcode;
// the length takes its shortest form and the payload is masked.
func frame(first byte, payload []byte) []byte {
	n := len(payload)
	out := []byte{first}
	switch {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = append(out, maskKey[:]...)
	for i, b := range payload {
		out = append(out, b^maskKey[i%4])
	}
	return out
}

// lengthHeader is a masked frame header claiming n payload bytes in the
// 64-bit form, with no payload.
func lengthHeader(first byte, n uint64) []byte {
	out := binary.BigEndian.AppendUint64([]byte{first, 0x80 | 127}, n)
	return append(out, maskKey[:]...)
}

// deflate compresses p as one permessage-deflate message: raw deflate
// with the final 00 00 FF FF removed (RFC 7692 7.2.1).
func deflate(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := w.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{0x00, 0x00, 0xff, 0xff})
}

func (c *rawClient) send(t *testing.T, chunks ...[]byte) {
	t.Helper()
	for _, b := range chunks {
		if _, err := c.conn.Write(b); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

// readFrame reads one server frame, which is never masked.
func (c *rawClient) readFrame() (first byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 16<<20 {
		return 0, nil, fmt.Errorf("server frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return h[0], payload, err
}

// expectPong pings with payload and waits for its pong: proof the server
// read everything sent before and still serves the connection.
func (c *rawClient) expectPong(t *testing.T, payload string) {
	t.Helper()
	c.send(t, frame(0x89, []byte(payload)))
	for {
		first, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("waiting for pong %q: %v", payload, err)
		}
		if first == 0x88 {
			t.Fatalf("close frame %s while waiting for pong %q", describeClose(p), payload)
		}
		if first == 0x8A && string(p) == payload {
			return
		}
	}
}

// expectClose reads frames until a close frame, which must carry code
// and a reason containing reason; then the server must end the TCP
// connection (EOF), with no other frame after the close.
func (c *rawClient) expectClose(t *testing.T, code int, reason string) {
	t.Helper()
	for {
		first, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("connection ended with %v before a close frame %d", err, code)
		}
		if first != 0x88 {
			continue // data or a ping sent before the failure
		}
		if len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code || !strings.Contains(string(p[2:]), reason) {
			t.Fatalf("close frame %s, want %d with a reason containing %q", describeClose(p), code, reason)
		}
		break
	}
	if first, p, err := c.readFrame(); err == nil {
		t.Fatalf("frame %#x %q after the close frame", first, p)
	} else if !errors.Is(err, io.EOF) {
		t.Errorf("after the close frame: %v, want the server to close the connection (EOF)", err)
	}
}

func describeClose(p []byte) string {
	if len(p) < 2 {
		return fmt.Sprintf("with payload %x", p)
	}
	return fmt.Sprintf("%d %q", binary.BigEndian.Uint16(p), p[2:])
}
