// Package e2e checks the built packetbuddy binary against real kernel
// counters. It has no code of its own, only Linux tests.
//
// The tests build the binary once per test process (go build, reusing the
// build cache), create two network namespaces per test joined by a veth pair
// that carries only link-local IPv4 (169.254.77.1 <-> 169.254.77.2, static
// neighbour entries, IPv6 off, so no background traffic moves the counters),
// run `packetbuddy --headless` inside namespace A and push a known number of
// bytes through the veth with helper processes (the test binary itself,
// re-executed; see TestMain). The bytes the app reports through its CLI must
// equal the kernel's counter difference for the veth, to the byte
// (DESIGN.md, "Accounting invariants"), across a graceful stop, a kill -9
// with traffic while the app is down, and the NIC being deleted and
// re-created; a second instance on the same data directory is refused.
//
// One test gives the veth a default route through its peer and changes the
// peer's MAC address twice while one connection stays open: another
// gateway is another network, and each network's totals must equal the
// kernel's bytes over its phases, through a kill -9 and a restart.
//
// Every test has its own namespaces, data directory and dashboard (on its
// namespace's own loopback), so the tests run in parallel. The running
// binary uses the real clock, and the tests ask only for lifetime totals and
// all gaps, so they do not depend on the date.
//
// The tests need root and iproute2's `ip`. Without them they skip, unless
// PACKETBUDDY_TEST_REQUIRE is "all" or a comma list containing "netns":
// then they fail.
package e2e
