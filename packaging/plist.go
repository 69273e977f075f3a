package packaging

import (
	"bytes"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"
)

// The launchd agent. Only autostart_darwin.go installs it; it lives in a
// file without a build tag so that generating and parsing it is tested
// everywhere.

// launchAgentLabel names the agent to launchd and names its file.
const launchAgentLabel = "io.github.packetbuddy"

// The agent starts PacketBuddy at login (RunAtLoad) and restarts it only if it
// crashes (KeepAlive.SuccessfulExit=false): Quit in the tray exits with status
// 0 and must stay quit. Aqua limits it to graphical logins, where a tray icon
// has somewhere to go, and Interactive gives it an app's resource limits
// rather than a background job's throttling.
//
//go:embed launchagent.plist.tmpl
var launchAgentText string

var launchAgentTemplate = template.Must(template.New("plist").
	Funcs(template.FuncMap{"xml": xmlEscape}).
	Parse(launchAgentText))

// launchAgentPlist renders the agent that launches exe.
func launchAgentPlist(exe string) ([]byte, error) {
	if err := checkXMLText(exe); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err := launchAgentTemplate.Execute(&b, struct{ Label, Exe string }{launchAgentLabel, exe})
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// xmlEscape is the template's xml function.
func xmlEscape(s string) (string, error) {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkXMLText refuses strings that XML 1.0 cannot carry. xml.EscapeText
// would quietly replace such characters with U+FFFD, and the agent would
// then name a file that does not exist.
func checkXMLText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("path %q is not valid UTF-8 and cannot be put in a property list", s)
	}
	for _, r := range s {
		ok := r == '\t' || r == '\n' || r == '\r' ||
			r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD ||
			r >= 0x10000 && r <= 0x10FFFF
		if !ok {
			return fmt.Errorf("path %q contains %U, which a property list cannot carry", s, r)
		}
	}
	return nil
}

// plistNode is any element of a property list, kept generic so that an agent
// edited by hand (keys reordered, values of another type) still parses.
type plistNode struct {
	XMLName  xml.Name
	Text     string      `xml:",chardata"`
	Children []plistNode `xml:",any"`
}

// parsePlist decodes an XML property list whose top value is a dictionary.
// Values become map[string]any, []any, string, bool, int64 and float64;
// dates and data stay as their text.
func parsePlist(data []byte) (map[string]any, error) {
	var root plistNode
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("property list: %w", err)
	}
	if root.XMLName.Local != "plist" || len(root.Children) != 1 {
		return nil, errors.New("property list: want one value inside <plist>")
	}
	v, err := plistValue(root.Children[0])
	if err != nil {
		return nil, err
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("property list: top value is not a dictionary")
	}
	return dict, nil
}

// plistValue decodes one element of a property list, as parsePlist says.
func plistValue(n plistNode) (any, error) {
	switch n.XMLName.Local {
	case "dict":
		if len(n.Children)%2 != 0 {
			return nil, errors.New("property list: dictionary key without a value")
		}
		d := make(map[string]any, len(n.Children)/2)
		for i := 0; i < len(n.Children); i += 2 {
			k := n.Children[i]
			if k.XMLName.Local != "key" {
				return nil, fmt.Errorf("property list: <%s> where a <key> belongs", k.XMLName.Local)
			}
			v, err := plistValue(n.Children[i+1])
			if err != nil {
				return nil, err
			}
			d[k.Text] = v
		}
		return d, nil
	case "array":
		a := make([]any, 0, len(n.Children))
		for _, c := range n.Children {
			v, err := plistValue(c)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case "string", "date", "data":
		return n.Text, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "integer":
		return strconv.ParseInt(strings.TrimSpace(n.Text), 10, 64)
	case "real":
		return strconv.ParseFloat(strings.TrimSpace(n.Text), 64)
	default:
		return nil, fmt.Errorf("property list: unknown element <%s>", n.XMLName.Local)
	}
}

// parseLaunchAgent reads back an agent: the executable launchd starts
// (Program if set, which launchd prefers, else ProgramArguments[0]) and
// whether the agent carries Disabled=true. path is "" when neither is there.
func parseLaunchAgent(data []byte) (path string, disabled bool, err error) {
	d, err := parsePlist(data)
	if err != nil {
		return "", false, err
	}
	disabled, _ = d["Disabled"].(bool)
	if p, ok := d["Program"].(string); ok && p != "" {
		return p, disabled, nil
	}
	if args, ok := d["ProgramArguments"].([]any); ok && len(args) > 0 {
		p, _ := args[0].(string)
		return p, disabled, nil
	}
	return "", disabled, nil
}
