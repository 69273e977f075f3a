package store

import (
	"bufio"
	"context"
	"database/sql"
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
var ExportColumns = []string{"bucket_start_utc", "bucket_start_local", "device", "nic", "network", "network_label", "bytes_sent", "bytes_received"}

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
// NIC, network and 15 minutes; rows are never all held in memory. When both Start
// and End are set, the dates they cover must pass CheckRange; that and an
// unknown scope are a *QueryError, returned before anything is written.
func (s *Store) Export(ctx context.Context, w io.Writer, o ExportOptions) (int64, error) {
	if o.Format != FormatCSV && o.Format != FormatJSON {
		return 0, fmt.Errorf("unknown export format %q: want csv or json", o.Format)
	}
	if o.Location == nil {
		o.Location = s.loc
	}
	if !o.Start.IsZero() && !o.End.IsZero() {
		from := DateOf(o.Start.In(o.Location))
		to := DateOf(o.End.Add(-time.Nanosecond).In(o.Location)) // End is exclusive
		if err := CheckRange(from, to); err != nil {
			return 0, err
		}
	}
	rows, err := s.exportRows(ctx, o)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	return writeExport(ctx, newExportWriter(w, o.Format), rows, o)
}

// writeExport writes every row of rows, as exportRows selects them.
func writeExport(ctx context.Context, ew *exportWriter, rows *sql.Rows, o ExportOptions) (int64, error) {
	if err := ew.begin(); err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		var r exportRow
		var ts, sent, recv int64
		if err := rows.Scan(&ts, &r.Device, &r.NIC, &r.Network, &r.NetworkLabel, &sent, &recv); err != nil {
			return n, err
		}
		t := time.Unix(ts, 0)
		r.StartUTC, r.StartLocal = t.UTC().Format(time.RFC3339), t.In(o.Location).Format(time.RFC3339)
		r.Sent, r.Recv = uint64(sent), uint64(recv)
		if err := ew.row(r); err != nil {
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
	if err := ew.end(); err != nil {
		return n, err
	}
	if o.Progress != nil {
		o.Progress(n)
	}
	return n, nil
}

// exportRows queries the buckets Export writes, in its order.
func (s *Store) exportRows(ctx context.Context, o ExportOptions) (*sql.Rows, error) {
	start, end := int64(-1<<62), int64(1<<62)
	if !o.Start.IsZero() {
		start = o.Start.Unix()
	}
	if !o.End.IsZero() {
		end = o.End.Unix()
	}
	q, err := s.resolveScope(ctx, o.Scope, "b")
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.start, dv.uuid, n.name, nw.key, nw.label, b.sent, b.recv FROM buckets b
		JOIN nics n ON n.id = b.nic JOIN devices dv ON dv.id = b.device JOIN networks nw ON nw.id = b.network
		WHERE `+q.where+` AND b.start >= ? AND b.start < ? ORDER BY b.start, dv.uuid, n.name, nw.key`, append(q.args, start, end)...)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return rows, nil
}

// exportWriter writes export rows as CSV or as a JSON array, buffered.
type exportWriter struct {
	bw   *bufio.Writer
	csv  *csv.Writer // nil for JSON
	rows int
}

func newExportWriter(w io.Writer, format string) *exportWriter {
	ew := &exportWriter{bw: bufio.NewWriterSize(w, 64<<10)}
	if format == FormatCSV {
		ew.csv = csv.NewWriter(ew.bw)
	}
	return ew
}

// begin writes the CSV header or opens the JSON array.
func (ew *exportWriter) begin() error {
	if ew.csv != nil {
		return ew.csv.Write(ExportColumns)
	}
	_, err := ew.bw.WriteString("[\n")
	return err
}

func (ew *exportWriter) row(r exportRow) error {
	ew.rows++
	if ew.csv != nil {
		return ew.csv.Write([]string{r.StartUTC, r.StartLocal, r.Device, csvText(r.NIC), csvText(r.Network), csvText(r.NetworkLabel),
			strconv.FormatUint(r.Sent, 10), strconv.FormatUint(r.Recv, 10)})
	}
	if ew.rows > 1 {
		ew.bw.WriteString(",\n")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = ew.bw.Write(b)
	return err
}

// end closes the JSON array and flushes everything to the writer.
func (ew *exportWriter) end() error {
	if ew.csv != nil {
		ew.csv.Flush()
		if err := ew.csv.Error(); err != nil {
			return err
		}
	} else if _, err := ew.bw.WriteString("\n]\n"); err != nil {
		return err
	}
	return ew.bw.Flush()
}

// csvText keeps a spreadsheet from reading a name as a formula: a cell that
// starts with = + - @ (or a tab or carriage return) gets a leading quote,
// as OWASP recommends. NIC names and SSIDs come from the OS and from other
// devices, labels from the user.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

type exportRow struct {
	StartUTC     string `json:"bucket_start_utc"`
	StartLocal   string `json:"bucket_start_local"`
	Device       string `json:"device"`
	NIC          string `json:"nic"`
	Network      string `json:"network"`
	NetworkLabel string `json:"network_label"`
	Sent         uint64 `json:"bytes_sent"`
	Recv         uint64 `json:"bytes_received"`
}
