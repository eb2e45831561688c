// Test peer: a real OAuth2/OIDC authorization server (oidc-provider) on 127.0.0.1 only.
// Started by crates/postiz-api/tests/connect_support; prints "LISTENING <port>" when ready and
// exits when its stdin closes (the test process ended).
import net from 'node:net';
import Provider from 'oidc-provider';

const REDIRECT = process.env.REDIRECT_URI || 'http://127.0.0.1:9999/cb';

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const PORT = Number(process.env.PORT) || await freePort();
const ISSUER = `http://127.0.0.1:${PORT}`;
const common = {
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};
const publicClient = (id) => ({ ...common, client_id: id, token_endpoint_auth_method: 'none', application_type: 'native' });

const provider = new Provider(ISSUER, {
  clients: [
    // Public PKCE client: refresh tokens rotate, a spent one is refused (invalid_grant).
    publicClient('postiz-public'),
    // Codes expire after one second (expired-code test).
    publicClient('postiz-shortcode'),
    // Access tokens expire after two seconds (reactive-refresh test).
    publicClient('postiz-shortlived'),
    // Confidential client.
    { ...common, client_id: 'postiz-test', client_secret: 'postiz-secret', token_endpoint_auth_method: 'client_secret_post' },
  ],
  // Expiry means expiry: the default tolerates 15 s of clock skew.
  clockTolerance: 0,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, revocation: { enabled: true }, introspection: { enabled: true } },
  ttl: {
    AccessToken: (ctx, token, client) => (client && client.clientId === 'postiz-shortlived' ? 2 : 600),
    AuthorizationCode: (ctx, token, client) => (client && client.clientId === 'postiz-shortcode' ? 1 : 60),
    RefreshToken: 86400,
    Interaction: 600,
    Session: 3600,
    Grant: 86400,
  },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(PORT, '127.0.0.1', () => {
  console.log(`LISTENING ${PORT}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
