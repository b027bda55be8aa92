package hostapp

// Steps for Quorum's account interface. Addresses are written and reported
// as 0x-prefixed hex; signatures and hashes as 0x hex too. Arguments with
// several parts put the free-text part (passphrase, JSON) where it cannot be
// confused with the fixed ones.

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"qplugin.dev/interop/shared/pb/accountpb"
)

func hexBytes(s string) ([]byte, error) {
	return hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
}

func hex0x(b []byte) string { return "0x" + hex.EncodeToString(b) }

func accountFields(a *accountpb.Account) Fields {
	return Fields{F("address", hex0x(a.GetAddress())), F("url", a.GetUrl())}
}

// splitAddress splits "<0xaddr>:<rest>" and decodes the address.
func splitAddress(arg string) ([]byte, string, error) {
	i := strings.IndexByte(arg, ':')
	if i < 0 {
		return nil, "", errors.New("want <0xaddress>:…")
	}
	addr, err := hexBytes(arg[:i])
	return addr, arg[i+1:], err
}

// lastPart splits "<head>:<last>" at the last ':' (the head may contain ':').
func lastPart(s string) (string, string, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", errors.New("missing ':'-separated part")
	}
	return s[:i], s[i+1:], nil
}

// account-status
func stepAccountStatus(r *Run, _ string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.AccountStatus(c)
	if err != nil {
		return nil, err
	}
	return Fields{F("value", resp.GetStatus())}, nil
}

// account-new:<json>  (NewAccount with the JSON bytes as newAccountConfig)
func stepAccountNew(r *Run, arg string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.NewAccount(c, &accountpb.NewAccountRequest{NewAccountConfig: []byte(arg)})
	if err != nil {
		return nil, err
	}
	return accountFields(resp.GetAccount()), nil
}

// account-import:<hexkey>|<json>  ('|' cannot occur in hex, and unlike ';'
// cannot merge with the ";;" step separator)
func stepAccountImport(r *Run, arg string) (Fields, error) {
	i := strings.IndexByte(arg, '|')
	if i < 0 {
		return nil, errors.New("want <hexkey>|<json>")
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.ImportRawKey(c, &accountpb.ImportRawKeyRequest{RawKey: arg[:i], NewAccountConfig: []byte(arg[i+1:])})
	if err != nil {
		return nil, err
	}
	return accountFields(resp.GetAccount()), nil
}

// account-list
func stepAccountList(r *Run, _ string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.Accounts(c)
	if err != nil {
		return nil, err
	}
	list := []map[string]string{}
	for _, a := range resp.GetAccounts() {
		list = append(list, map[string]string{"address": hex0x(a.GetAddress()), "url": a.GetUrl()})
	}
	return Fields{F("accounts", list)}, nil
}

// account-contains:<0xaddr>
func stepAccountContains(r *Run, arg string) (Fields, error) {
	addr, err := hexBytes(arg)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.Contains(c, &accountpb.ContainsRequest{Address: addr})
	if err != nil {
		return nil, err
	}
	return Fields{F("value", resp.GetIsContained())}, nil
}

// account-sign:<0xaddr>:<0xhash>
func stepAccountSign(r *Run, arg string) (Fields, error) {
	addr, rest, err := splitAddress(arg)
	if err != nil {
		return nil, err
	}
	toSign, err := hexBytes(rest)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.Sign(c, &accountpb.SignRequest{Address: addr, ToSign: toSign})
	if err != nil {
		return nil, err
	}
	return Fields{F("sig", hex0x(resp.GetSig()))}, nil
}

// account-unlock-sign:<0xaddr>:<passphrase>:<0xhash>
func stepAccountUnlockSign(r *Run, arg string) (Fields, error) {
	addr, rest, err := splitAddress(arg)
	if err != nil {
		return nil, err
	}
	passphrase, hash, err := lastPart(rest)
	if err != nil {
		return nil, err
	}
	toSign, err := hexBytes(hash)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.UnlockAndSign(c, &accountpb.UnlockAndSignRequest{Address: addr, ToSign: toSign, Passphrase: passphrase})
	if err != nil {
		return nil, err
	}
	return Fields{F("sig", hex0x(resp.GetSig()))}, nil
}

// unlock:<0xaddr>:<passphrase>:<nanoseconds>
func stepUnlock(r *Run, arg string) (Fields, error) {
	addr, rest, err := splitAddress(arg)
	if err != nil {
		return nil, err
	}
	password, ns, err := lastPart(rest)
	if err != nil {
		return nil, err
	}
	duration, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	_, err = r.Services.TimedUnlock(c, &accountpb.TimedUnlockRequest{Address: addr, Password: password, Duration: duration})
	return nil, err
}

// lock:<0xaddr>
func stepLock(r *Run, arg string) (Fields, error) {
	addr, err := hexBytes(arg)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	_, err = r.Services.Lock(c, &accountpb.LockRequest{Address: addr})
	return nil, err
}

// quorumSteps are the security, account and qlight steps, added to every host.
var quorumSteps = map[string]Step{
	"tls":                 stepTLS,
	"auth":                stepAuth,
	"account-status":      stepAccountStatus,
	"account-new":         stepAccountNew,
	"account-import":      stepAccountImport,
	"account-list":        stepAccountList,
	"account-contains":    stepAccountContains,
	"account-sign":        stepAccountSign,
	"account-unlock-sign": stepAccountUnlockSign,
	"unlock":              stepUnlock,
	"lock":                stepLock,
	"qlight-prefs":        stepQLightPrefs,
	"qlight-refresh":      stepQLightRefresh,
}
