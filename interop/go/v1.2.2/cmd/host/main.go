// Command host is the interop test host built against go-plugin v1.2.2
// (GoQuorum's pin). Its GRPCStdio client makes -sync meaningful.
package main

import "qplugin.dev/interop/shared/hostapp"

func main() { hostapp.Main(hostapp.Ext{}) }
