// Command host is the interop test host built against go-plugin v1.0.1.
package main

import "qplugin.dev/interop/shared/hostapp"

func main() { hostapp.Main(hostapp.Ext{}) }
