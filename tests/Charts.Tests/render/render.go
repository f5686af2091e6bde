// render: `helm template` for one chart without subcharts, built from Debian's Go packages so the
// chart can be rendered where helm is not packaged. It follows Helm 3's engine: values.yaml
// coalesced with -f files (maps merge, null deletes a key) and --set a.b=v, sprig's functions
// without env/expandenv plus Helm's include, tpl, required, toYaml, fromYaml, toJson, fromJson;
// missingkey=zero with "<no value>" blanked. Not implemented, so a chart using them fails to
// render: lookup, toToml, .Files.Glob/AsConfig/AsSecrets, subcharts, schema validation.
//
// usage: render [-f values.yaml]... [--set path=value]... [-name R] [-namespace N] [-notes|-values-json|-json] <chart dir>
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// Chart is the subset of Chart.yaml a template reads, with Helm's field names (.Chart.AppVersion).
type Chart struct {
	APIVersion  string `json:"apiVersion"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
	Description string `json:"description"`
	Type        string `json:"type"`
}

// Files is .Files: only Get and GetBytes, relative to the chart directory.
type Files struct{ dir string }

func (f Files) GetBytes(name string) []byte {
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)))
	if err != nil {
		return nil // Helm returns empty for a missing file too
	}
	return b
}
func (f Files) Get(name string) string { return string(f.GetBytes(name)) }

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func main() {
	var valueFiles, sets, apis list
	flag.Var(&valueFiles, "f", "values file (repeatable, later wins)")
	flag.Var(&sets, "set", "path=value (repeatable; value parsed as YAML)")
	flag.Var(&apis, "api-versions", "extra API versions for .Capabilities.APIVersions.Has")
	name := flag.String("name", "gpt1", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "print templates/NOTES.txt only")
	asJSON := flag.Bool("json", false, "print the objects as one JSON array instead of YAML documents")
	valuesJSON := flag.Bool("values-json", false, "print the coalesced values as JSON only")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: render [-f values.yaml]... [--set path=value]... [-name R] [-namespace N] [-notes|-values-json|-json] <chart dir>")
	}
	dir := flag.Arg(0)

	var chart Chart
	must(readYAML(filepath.Join(dir, "Chart.yaml"), &chart))
	values := map[string]interface{}{}
	must(readYAML(filepath.Join(dir, "values.yaml"), &values))
	for _, file := range valueFiles {
		user := map[string]interface{}{}
		must(readYAML(file, &user))
		values = coalesce(values, user)
	}
	for _, s := range sets {
		must(setPath(values, s))
	}
	if *valuesJSON {
		out, err := json.MarshalIndent(values, "", "  ")
		must(err)
		fmt.Println(string(out))
		return
	}

	top := map[string]interface{}{
		"Values":  values,
		"Chart":   chart,
		"Files":   Files{dir},
		"Release": map[string]interface{}{"Name": *name, "Namespace": *namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.31.0", "GitVersion": "v1.31.0", "Major": "1", "Minor": "31"},
			"APIVersions": append(apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1"}, apis...),
		},
	}
	docs, notesText, err := render(dir, chart.Name, top)
	must(err)
	switch {
	case *notes:
		fmt.Print(notesText)
	case *asJSON:
		objects := []json.RawMessage{}
		for _, d := range docs {
			j, err := yaml.YAMLToJSON([]byte(d.text))
			if err != nil {
				fail(fmt.Sprintf("%s: not YAML: %v", d.source, err))
			}
			objects = append(objects, j)
		}
		out, err := json.MarshalIndent(objects, "", "  ")
		must(err)
		fmt.Println(string(out))
	default:
		for _, d := range docs {
			fmt.Printf("---\n# Source: %s\n%s\n", d.source, d.text)
		}
	}
}

type document struct{ source, text string }

// render parses every file under templates/ into one set (so include sees all partials) and
// executes each that is not a partial (_*) in file-name order, split into YAML documents as
// `helm template` prints them; NOTES.txt comes back apart.
func render(dir, chartName string, top map[string]interface{}) ([]document, string, error) {
	root := template.New("gotpl").Option("missingkey=zero")
	root.Funcs(funcs(root))
	var names []string
	err := filepath.Walk(filepath.Join(dir, "templates"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		name := chartName + "/" + filepath.ToSlash(rel)
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	sort.Strings(names)
	var docs []document
	notes := ""
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		vals := map[string]interface{}{}
		for k, v := range top {
			vals[k] = v
		}
		vals["Template"] = map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, vals); err != nil {
			return nil, "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			notes = text
			continue
		}
		for _, doc := range documentSeparator.Split(text, -1) {
			if strings.TrimSpace(doc) != "" {
				docs = append(docs, document{name, strings.Trim(doc, "\n")})
			}
		}
	}
	return docs, notes, nil
}

// documentSeparator splits one template's output into its YAML documents, as Helm's manifest splitter does.
var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)
