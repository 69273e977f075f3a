package store

// Traffic is a number of bytes sent and received.
type Traffic struct {
	Sent     uint64
	Received uint64
}

// Add returns the sum of t and o.
func (t Traffic) Add(o Traffic) Traffic {
	return Traffic{Sent: t.Sent + o.Sent, Received: t.Received + o.Received}
}

// Total returns the bytes sent and received together.
func (t Traffic) Total() uint64 { return t.Sent + t.Received }

// IsZero reports whether no byte was sent or received.
func (t Traffic) IsZero() bool { return t == Traffic{} }
