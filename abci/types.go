package abci

import abcitypes "github.com/cometbft/cometbft/abci/types"

// application is abcitypes.Application under a name of the package's own,
// so that App embeds it as an unexported field (the wrapped app is not
// part of App's API). The public signatures spell abcitypes' names, which
// are the same on every supported line (v0.38 to v0.40), so that go doc
// shows types an embedder can look up.
type application = abcitypes.Application

// codeOK is the result code of a transaction the application accepted.
const codeOK = abcitypes.CodeTypeOK
