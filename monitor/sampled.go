package monitor

// Sampled returns a channel that is closed when the next sample has been
// accounted. The tray and the dashboard refresh on it instead of running
// tickers of their own: one wake-up a second for the whole app, and the
// speed they show is never a tick behind the reading.
func (m *Monitor) Sampled() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sampled == nil {
		m.sampled = make(chan struct{})
	}
	return m.sampled
}

// notifySampled wakes the waiters of Sampled; m.mu is held.
func (m *Monitor) notifySampled() {
	if m.sampled != nil {
		close(m.sampled)
		m.sampled = nil
	}
}
