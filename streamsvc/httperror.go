package streamsvc

import (
	"encoding/json"
	"net/http"

	"github.com/cometstream/cometstream/wire"
)

// WriteError writes the JSON error body used by every HTTP endpoint,
// wire.Error: {"message": ..., "status": ...}, the shape Planetmint's Web
// API uses.
func WriteError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, wire.Error{Message: message, Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"encoding the response failed","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
