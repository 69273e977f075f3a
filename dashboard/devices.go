package dashboard

import (
	"net/http"
	"time"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// DeviceView is one device in GET /api/devices.
type DeviceView struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Hostname   string    `json:"hostname"`
	Platform   string    `json:"platform"`
	AppVersion string    `json:"app_version,omitempty"`
	Local      bool      `json:"local"`
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	// LastSeen is this device's last flush, another device's last
	// contact with the sync server.
	LastSeen time.Time    `json:"last_seen,omitzero"`
	Today    report.Usage `json:"today"`
	Month    report.Usage `json:"month"`
}

// DeviceTotals is the sum over every device.
type DeviceTotals struct {
	Today report.Usage `json:"today"`
	Month report.Usage `json:"month"`
}

// Devices is the body of GET /api/devices.
type Devices struct {
	// Today and Month name the periods, in the machine's zone (TimeZone).
	Today    string       `json:"today"`
	Month    string       `json:"month"`
	TimeZone string       `json:"tz"`
	Devices  []DeviceView `json:"devices"`
	All      DeviceTotals `json:"all"`
	Sync     SyncState    `json:"sync"`
}

// devices lists every device this machine knows (itself, and those sync
// pulled) with today's and this month's usage. This device's totals
// include the traffic not flushed yet, like /api/today.
func (s *Server) devices(w http.ResponseWriter, r *http.Request) {
	for k := range r.URL.Query() {
		s.fail(w, r, badParam(k, "unknown parameter: /api/devices takes none"))
		return
	}
	devs, err := s.st.Devices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prefs, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr := prefs.Pricing()
	loc := s.st.Location()
	now := s.opts.Now().In(loc)
	day := store.DateOf(now)
	monthStart := store.Date{Year: day.Year, Month: day.Month, Day: 1}
	out := Devices{
		Today: day.String(), Month: now.Format("2006-01"), TimeZone: loc.String(),
		Devices: make([]DeviceView, 0, len(devs)), Sync: s.syncState(),
	}
	var all [4]uint64
	for _, d := range devs {
		ts, tr, ms, mr := d.TodaySent, d.TodayRecv, d.MonthSent, d.MonthRecv
		if d.Local && s.live != nil {
			us, ur := s.live.Unflushed(day.Start(loc), "")
			ts, tr = ts+us, tr+ur
			us, ur = s.live.Unflushed(monthStart.Start(loc), "")
			ms, mr = ms+us, mr+ur
		}
		all[0], all[1], all[2], all[3] = all[0]+ts, all[1]+tr, all[2]+ms, all[3]+mr
		out.Devices = append(out.Devices, DeviceView{
			ID: d.UUID, Name: d.Name, Hostname: d.Hostname, Platform: d.Platform, AppVersion: d.AppVersion,
			Local: d.Local, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen,
			Today: pr.Usage(ts, tr), Month: pr.Usage(ms, mr),
		})
	}
	out.All = DeviceTotals{Today: pr.Usage(all[0], all[1]), Month: pr.Usage(all[2], all[3])}
	writeJSON(w, http.StatusOK, out)
}
