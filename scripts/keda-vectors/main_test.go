package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The fixture module in testdata/keda has one scaler test file with a table of each kind the
// extraction handles; the expectations are what that file's source says.
func TestExtractsFixture(t *testing.T) {
	out := t.TempDir()
	if err := run("testdata/keda", out, object{"module": "example.com/keda/v2"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		File   string
		Tables map[string]struct {
			Type   string
			Fields []struct{ Name, Type string }
			UsedBy []string
			Rows   []map[string]any
		}
		Vars map[string]any
	}
	read(t, filepath.Join(out, "demo_scaler_test.json"), &doc)
	table := doc.Tables["demoTable"]
	if table.Type != "parseDemoTestData" || len(table.Fields) != 5 || table.Fields[3].Type != "time.Duration" {
		t.Errorf("table header: %+v", table)
	}
	rows := table.Rows
	expect(t, "positional row", rows[0], map[string]any{
		"$comment": "positional, with a typed constant", "$line": 25.0, "authParams": nil, "isError": false,
		"metadata":    map[string]any{"host": "localhost:6379"},
		"podIdentity": map[string]any{"$const": "v1.PodIdentityProviderAzureWorkload", "value": "azure-workload"},
		"timeout":     map[string]any{"$duration": "5 * time.Second", "nanoseconds": 5e9},
	})
	expect(t, "keyed row with Sprintf", rows[1], map[string]any{
		"$comment": "trailing note", "$line": 26.0, "isError": true,
		"metadata": map[string]any{"address": "localhost:6380"},
	})
	expect(t, "helper and unevaluated spot", rows[2]["metadata"], map[string]any{
		"address": "h:6379", "when": map[string]any{"$unevaluated": "time.Now().String()"},
	})
	ref := doc.Tables["demoIdentifiers"].Rows[0]["data"].(map[string]any)
	if ref["$ref"] != "demoTable[0]" || ref["isError"] != false {
		t.Errorf("&demoTable[0] inlined as %v", ref)
	}
	local := doc.Tables["TestDemo.cases"]
	if !reflect.DeepEqual(local.UsedBy, []string{"TestDemo"}) || local.Rows[0]["$key"] != "workload" {
		t.Errorf("function table: %+v", local)
	}
	expect(t, "nested values", local.Rows[0]["values"], []any{1.0, 16.0})
	expect(t, "error variable", local.Rows[1]["wantErr"], map[string]any{"$error": "no host given", "var": "ErrNoHost"})
	expect(t, "vars", doc.Vars, map[string]any{"demoEnv": map[string]any{"HOST": "localhost"}, "testHost": "localhost"})

	var source map[string]any
	read(t, filepath.Join(out, "SOURCE.json"), &source)
	expect(t, "summary", source["total"], map[string]any{"tables": 3.0, "rows": 6.0, "unevaluated": 1.0})
}

func read(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		t.Errorf("%s:\n got %s\nwant %s", what, gotJSON, wantJSON)
	}
}
