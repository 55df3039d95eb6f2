package httpserve_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/internal/httpserve"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartServeShutdown(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	s, err := httpserve.Start("127.0.0.1:0", h, httpserve.Options{ReadTimeout: time.Second, WriteTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body %q", body)
	}
	// Headers past the shared limit are refused.
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.Addr().String(), nil)
	req.Header.Set("X-Big", strings.Repeat("a", 32<<10))
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("huge header: %d, want 431", resp.StatusCode)
		}
	}
	client.CloseIdleConnections()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, err := httpserve.Start(s.Addr().String(), h, httpserve.Options{})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	if err := again.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
