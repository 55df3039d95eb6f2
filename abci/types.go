package abci

import abcitypes "github.com/cometbft/cometbft/abci/types"

// The ABCI type names differ across CometBFT lines (v0.38-v0.40 use
// Request*/Response*); they are named here only, so that moving to another
// line touches one file.
type (
	application           = abcitypes.Application
	requestFinalizeBlock  = abcitypes.RequestFinalizeBlock
	responseFinalizeBlock = abcitypes.ResponseFinalizeBlock
	requestCommit         = abcitypes.RequestCommit
	responseCommit        = abcitypes.ResponseCommit
	execTxResult          = abcitypes.ExecTxResult
)

// codeOK is the result code of a transaction the application accepted.
const codeOK = abcitypes.CodeTypeOK
