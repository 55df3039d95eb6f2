package node

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/cometstream/cometstream/tlsreload"
)

func (n *Node) webTLS() (*tls.Config, error) {
	w := n.cfg.WebAPI
	if w.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tlsreload.Load(w.TLSCertFile, w.TLSKeyFile, n.logger.Named("webapi"))
	if err != nil {
		return nil, fmt.Errorf("[webapi] TLS: %w", err)
	}
	n.certs = append(n.certs, cert)
	return cert.Config(), nil
}

// Reload re-reads the TLS certificates and the token file (SIGHUP). What
// fails to load is reported and the previous one stays in force.
func (n *Node) Reload() error {
	var errs []error
	for _, c := range n.certs {
		errs = append(errs, c.Reload())
	}
	if n.stream != nil {
		errs = append(errs, n.stream.Reload())
	}
	err := errors.Join(errs...)
	if err != nil {
		n.logger.Error("reload failed; previous certificates and tokens stay in force", "error", err)
	} else {
		n.logger.Info("certificates and tokens reloaded")
	}
	return err
}
