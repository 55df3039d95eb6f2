package events

// WithoutSync returns cfg with every fsync skipped, for fuzz tests that open
// stores by the thousand. Durability is not what they test.
func WithoutSync(cfg SegmentConfig) SegmentConfig {
	cfg.noSync = true
	return cfg
}
