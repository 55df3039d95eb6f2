package webapi

import (
	"net/http"

	"github.com/cometstream/cometstream/ledger"
)

// writeRefusal answers a refused transaction with 400 in Planetmint's
// shape and wording (ledger.PlanetmintMessage: "Invalid transaction
// (AmountError): ..."), which clients compare word for word. The
// ledger's stable result code, which Planetmint has no field for, goes in
// "code"; where the message is Planetmint's, this ledger's more exact
// account goes in "detail".
func writeRefusal(w http.ResponseWriter, code uint32, exception, msg, detail string) {
	body := map[string]any{
		"message": ledger.PlanetmintMessage(exception, msg),
		"status":  http.StatusBadRequest,
		"code":    code,
	}
	if detail != "" {
		body["detail"] = detail
	}
	writeJSON(w, http.StatusBadRequest, body)
}
