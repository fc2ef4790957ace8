package scalers

import (
	"fmt"
	"testing"
	"time"

	v1 "example.com/keda/v2/apis/v1"
)

const testHost = "localhost"

var demoEnv = map[string]string{"HOST": testHost}

type parseDemoTestData struct {
	metadata    map[string]string
	authParams  map[string]string
	podIdentity v1.PodIdentityProvider
	timeout     time.Duration
	isError     bool
}

var demoTable = []parseDemoTestData{
	// positional, with a typed constant
	{map[string]string{"host": testHost + ":" + defaultPort}, nil, v1.PodIdentityProviderAzureWorkload, 5 * time.Second, false},
	{metadata: map[string]string{"address": fmt.Sprintf("%s:%d", testHost, 6380)}, isError: true}, // trailing note

	// keyed, with a helper and something unknown
	{metadata: map[string]string{"address": hostPort("h", defaultPort), "when": time.Now().String()}},
}

type demoIdentifier struct {
	data *parseDemoTestData
	name string
}

var demoIdentifiers = []demoIdentifier{
	{&demoTable[0], "s0-demo"},
}

func TestDemo(t *testing.T) {
	_ = demoTable
	cases := map[string]struct {
		identity v1.AuthPodIdentity
		wantErr  error
		values   []int
	}{
		"workload": {identity: v1.AuthPodIdentity{Provider: v1.PodIdentityProviderAzureWorkload}, values: []int{1, 2 << 3}},
		"none":     {wantErr: ErrNoHost},
	}
	_ = cases
}
