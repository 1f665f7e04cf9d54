// compose-check loads a compose file with compose-go, the library Docker
// Compose itself loads files with (schema validation, interpolation,
// profiles, path resolution), and prints the resulting services as JSON.
// It exits 1 with the loader's message when Docker Compose would refuse the
// file. Used by tools/docker/test/compose.spec.ts where no Docker CLI plugin
// is installed.
//
//	go run ./tools/docker/compose-check docker/compose.yaml [profile...]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

type service struct {
	Image       string            `json:"image"`
	Build       string            `json:"build,omitempty"`
	Dockerfile  string            `json:"dockerfile,omitempty"`
	DependsOn   map[string]string `json:"dependsOn"`
	HealthCheck bool              `json:"healthCheck"`
	Ports       []string          `json:"ports"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file> [profile...]")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithProfiles(os.Args[2:]), cli.WithResolvedPaths(true))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := map[string]service{}
	for name, s := range project.Services {
		entry := service{Image: s.Image, DependsOn: map[string]string{}, HealthCheck: s.HealthCheck != nil && !s.HealthCheck.Disable}
		if s.Build != nil {
			entry.Build = s.Build.Context
			entry.Dockerfile = s.Build.Dockerfile
		}
		for dep, config := range s.DependsOn {
			entry.DependsOn[dep] = config.Condition
		}
		for _, p := range s.Ports {
			entry.Ports = append(entry.Ports, fmt.Sprintf("%s:%s:%d", p.HostIP, p.Published, p.Target))
		}
		sort.Strings(entry.Ports)
		out[name] = entry
	}
	encoded, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(encoded))
}
