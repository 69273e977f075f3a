package cloudsync

import "testing"

func TestRedactURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"connect to postgres://db.example:5432/pb: timeout", "connect to db.example:5432/pb: timeout"},
		{"dial postgres://ann:hunter2@db.example:5432/pb?sslmode=require&password=hunter2 failed", "dial db.example:5432/pb failed"},
		{"see postgresql://ann:hunter2@[::1]:5432/pb", "see [::1]:5432/pb"},
		{"no address here: connection refused", "no address here: connection refused"},
		{"weird postgres://%zz", "weird (database address)"},
		{"cannot parse `postgres://pb:xxxxx@127.0.0.1:99999999/x`: invalid port", "cannot parse `127.0.0.1:99999999/x`: invalid port"},
		{`two: "postgres://a@h1/x" and POSTGRES://b:pw@h2:6543/y?password=pw`, `two: "h1/x" and h2:6543/y`},
		{"already redacted: db.example:5432/pb", "already redacted: db.example:5432/pb"},
		{"", ""},
	} {
		if got := RedactURLs(tc.in); got != tc.want {
			t.Errorf("RedactURLs(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := RedactURLs(tc.want); got != tc.want {
			t.Errorf("RedactURLs of its own output %q = %q: not stable", tc.want, got)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://ann:hunter2@db.example/pb?sslmode=require", "postgres://db.example:5432/pb"},
		{"postgresql://ann@[::1]:6543/pb", "postgres://[::1]:6543/pb"},
		{"host=/var/run/postgresql user=ann password=hunter2 dbname=pb", "postgres:///var/run/postgresql/pb"},
		{"postgres://ann:hunter2@db.example:notaport/pb", "(unparsable database URL)"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactMessage(t *testing.T) {
	t.Parallel()
	const conn = "host=db.example user=ann password='s3cr&t pw' dbname=pb"
	for _, tc := range []struct{ in, want string }{
		{"auth failed for s3cr&t pw", "auth failed for ********"},
		{"query had s3cr%26t+pw in it", "query had ******** in it"},
		{"echo " + conn, "echo host=db.example user=ann password='********' dbname=pb"},
		{"dial postgres://ann:other@db.example/pb?password=x", "dial db.example/pb"},
	} {
		if got := redactMessage(tc.in, secrets(conn)); got != tc.want {
			t.Errorf("redactMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStatusSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		st   Status
		want string
	}{
		{"not configured", Status{State: StateNotConfigured}, SummaryOff},
		{"not configured though enabled", Status{State: StateNotConfigured, Enabled: true}, SummaryOff},
		{"switched off", Status{State: StateDisabled, Configured: true}, SummaryOff},
		{"switched off after failures", Status{State: StateDisabled, Configured: true, Failures: 3, Permanent: true}, SummaryOff},
		{"idle", Status{State: StateIdle, Configured: true, Enabled: true}, SummaryOK},
		{"syncing", Status{State: StateSyncing, Configured: true, Enabled: true}, SummaryOK},
		{"retrying", Status{State: StateRetrying, Configured: true, Enabled: true, Failures: 1}, SummaryFailing},
		{"syncing while retrying", Status{State: StateSyncing, Configured: true, Enabled: true, Failures: 2}, SummaryFailing},
		{"failed for good", Status{State: StateFailed, Configured: true, Enabled: true, Permanent: true}, SummaryFailing},
	} {
		if got := tc.st.Summary(); got != tc.want {
			t.Errorf("%s: Summary() = %q, want %q", tc.name, got, tc.want)
		}
	}
}
