package loadclients

import (
	"io"
	"maps"
	"strings"
	"testing"
)

func TestReadSSE(t *testing.T) {
	tx := func(h string) string {
		return `{"transaction_id":"ab","asset_id":"ab","asset_ids":["ab"],"height":` + h + `}`
	}
	for _, c := range []struct {
		name, stream string
		want         map[int64]int32 // height -> messages
		ended        string
	}{
		{"events, pings and the end", "retry: 1000\n\n" +
			"id: 7:0\ndata: " + tx("7") + "\n\n" +
			": ping\n\n" +
			"id: 7:1\ndata: " + tx("7") + "\n\n" +
			"id: 8:0\ndata:" + tx("8") + "\n\n" +
			"event: end\ndata: \"too far behind (3 blocks); resume with from_height=9\"\n\n",
			map[int64]int32{7: 2, 8: 1}, "end too far behind (3 blocks)"},
		{"CRLF lines, an event type that does not last", "event: other\r\n\r\ndata: " + tx("5") + "\r\n\r\n",
			map[int64]int32{5: 1}, "EOF without an end event"},
		{"valid_blocks", "id: 3\ndata: {\"height\":3,\"hash\":\"AB\",\"transaction_ids\":[\"ab\"]}\n\n",
			map[int64]int32{3: 1}, "EOF without an end event"},
		{"a line over the limit", "id: 1:0\ndata: " + tx("1") + "\n\ndata: " + strings.Repeat("x", maxSSELine) + "\n\n",
			map[int64]int32{1: 1}, "line over 1048576 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := &conn{sse: io.NopCloser(strings.NewReader(c.stream))}
			conn.readSSE(64)
			got := map[int64]int32{}
			for _, s := range conn.heights {
				got[s.h] += s.n
			}
			if !maps.Equal(got, c.want) {
				t.Errorf("messages per height %v, want %v", got, c.want)
			}
			if conn.ended != c.ended {
				t.Errorf("ended %q, want %q", conn.ended, c.ended)
			}
		})
	}
}
