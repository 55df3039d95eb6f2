package txbuild

import (
	"crypto/ed25519"
	"crypto/rand"

	"github.com/cometstream/cometstream/ledger/base58"
)

// KeyPair is an ed25519 key pair.
type KeyPair struct {
	priv ed25519.PrivateKey
}

// NewKeyPair returns a fresh random key pair.
func NewKeyPair() KeyPair {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic("txbuild: " + err.Error())
	}
	return KeyPair{priv: priv}
}

// KeyPairFromSeed derives the key pair of a 32-byte seed, as the drivers'
// Ed25519Keypair(seed) does; the same seed gives the same keys.
func KeyPairFromSeed(seed [32]byte) KeyPair {
	return KeyPair{priv: ed25519.NewKeyFromSeed(seed[:])}
}

// PublicKey is the base58 public key, as transactions write it.
func (k KeyPair) PublicKey() string { return base58.Encode(k.priv.Public().(ed25519.PublicKey)) }

// PrivateKey is the base58 seed, as the JavaScript driver writes private
// keys.
func (k KeyPair) PrivateKey() string { return base58.Encode(k.priv.Seed()) }

func (k KeyPair) publicKeyBytes() [32]byte {
	var pub [32]byte
	copy(pub[:], k.priv.Public().(ed25519.PublicKey))
	return pub
}

func (k KeyPair) sign(msg []byte) [64]byte {
	var sig [64]byte
	copy(sig[:], ed25519.Sign(k.priv, msg))
	return sig
}
