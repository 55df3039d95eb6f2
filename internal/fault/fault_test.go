package fault_test

import (
	"testing"

	"github.com/cometstream/cometstream/internal/fault"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    fault.Plan
		wantErr bool
	}{
		{"", fault.Plan{}, false},
		{"after-finalize@3", fault.Plan{Point: fault.AfterFinalize, Height: 3}, false},
		{"mid-log-write@12", fault.Plan{Point: fault.MidLogWrite, Height: 12}, false},
		{"after-finalize", fault.Plan{}, true},
		{"after-finalize@0", fault.Plan{}, true},
		{"after-finalize@x", fault.Plan{}, true},
		{"somewhere@3", fault.Plan{}, true},
	}
	for _, tt := range tests {
		got, err := fault.Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	p := fault.Plan{Point: fault.AfterLogWrite, Height: 4}
	if !p.Hit(fault.AfterLogWrite, 4) || p.Hit(fault.AfterLogWrite, 5) || p.Hit(fault.AfterFinalize, 4) {
		t.Error("Hit fires at the wrong place")
	}
	if (fault.Plan{}).Armed() || !p.Armed() {
		t.Error("Armed wrong")
	}
}
