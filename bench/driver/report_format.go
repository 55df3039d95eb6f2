package driver

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// reportFuncs format numbers for the report: thousands separators, units
// chosen by size, "–" for nothing measured.
var reportFuncs = template.FuncMap{
	"int":  func(n any) string { return fmtInt(toInt(n)) },
	"ns":   fmtNs,
	"us":   func(us float64) string { return fmtNs(1000 * us) },
	"ms":   fmtMs,
	"rate": fmtRate,
	"lat": func(t any) string {
		switch t := t.(type) {
		case Trial:
			return fmtLatency(&t)
		case *Trial:
			return fmtLatency(t)
		}
		return "–"
	},
	"counts": fmtCounts,
	"pct": func(x float64) string {
		if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", 100*x)
	},
	"pct1": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"of": func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	},
	"f0":   func(x float64) string { return fmt.Sprintf("%.0f", x) },
	"f1":   func(x float64) string { return fmt.Sprintf("%.1f", x) },
	"f2":   func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"list": func(s ...string) []string { return s },
	"join": func(xs []int64) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = fmtInt(x)
		}
		return strings.Join(s, ", ")
	},
	"first": func(s string) string { f, _, _ := strings.Cut(s, " "); return f },
	"trim":  strings.TrimSpace,
	// The names the report's text takes from the driver.
	"targetTxResults":     func() string { return TargetTxResults },
	"targetCometBFTQuery": func() string { return TargetCometBFTQuery },
	"benchQuery":          func() string { return BenchQuery },
}

func toInt(n any) int64 {
	switch n := n.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(math.Round(n))
	}
	return 0
}

func fmtLatency(t *Trial) string {
	if t == nil || t.Delivered == 0 || t.LatMax == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", fmtMs(t.LatP50), fmtMs(t.LatP99), fmtMs(t.LatMax))
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.2f", ms)
	}
}

// fmtNs writes a duration in ns with a readable unit.
func fmtNs(ns float64) string {
	switch {
	case ns == 0 || math.IsNaN(ns):
		return "–"
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

func fmtRate(v float64) string {
	switch {
	case v == 0 || math.IsNaN(v):
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// fmtCounts writes "2 × reason; 1 × other", "none" for no counts.
func fmtCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", m[k], strings.ReplaceAll(k, "|", "/"))
	}
	return strings.Join(parts, "; ")
}
