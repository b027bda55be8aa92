package services

// Client glue for the Quorum interfaces a Go host drives in the interop tests
// beyond hello world: security (TLSConfigurationSource, AuthenticationManager),
// account (AccountService) and qlight (PluginQLightTokenRefresher). Only the
// client side is needed here.

import (
	"context"

	"qplugin.dev/interop/shared/pb/accountpb"
	"qplugin.dev/interop/shared/pb/qlightpb"
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
	MethodQLightPrefs     = "/proto.PluginQLightTokenRefresher/PluginQLightTokenManager"
	MethodTokenRefresh    = "/proto.PluginQLightTokenRefresher/TokenRefresh"
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

// QLightPrefs calls PluginQLightTokenRefresher.PluginQLightTokenManager (how early to refresh).
func (c Client) QLightPrefs(ctx context.Context) (*qlightpb.PluginQLightTokenManager_Response, error) {
	return call[qlightpb.PluginQLightTokenManager_Response](ctx, c.Conn, MethodQLightPrefs, &qlightpb.PluginQLightTokenManager_Request{})
}

// TokenRefresh calls PluginQLightTokenRefresher.TokenRefresh.
func (c Client) TokenRefresh(ctx context.Context, req *qlightpb.TokenRefresh_Request) (*qlightpb.TokenRefresh_Response, error) {
	return call[qlightpb.TokenRefresh_Response](ctx, c.Conn, MethodTokenRefresh, req)
}
