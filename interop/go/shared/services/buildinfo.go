package services

import "runtime/debug"

// DepVersion returns the version of module path linked into this binary
// (as selected by the building module's go.mod), or "" if unknown.
func DepVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// Module paths whose versions the peers report.
const (
	GoPluginModule = "github.com/hashicorp/go-plugin"
	GRPCModule     = "google.golang.org/grpc"
)
