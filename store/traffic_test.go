package store

import "testing"

func TestTraffic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		a, b      Traffic
		wantSum   Traffic
		wantTotal uint64
	}{
		{"zero", Traffic{}, Traffic{}, Traffic{}, 0},
		{"sent only", Traffic{Sent: 5}, Traffic{Sent: 7}, Traffic{Sent: 12}, 12},
		{"both", Traffic{Sent: 1, Received: 10}, Traffic{Sent: 2, Received: 20}, Traffic{Sent: 3, Received: 30}, 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := tt.a.Add(tt.b)
			if sum != tt.wantSum || sum.Total() != tt.wantTotal {
				t.Errorf("%+v.Add(%+v) = %+v (total %d), want %+v (total %d)", tt.a, tt.b, sum, sum.Total(), tt.wantSum, tt.wantTotal)
			}
			if sum.IsZero() != (tt.wantTotal == 0) {
				t.Errorf("%+v.IsZero() = %v", sum, sum.IsZero())
			}
		})
	}
}
