package cloudsync

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Redaction rules: a database is shown as host:port/database only (Redact),
// and every message the Syncer keeps or returns first loses the password in
// all its spellings (scrub) and then every URL's user, password and query
// (RedactURLs). redactMessage applies both; nothing else in PacketBuddy
// redacts.

// Redact describes a connection string as postgres://host:port/database only.
func Redact(conn string) string {
	if conn == "" {
		return ""
	}
	cfg, err := pgconn.ParseConfig(conn)
	if err != nil {
		return "(unparsable database URL)"
	}
	return describeTarget(cfg)
}

// describeTarget is Redact of a parsed configuration.
func describeTarget(cfg *pgconn.Config) string {
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return "postgres://" + host + "/" + cfg.Database
}

// secrets returns the strings that must never be shown: the password in
// every spelling a URL may use, and the whole connection string.
func secrets(conn string) []string {
	var out []string
	if cfg, err := pgconn.ParseConfig(conn); err == nil && cfg.Password != "" {
		out = append(out, cfg.Password)
		out = append(out, url.QueryEscape(cfg.Password), url.PathEscape(cfg.Password))
	}
	if u, err := url.Parse(conn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	// A library may echo the whole string.
	if conn != "" {
		out = append(out, conn)
	}
	return out
}

// scrub removes every secret from a message. Secrets shorter than three
// characters are left: replacing them would mangle the rest of the text.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "********")
		}
	}
	return msg
}

// urlInText matches a URL inside a message.
var urlInText = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// RedactURLs shows every URL in msg as host and path only, so that user
// names, passwords and query parameters (password=...) never reach the
// tray, the API or the CLI, even from a message a library or the server
// wrote. A URL that does not parse becomes "(database address)".
func RedactURLs(msg string) string {
	return urlInText.ReplaceAllStringFunc(msg, func(m string) string {
		u, err := url.Parse(m)
		if err != nil || u.Host == "" {
			return "(database address)"
		}
		return u.Host + u.EscapedPath()
	})
}

// redactMessage is msg as it may be shown: without the secrets of sec and
// with every URL redacted.
func redactMessage(msg string, sec []string) string {
	return RedactURLs(scrub(msg, sec))
}
