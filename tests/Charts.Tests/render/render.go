// render: `helm template` for one chart without subcharts, built from Debian's Go packages so the
// chart can be rendered where helm is not packaged. It follows Helm 3's engine: values.yaml
// coalesced with -f files (maps merge, null deletes a key) and --set a.b=v, sprig's functions
// without env/expandenv plus Helm's include, tpl, required, toYaml, fromYaml, toJson, fromJson;
// missingkey=zero with "<no value>" blanked. Not implemented, so a chart using them fails to
// render: lookup, toToml, .Files.Glob/AsConfig/AsSecrets, subcharts, schema validation.
//
// usage: render [-f values.yaml]... [--set path=value]... [-name R] [-namespace N] [-notes|-values-json] <chart dir>
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

	"github.com/Masterminds/sprig"
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
	valuesJSON := flag.Bool("values-json", false, "print the coalesced values as JSON only")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: render [-f values.yaml]... [--set path=value]... [-name R] [-namespace N] [-notes|-values-json] <chart dir>")
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
	out, err := render(dir, chart.Name, top, *notes)
	must(err)
	fmt.Print(out)
}

// render parses every file under templates/ into one set (so include sees all partials) and
// executes each that is not a partial (_*) in file-name order, as `helm template` prints them.
func render(dir, chartName string, top map[string]interface{}, notesOnly bool) (string, error) {
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
		return "", err
	}
	sort.Strings(names)
	var out strings.Builder
	for _, name := range names {
		base := filepath.Base(name)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || isNotes != notesOnly {
			continue
		}
		vals := map[string]interface{}{}
		for k, v := range top {
			vals[k] = v
		}
		vals["Template"] = map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, vals); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if notesOnly {
			out.WriteString(text)
			continue
		}
		for _, doc := range documentSeparator.Split(text, -1) {
			if strings.TrimSpace(doc) != "" {
				fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.Trim(doc, "\n"))
			}
		}
	}
	return out.String(), nil
}

// documentSeparator splits one template's output into its YAML documents, as Helm's manifest splitter does.
var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func funcs(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) string {
		b, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, fmt.Errorf("%s", msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if t, err = t.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	return f
}

// coalesce overlays user values on the chart's: maps merge key by key, anything else
// replaces, and a user null removes the key (Helm's rule for deleting a default).
func coalesce(base, user map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range user {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]interface{})
		um, uok := v.(map[string]interface{})
		if bok && uok {
			out[k] = coalesce(bm, um)
		} else {
			out[k] = v
		}
	}
	return out
}

// setPath is a small --set: dotted map keys only (no list indexes or escapes).
func setPath(values map[string]interface{}, s string) error {
	eq := strings.Index(s, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: want path=value", s)
	}
	var value interface{}
	if err := yaml.Unmarshal([]byte(s[eq+1:]), &value); err != nil {
		return fmt.Errorf("--set %q: %v", s, err)
	}
	keys := strings.Split(s[:eq], ".")
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
	return nil
}

func readYAML(path string, into interface{}) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

func must(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "render: "+msg)
	os.Exit(1)
}
