package main

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table prints rows with the first column left-aligned and the others
// right-aligned (numbers), two spaces apart.
// text/tabwriter aligns every column the same way, hence this.
type table struct {
	rows [][]string
	// leftCols is how many leading columns (names, dates) are
	// left-aligned; 0 means the first one only.
	leftCols int
	// lastLeft left-aligns the last column (bars) instead of right-aligning it.
	lastLeft bool
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	left := max(t.leftCols, 1)
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case i < left:
				b.WriteString("  " + c + pad)
			case i == len(widths)-1 && t.lastLeft:
				b.WriteString("  " + c)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
	}
	// Trailing spaces of short rows are noise in a terminal and in tests.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}
