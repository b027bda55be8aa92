package hostapp

// Steps for Quorum's security interface: what geth does with a security
// plugin's answers, so the tests can check that a TS plugin's TLS material
// and token decisions work in Go's crypto/tls and protobuf runtime.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math"
	"net"
	"time"

	"qplugin.dev/interop/shared/pb/securitypb"
)

// gethDefaultSuites are the suites geth uses when the plugin names none.
var gethDefaultSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
}

// gethTLSConfig builds a server config with geth's policy: the key pair must
// load, suite ids must fit uint16, TLS 1.2 minimum, geth's curve order.
func gethTLSConfig(d *securitypb.TLSConfiguration_Data) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(d.GetCertPem(), d.GetKeyPem())
	if err != nil {
		return nil, err
	}
	suites := make([]uint16, 0, len(d.GetCipherSuites()))
	for _, s := range d.GetCipherSuites() {
		if s > math.MaxUint16 {
			return nil, errors.New("cipher suite value overflow")
		}
		suites = append(suites, uint16(s))
	}
	if len(suites) == 0 {
		suites = gethDefaultSuites
	}
	return &tls.Config{
		Certificates:     []tls.Certificate{cert},
		MinVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveP521, tls.CurveP384, tls.CurveP256, tls.X25519},
		CipherSuites:     suites,
	}, nil
}

// tlsHandshake serves cfg on loopback and completes one TLS 1.2 handshake
// against it, trusting certPEM for "localhost". Returns the negotiated suite.
func tlsHandshake(cfg *tls.Config, certPEM []byte) (string, error) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		return "", err
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_ = conn.(*tls.Conn).Handshake()
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", ln.Addr().String(), &tls.Config{
		RootCAs: roots, ServerName: "localhost", MaxVersion: tls.VersionTLS12,
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return tls.CipherSuiteName(conn.ConnectionState().CipherSuite), nil
}

// stepTLS calls TLSConfigurationSource.Get. It reports whether data came
// back and, if so, the certificate, the suite ids, and what geth's policy
// makes of it: config_error, or the TLS 1.2 suite a Go client negotiated.
func stepTLS(r *Run, _ string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.TLSGet(c)
	if err != nil {
		return nil, err
	}
	d := resp.GetData()
	if d == nil {
		return Fields{F("has_data", false)}, nil
	}
	suites := append([]uint32{}, d.GetCipherSuites()...)
	subject, dnsNames := "", []string{}
	if block, _ := pem.Decode(d.GetCertPem()); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			subject, dnsNames = cert.Subject.String(), append(dnsNames, cert.DNSNames...)
		}
	}
	fields := Fields{
		F("has_data", true), F("subject", subject), F("dns_names", dnsNames),
		F("cipher_suites", suites), F("cipher_count", len(suites)),
	}
	cfg, err := gethTLSConfig(d)
	if err != nil {
		return append(fields, F("config_error", err.Error())), nil
	}
	suite, err := tlsHandshake(cfg, d.GetCertPem())
	if err != nil {
		return append(fields, F("handshake_error", err.Error())), nil
	}
	return append(fields, F("handshake_suite", suite)), nil
}

// stepAuth calls AuthenticationManager.Authenticate with the argument as the
// raw token and reports the authorities and the expiry as sent.
func stepAuth(r *Run, arg string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.Authenticate(c, &securitypb.AuthenticationToken{RawToken: []byte(arg)})
	if err != nil {
		return nil, err
	}
	authorities := []map[string]string{}
	for _, a := range resp.GetAuthorities() {
		authorities = append(authorities, map[string]string{"service": a.GetService(), "method": a.GetMethod(), "raw": a.GetRaw()})
	}
	fields := Fields{F("raw_token", string(resp.GetRawToken())), F("authorities", authorities)}
	if ts := resp.GetExpiredAt(); ts != nil {
		fields = append(fields,
			F("expires_unix", ts.GetSeconds()), F("expires_nanos", ts.GetNanos()),
			F("expires_at", ts.AsTime().UTC().Format(time.RFC3339Nano)))
	}
	return fields, nil
}
