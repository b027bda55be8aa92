// Command plugin is the interop test plugin built against go-plugin v1.8.0.
package main

import "qplugin.dev/interop/shared/pluginapp"

func main() { pluginapp.Main() }
