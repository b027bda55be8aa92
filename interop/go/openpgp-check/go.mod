module qplugin.dev/interop/openpgp-check

go 1.22

require golang.org/x/crypto v0.21.0
