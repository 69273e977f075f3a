// Package report is how PacketBuddy shows usage: the units of sizes and
// rates, prices and costs, and the JSON usage shape that the CLI's --json,
// the HTTP API and the exports share. It sits above package store, which
// only keeps and sums bytes, so every view formats numbers the same way.
package report
