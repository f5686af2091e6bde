package main

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

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
