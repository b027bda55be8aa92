package services

// Client glue for the Quorum interfaces a Go host drives in the interop tests
// beyond hello world: security (TLSConfigurationSource, AuthenticationManager)
// and account (AccountService). Only the client side is needed here.

import (
	"context"

	"qplugin.dev/interop/shared/pb/accountpb"
	"qplugin.dev/interop/shared/pb/securitypb"
)

// Fully-qualified method paths of the security and account services.
const (
	MethodTLSGet          = "/proto.TLSConfigurationSource/Get"
	MethodAuthenticate    = "/proto.AuthenticationManager/Authenticate"
	methodAccount         = "/proto.AccountService/"
	MethodAccountStatus   = methodAccount + "Status"
	MethodAccountAccounts = methodAccount + "Accounts"
	MethodAccountContains = methodAccount + "Contains"
	MethodAccountSign     = methodAccount + "Sign"
	MethodUnlockAndSign   = methodAccount + "UnlockAndSign"
	MethodTimedUnlock     = methodAccount + "TimedUnlock"
	MethodAccountLock     = methodAccount + "Lock"
	MethodNewAccount      = methodAccount + "NewAccount"
	MethodImportRawKey    = methodAccount + "ImportRawKey"
)

// TLSGet calls TLSConfigurationSource.Get.
func (c Client) TLSGet(ctx context.Context) (*securitypb.TLSConfiguration_Response, error) {
	return call[securitypb.TLSConfiguration_Response](ctx, c.Conn, MethodTLSGet, &securitypb.TLSConfiguration_Request{})
}

// Authenticate calls AuthenticationManager.Authenticate.
func (c Client) Authenticate(ctx context.Context, req *securitypb.AuthenticationToken) (*securitypb.PreAuthenticatedAuthenticationToken, error) {
	return call[securitypb.PreAuthenticatedAuthenticationToken](ctx, c.Conn, MethodAuthenticate, req)
}

// AccountStatus calls AccountService.Status.
func (c Client) AccountStatus(ctx context.Context) (*accountpb.StatusResponse, error) {
	return call[accountpb.StatusResponse](ctx, c.Conn, MethodAccountStatus, &accountpb.StatusRequest{})
}

// Accounts calls AccountService.Accounts.
func (c Client) Accounts(ctx context.Context) (*accountpb.AccountsResponse, error) {
	return call[accountpb.AccountsResponse](ctx, c.Conn, MethodAccountAccounts, &accountpb.AccountsRequest{})
}

// Contains calls AccountService.Contains.
func (c Client) Contains(ctx context.Context, req *accountpb.ContainsRequest) (*accountpb.ContainsResponse, error) {
	return call[accountpb.ContainsResponse](ctx, c.Conn, MethodAccountContains, req)
}

// Sign calls AccountService.Sign.
func (c Client) Sign(ctx context.Context, req *accountpb.SignRequest) (*accountpb.SignResponse, error) {
	return call[accountpb.SignResponse](ctx, c.Conn, MethodAccountSign, req)
}

// UnlockAndSign calls AccountService.UnlockAndSign.
func (c Client) UnlockAndSign(ctx context.Context, req *accountpb.UnlockAndSignRequest) (*accountpb.SignResponse, error) {
	return call[accountpb.SignResponse](ctx, c.Conn, MethodUnlockAndSign, req)
}

// TimedUnlock calls AccountService.TimedUnlock.
func (c Client) TimedUnlock(ctx context.Context, req *accountpb.TimedUnlockRequest) (*accountpb.TimedUnlockResponse, error) {
	return call[accountpb.TimedUnlockResponse](ctx, c.Conn, MethodTimedUnlock, req)
}

// Lock calls AccountService.Lock.
func (c Client) Lock(ctx context.Context, req *accountpb.LockRequest) (*accountpb.LockResponse, error) {
	return call[accountpb.LockResponse](ctx, c.Conn, MethodAccountLock, req)
}

// NewAccount calls AccountService.NewAccount.
func (c Client) NewAccount(ctx context.Context, req *accountpb.NewAccountRequest) (*accountpb.NewAccountResponse, error) {
	return call[accountpb.NewAccountResponse](ctx, c.Conn, MethodNewAccount, req)
}

// ImportRawKey calls AccountService.ImportRawKey.
func (c Client) ImportRawKey(ctx context.Context, req *accountpb.ImportRawKeyRequest) (*accountpb.ImportRawKeyResponse, error) {
	return call[accountpb.ImportRawKeyResponse](ctx, c.Conn, MethodImportRawKey, req)
}
