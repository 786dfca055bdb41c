// A real OpenID Connect provider for the browser test: oidc-provider (certified), with its
// development login and consent pages, one confidential client (outloud) and accounts whose
// address is the login typed, verified.
import Provider from 'oidc-provider';

export async function startProvider(port, redirectUri) {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'outloud',
      client_secret: 'browser-test-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The code flow's ID token carries the scope's claims (outloud reads email from it).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: id, email_verified: true, name: 'Ann Lee' };
        },
      };
    },
  });
  provider.proxy = false;
  const server = provider.listen(port);
  await new Promise((r) => server.once('listening', r));
  return { issuer, close: () => server.close() };
}
