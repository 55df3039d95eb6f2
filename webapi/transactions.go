package webapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cometbft/cometbft/mempool"

	"github.com/cometstream/cometstream/ledger"
)

// postTransaction serves POST /api/v1/transactions?mode=async|sync|commit.
//
// The body is validated against committed state first, exactly as
// CheckTx does, so that a client learns what is wrong (400) without
// CometBFT's involvement; then it goes to the mempool. async answers once
// the mempool took it, sync once CheckTx passed, commit once the block
// holding it is committed, so a read after a commit answer sees it. 202
// with the transaction as the body means accepted, as in Planetmint. A
// commit post past the cap on waiting ones gets 503 with Retry-After and
// is not submitted.
func (a *API) postTransaction(w http.ResponseWriter, r *http.Request) {
	mode := r.URL.Query().Get("mode")
	switch mode {
	case "":
		mode = "async"
	case "async", "sync", "commit":
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("mode %q must be async, sync or commit", mode))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("transaction larger than %d bytes", tooBig.Limit))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the request body failed: "+err.Error())
		return
	}
	if err := a.cfg.Ledger.Validate(body); err != nil {
		a.refuse(w, "validate", err)
		return
	}
	if a.broadcast(r.Context(), w, mode, body) {
		writeBody(w, http.StatusAccepted, body)
	}
}

// refuse answers a validation error: 400 for a refused transaction, 500
// for a failure of the node.
func (a *API) refuse(w http.ResponseWriter, stage string, err error) {
	var rej *ledger.RejectError
	if errors.As(err, &rej) {
		a.log.Debug("transaction refused", "stage", stage, "code", rej.Code, "reason", rej.Msg, "detail", rej.Detail)
		writeRefusal(w, rej.Code, rej.Exception(), rej.Msg, rej.Detail)
		return
	}
	a.log.Error("validating a transaction failed", "error", err)
	writeError(w, http.StatusInternalServerError, "the node could not validate the transaction")
}

// broadcast submits tx in mode and reports whether it was accepted; when
// not, it has written the error.
func (a *API) broadcast(ctx context.Context, w http.ResponseWriter, mode string, tx []byte) bool {
	b := a.cfg.Broadcaster
	var code uint32
	var log string
	var err error
	switch mode {
	case "async":
		_, err = b.BroadcastTxAsync(ctx, tx)
	case "sync":
		res, e := b.BroadcastTxSync(ctx, tx)
		if err = e; err == nil {
			code, log = res.Code, res.Log
		}
	case "commit":
		cctx, cancel := context.WithTimeout(ctx, a.cfg.CommitTimeout)
		defer cancel()
		res, e := b.BroadcastTxCommit(cctx, tx)
		if err = e; err == nil {
			code, log = res.CheckTx.Code, res.CheckTx.Log
			if code == 0 {
				// Refused in its block, e.g. another transaction of the
				// block spent the same output first.
				code, log = res.TxResult.Code, res.TxResult.Log
			}
		} else if cctx.Err() != nil && ctx.Err() == nil {
			writeError(w, http.StatusGatewayTimeout, fmt.Sprintf("the transaction was accepted but not committed within %s; it may still be", a.cfg.CommitTimeout))
			return false
		}
	}
	var full mempool.ErrMempoolIsFull
	switch {
	case errors.Is(err, ErrTooManyWaiters):
		// 503, not 429: the node is at capacity, whoever asks; the
		// transaction was not submitted, so a retry cannot duplicate it.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "too many transactions are waiting for their block, retry later or use mode=sync")
	case errors.Is(err, mempool.ErrTxInCache):
		writeRefusal(w, ledger.CodeDuplicate, ledger.CodeName(ledger.CodeDuplicate), "the transaction is already in the mempool", "")
	case errors.As(err, &full):
		writeError(w, http.StatusServiceUnavailable, "the mempool is full, retry later: "+err.Error())
	case err != nil && ctx.Err() != nil:
		// The client went away; nobody reads this answer.
		a.log.Debug("client left before the broadcast ended", "mode", mode, "error", err)
		writeError(w, http.StatusServiceUnavailable, "request cancelled")
	case err != nil:
		a.log.Error("broadcasting a transaction failed", "mode", mode, "error", err)
		writeError(w, http.StatusInternalServerError, "submitting the transaction to CometBFT failed: "+err.Error())
	case code != 0:
		a.log.Debug("transaction refused", "stage", mode, "code", code, "reason", log)
		// CometBFT carries the code and the Log (the message) only.
		writeRefusal(w, code, ledger.Exception(code, log), log, "")
	default:
		return true
	}
	return false
}

// getTransaction serves GET /api/v1/transactions/{id}: the committed
// transaction as it was submitted.
func (a *API) getTransaction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	raw, found, err := a.cfg.Ledger.Transaction(id)
	switch {
	case err != nil:
		a.internal(w, err)
	case !found:
		writeError(w, http.StatusNotFound, "Not found: no committed transaction "+id)
	default:
		writeBody(w, http.StatusOK, raw)
	}
}

func (a *API) internal(w http.ResponseWriter, err error) {
	a.log.Error("reading the ledger failed", "error", err)
	writeError(w, http.StatusInternalServerError, "the node could not read its ledger")
}
