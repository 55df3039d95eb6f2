//go:build linux

package streamsvc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometstream/cometstream/streamsvc"
)

// BenchmarkSubscriberMemory reports the server's memory (live heap plus
// goroutine stacks, after a GC) per subscriber: idle ones, and lagging ones
// whose clients stopped reading while 50 blocks of 100 transactions were
// committed, so that the server's writes to them block. The clients are
// bare file descriptors made with syscalls, invisible to Go's heap. Per
// subscriber = (with 1,000 subscribers - with 1) / 999, so the blocks and
// frames every subscriber shares cancel out. kernel-B/sub is the growth of
// the kernel's TCP buffer memory (/proc/net/sockstat), both ends included.
func BenchmarkSubscriberMemory(b *testing.B) {
	const n = 1000
	for _, c := range []struct {
		name   string
		blocks int
	}{{"idle", 0}, {"lagging", 50}} {
		b.Run(c.name, func(b *testing.B) {
			var heap, kernel float64
			for b.Loop() {
				h1, k1 := measureSubscribers(b, 1, c.blocks)
				hn, kn := measureSubscribers(b, n, c.blocks)
				heap = float64(hn-h1) / (n - 1)
				kernel = float64(kn-k1) / (n - 1)
			}
			b.ReportMetric(heap, "B/sub")
			b.ReportMetric(kernel, "kernel-B/sub")
		})
	}
}

// measureSubscribers connects n raw subscribers to a fresh server, commits
// blocks (100 transactions each) that they never read, and returns the
// growth of the process's live memory and of the kernel's TCP memory.
func measureSubscribers(b *testing.B, n, blocks int) (heap, kernel int64) {
	before := liveBytes()
	kbefore := tcpKernelBytes(b)
	env := startBenchServer(b, streamsvc.Config{WriteTimeout: time.Minute})
	base := runtime.NumGoroutine()
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			closeRawSocket(fd)
		}
		env.close(b)
	}()
	for range n {
		fd, err := rawSubscribe(env.addr, streamsvc.PathTransactions, 4096)
		if err != nil {
			b.Fatal(err)
		}
		fds = append(fds, fd)
	}
	// Each subscriber runs one goroutine once set up.
	waitGoroutines(b, base+n)
	for h := int64(1); h <= int64(blocks); h++ {
		if _, err := env.log.Append(benchBlock(h, 100)); err != nil {
			b.Fatal(err)
		}
	}
	if blocks > 0 {
		// The writers take the blocks, fill the sockets and block; nothing
		// outside the server can observe the moment the last one does.
		time.Sleep(500 * time.Millisecond)
	}
	return int64(liveBytes() - before), tcpKernelBytes(b) - kbefore
}

func liveBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// rawSubscribe opens a subscription with a socket made by syscalls, so
// that the client side holds no Go memory, with a receive buffer of rcvbuf
// bytes, and returns its descriptor once the server has answered 101.
func rawSubscribe(addr, path string, rcvbuf int) (int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return -1, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return -1, err
	}
	sa := &syscall.SockaddrInet4{Port: p}
	copy(sa.Addr[:], net.ParseIP(host).To4())
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		closeRawSocket(fd)
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf); err != nil {
		return fail("SO_RCVBUF", err)
	}
	if err := syscall.Connect(fd, sa); err != nil {
		return fail("connect", err)
	}
	if _, err := syscall.Write(fd, []byte(handshakeRequest(addr, path))); err != nil {
		return fail("write handshake", err)
	}
	var resp []byte
	buf := make([]byte, 512)
	for !bytes.Contains(resp, []byte("\r\n\r\n")) {
		n, err := syscall.Read(fd, buf)
		if err != nil || n == 0 {
			return fail("read handshake", fmt.Errorf("%q: %v", resp, err))
		}
		resp = append(resp, buf[:n]...)
	}
	if !bytes.Contains(resp, []byte(" 101 ")) {
		return fail("handshake", fmt.Errorf("answer %q", resp))
	}
	return fd, nil
}

func closeRawSocket(fd int) { _ = syscall.Close(fd) }

// tcpKernelBytes is the kernel's TCP buffer memory, all sockets together
// (the "mem" pages of /proc/net/sockstat).
func tcpKernelBytes(b *testing.B) int64 {
	b.Helper()
	f, err := os.Open("/proc/net/sockstat")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(fields); i += 2 {
			if fields[i] == "mem" {
				pages, err := strconv.ParseInt(fields[i+1], 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				return pages * int64(os.Getpagesize())
			}
		}
	}
	b.Fatal("no TCP mem in /proc/net/sockstat")
	return 0
}
