package tlsreload_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometstream/cometstream/internal/testcert"
	"github.com/cometstream/cometstream/tlsreload"
)

// writePair writes a self-signed certificate for name, dated mod, and
// returns its DER.
func writePair(t *testing.T, dir, name string, mod time.Time) []byte {
	t.Helper()
	c := testcert.New(t, name)
	certFile, keyFile := c.Write(t, dir)
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	return c.DER
}

func served(t *testing.T, c *tlsreload.Cert) []byte {
	t.Helper()
	got, err := c.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Certificate[0]
}

func TestReloadOnChangeAndOnDemand(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Minute)
	first := writePair(t, dir, "one.test", base)
	c, err := tlsreload.Load(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(served(t, c)) != string(first) {
		t.Fatal("not serving the loaded certificate")
	}
	second := writePair(t, dir, "two.test", base.Add(10*time.Second))
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if string(served(t, c)) != string(second) {
		t.Error("Reload did not switch certificates")
	}
	// A broken replacement keeps the current certificate.
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Error("Reload accepted a garbage certificate")
	}
	if string(served(t, c)) != string(second) {
		t.Error("a failed reload replaced the certificate")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := tlsreload.Load("", "", nil); err == nil {
		t.Error("empty paths accepted")
	}
	if _, err := tlsreload.Load("/nonexistent/cert.pem", "/nonexistent/key.pem", nil); err == nil {
		t.Error("missing files accepted")
	}
}
