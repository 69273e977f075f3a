package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ExportColumns are the columns of an export, in order, for CSV and JSON.
var ExportColumns = []string{"bucket_start_utc", "bucket_start_local", "device", "nic", "bytes_sent", "bytes_received"}

// ExportOptions select what Export writes.
type ExportOptions struct {
	Format   string    // FormatCSV or FormatJSON
	Start    time.Time // inclusive; zero means from the beginning
	End      time.Time // exclusive; zero means no end
	Location *time.Location
	Scope    Scope
	// Progress, when set, is called now and then with the rows written.
	Progress func(rows int64)
}

// Export streams the buckets of a period, oldest first, one row per device,
// NIC and 15 minutes; rows are never all held in memory.
func (s *Store) Export(ctx context.Context, w io.Writer, o ExportOptions) (int64, error) {
	if o.Format != FormatCSV && o.Format != FormatJSON {
		return 0, fmt.Errorf("unknown export format %q: want csv or json", o.Format)
	}
	loc := o.Location
	if loc == nil {
		loc = s.loc
	}
	start, end := int64(-1<<62), int64(1<<62)
	if !o.Start.IsZero() {
		start = o.Start.Unix()
	}
	if !o.End.IsZero() {
		end = o.End.Unix()
	}
	q, err := s.resolveScope(ctx, o.Scope, "b")
	if err != nil {
		return 0, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.start, dv.uuid, n.name, b.sent, b.recv FROM buckets b
		JOIN nics n ON n.id = b.nic JOIN devices dv ON dv.id = b.device
		WHERE `+q.where+` AND b.start >= ? AND b.start < ? ORDER BY b.start, dv.uuid, n.name`, append(q.args, start, end)...)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer rows.Close()

	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	if o.Format == FormatCSV {
		cw = csv.NewWriter(bw)
		if err := cw.Write(ExportColumns); err != nil {
			return 0, err
		}
	} else if _, err := bw.WriteString("[\n"); err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		var ts, sent, recv int64
		var dev, nic string
		if err := rows.Scan(&ts, &dev, &nic, &sent, &recv); err != nil {
			return n, err
		}
		t := time.Unix(ts, 0)
		utc, local := t.UTC().Format(time.RFC3339), t.In(loc).Format(time.RFC3339)
		if cw != nil {
			err = cw.Write([]string{utc, local, dev, csvText(nic), strconv.FormatInt(sent, 10), strconv.FormatInt(recv, 10)})
		} else {
			if n > 0 {
				bw.WriteString(",\n")
			}
			var b []byte
			b, err = json.Marshal(exportRow{utc, local, dev, nic, uint64(sent), uint64(recv)})
			if err == nil {
				_, err = bw.Write(b)
			}
		}
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		n++
		if o.Progress != nil && n%10000 == 0 {
			o.Progress(n)
		}
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	} else if _, err := bw.WriteString("\n]\n"); err != nil {
		return n, err
	}
	if o.Progress != nil {
		o.Progress(n)
	}
	return n, bw.Flush()
}

// csvText keeps a spreadsheet from reading a name as a formula: a cell that
// starts with = + - @ (or a tab or carriage return) gets a leading quote,
// as OWASP recommends. NIC names come from the OS and from other devices.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

type exportRow struct {
	StartUTC   string `json:"bucket_start_utc"`
	StartLocal string `json:"bucket_start_local"`
	Device     string `json:"device"`
	NIC        string `json:"nic"`
	Sent       uint64 `json:"bytes_sent"`
	Recv       uint64 `json:"bytes_received"`
}
