// Reference for bench/experiments/settings-scaling.mjs: geth's decoding of a
// --plugins settings file (json.NewDecoder(f).Decode into plugin.Settings'
// shapes, config as interface{}), timed in-process like loadSettings is.
// Prints {"ms": <decode time>, "error": "<text or empty>"}.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

type definition struct {
	Name    string      `json:"name"`
	Version string      `json:"version"`
	Config  interface{} `json:"config,omitempty"`
}

type central struct {
	CertFingerprint        string `json:"certFingerprint"`
	BaseURL                string `json:"baseURL"`
	PublicKeyURI           string `json:"publicKeyURI"`
	InsecureSkipTLSVerify  bool   `json:"insecureSkipTLSVerify"`
	PluginDistPathTemplate string `json:"pluginDistPathTemplate"`
	PluginSigPathTemplate  string `json:"pluginSigPathTemplate"`
}

type settings struct {
	// geth's baseDir is an EnvironmentAwaredValue (raw token); a string shows the same decode cost.
	BaseDir   string                `json:"baseDir"`
	Central   *central              `json:"central"`
	Providers map[string]definition `json:"providers"`
}

func main() {
	start := time.Now()
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var s settings
	decodeErr := json.NewDecoder(f).Decode(&s)
	ms := float64(time.Since(start).Microseconds()) / 1000
	text := ""
	if decodeErr != nil {
		text = decodeErr.Error()
		if len(text) > 120 {
			text = text[:120] + "..."
		}
	}
	out, _ := json.Marshal(map[string]interface{}{"ms": ms, "error": text})
	fmt.Println(string(out))
}
