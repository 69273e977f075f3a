package netid

import "testing"

func TestPrintableSSID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Home", "Home"},
		{"Café 5G ☕", "Café 5G ☕"},
		{`back\slash "quoted"`, `back\slash "quoted"`},
		{"tab\there", `tab\x09here`},
		{"nul\x00", `nul\x00`},
		{"latin1 caf\xe9", `latin1 caf\xe9`},
		{"\xff\xfe", `\xff\xfe`},
		{"del\u007f c1\u0085", `del\x7f c1\xc2\x85`},
	} {
		if got := printableSSID(tc.in); got != tc.want {
			t.Errorf("printableSSID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
