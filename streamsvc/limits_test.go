package streamsvc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/wire"
)

// assetIDs is n distinct valid asset ids, comma-separated.
func assetIDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = txID(int64(i), i)
	}
	return strings.Join(ids, ",")
}

// TestRequestSizeRefusals sends oversize headers and targets over raw
// sockets to a server started as the node starts it: each refusal is the
// JSON error (net/http's own is a plain-text 431), and the documented
// filter cap, 1,024 values per filter, is reachable on the stream paths
// although its 66 KiB of asset ids is past the 16 KiB other requests get.
func TestRequestSizeRefusals(t *testing.T) {
	ts := startListening(t, streamsvc.Config{})
	addr := strings.TrimPrefix(ts.url, "ws://")
	max := wire.MaxFilterValues
	upgrade := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\n" + upgradeHeaders + strings.Join(headers, "") + "\r\n"
	}
	ops := strings.TrimSuffix(strings.Repeat(strings.Repeat("X", 64)+",", max), ",")
	tests := []struct {
		name   string
		req    string
		status int
		want   string // in the message
	}{
		{"header fields over 16 KiB", upgrade(streamsvc.PathBlocks, "X-Big: "+strings.Repeat("a", 32<<10)+"\r\n"),
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"header fields of 900 KiB", upgrade(streamsvc.PathBlocks, "Cookie: "+strings.Repeat("c", 900<<10)+"\r\n"),
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"long target off the stream paths", upgrade("/api/v1/streams/other?x=" + strings.Repeat("a", 32<<10)),
			http.StatusRequestURITooLong, "at most 16384"},
		{"long target on an escaped stream path", upgrade("/api%2Fv1%2Fstreams%2Fvalid_transactions?asset_id=" + assetIDs(max)),
			http.StatusRequestURITooLong, "at most 16384"},
		{"1,025 asset ids", upgrade(streamsvc.PathTransactions + "?asset_id=" + assetIDs(max+1)),
			http.StatusBadRequest, "asset_id lists 1025 values; at most 1024"},
		{"10,000 asset ids", upgrade(streamsvc.PathTransactions + "?asset_id=" + assetIDs(10000)),
			http.StatusBadRequest, "asset_id lists 10000 values; at most 1024"},
		{"a million commas", upgrade(streamsvc.PathTransactions + "?operation=" + strings.Repeat(",", 1e6)),
			http.StatusBadRequest, "lists 1000001 values"},
		{"a hundred thousand parameters", upgrade(streamsvc.PathTransactions + "?" + strings.Repeat("a&", 1e5)),
			http.StatusBadRequest, "at most 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp := rawRequest(t, addr, tt.req)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			checkErrorResponse(t, resp, tt.status)
			var e wire.Error
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q, want one containing %q", e.Message, tt.want)
			}
		})
	}

	// The cap itself is reachable: 1,024 values in each filter, ~180 KiB.
	full := streamsvc.PathTransactions + "?asset_id=" + assetIDs(max) + "&operation=" + ops +
		"&public_key=" + strings.TrimSuffix(strings.Repeat("4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD,", max), ",")
	c, _ := rawUpgrade(t, addr, full, "")
	c.expectPong(t, "subscribed")
}
