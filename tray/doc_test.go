package tray

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDoc checks that each package here has exactly one package
// comment, in its doc.go.
func TestPackageDoc(t *testing.T) {
	for _, dir := range []string{".", "internal/icon", "internal/icon/gen"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		var withDoc []string
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, name, src, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil {
				withDoc = append(withDoc, filepath.Base(name))
			}
		}
		want := "doc.go"
		if dir == "internal/icon/gen" {
			want = "main.go" // a command documents itself in main.go
		}
		if len(withDoc) != 1 || withDoc[0] != want {
			t.Errorf("%s: files with a package comment: %v, want [%s]", dir, withDoc, want)
		}
	}
}
