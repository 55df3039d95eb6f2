package bench

import (
	"math"
	"slices"
)

// Percentile returns the p-th percentile (0 < p <= 100) of xs by the
// nearest-rank method, or NaN for no values. xs is sorted in place.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	rank := int(math.Ceil(p / 100 * float64(len(xs))))
	return xs[min(max(rank, 1), len(xs))-1]
}
