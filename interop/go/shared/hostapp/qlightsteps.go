package hostapp

// Steps for Quorum's qlight token manager interface, used as a qlight client
// node's geth uses it: ask how early to refresh, ask for a token, read the
// JWT's expiry after the "<scheme> " prefix, and refresh that much earlier.
// The JWT is decoded here with the standard library only, independently of
// the TS plugin's encoder; an HS256 signature is checked when a secret is given.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"qplugin.dev/interop/shared/pb/qlightpb"
)

// qlight-prefs
func stepQLightPrefs(r *Run, _ string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.QLightPrefs(c)
	if err != nil {
		return nil, err
	}
	return Fields{F("refresh_anticipation_ms", resp.GetRefreshAnticipationInMillisecond())}, nil
}

// jwtFields splits "<scheme> <header>.<payload>.<signature>" and decodes the
// header and payload. With a secret it reports whether the HS256 signature
// over "<header>.<payload>" is valid.
func jwtFields(token, secret string) (Fields, error) {
	scheme, jwt := "", token
	if i := strings.IndexByte(token, ' '); i >= 0 {
		scheme, jwt = token[:i], token[i+1:]
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("token has %d dot-separated parts, a JWT has 3", len(parts))
	}
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	var claims struct {
		Sub string `json:"sub"`
		Psi string `json:"psi"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	for i, into := range []interface{}{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, fmt.Errorf("JWT part %d is not base64url: %w", i, err)
		}
		if err := json.Unmarshal(raw, into); err != nil {
			return nil, fmt.Errorf("JWT part %d is not JSON: %w", i, err)
		}
	}
	fields := Fields{
		F("scheme", scheme), F("alg", header.Alg), F("typ", header.Typ),
		F("sub", claims.Sub), F("psi", claims.Psi), F("iat", claims.Iat), F("exp", claims.Exp),
	}
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		fields = append(fields, F("signature_valid", err == nil && header.Alg == "HS256" && hmac.Equal(sig, mac.Sum(nil))))
	}
	return fields, nil
}

// qlight-refresh:<psi>|<currentToken>[|<hmacSecret>]  ('|' occurs in none of them)
func stepQLightRefresh(r *Run, arg string) (Fields, error) {
	parts := strings.SplitN(arg, "|", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("qlight-refresh: want <psi>|<currentToken>[|<hmacSecret>], got %q", arg)
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.TokenRefresh(c, &qlightpb.TokenRefresh_Request{Psi: parts[0], CurrentToken: parts[1]})
	if err != nil {
		return nil, err
	}
	secret := ""
	if len(parts) == 3 {
		secret = parts[2]
	}
	fields := Fields{F("token", resp.GetToken())}
	decoded, err := jwtFields(resp.GetToken(), secret)
	if err != nil {
		return append(fields, F("jwt_error", err.Error())), nil
	}
	return append(fields, decoded...), nil
}
