// A PDS for tests: `@did-plc/server` with an in-memory directory, then `@atproto/pds` pointed at
// it, both on loopback (run with `node --require ./loopback.cjs`). Configured by the Rust side
// through POSTIZ_PDS_PORT, POSTIZ_PLC_PORT, POSTIZ_PDS_DIR, POSTIZ_PDS_ADMIN_PASSWORD and
// POSTIZ_PDS_RATE_LIMITS (`true`: the PDS's own limits, e.g. 30 logins per 5 minutes); prints
// `ready <url>` once both listen, and exits, removing POSTIZ_PDS_DIR, when its stdin closes (the
// test process ended).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Secp256k1Keypair } from '@atproto/crypto';
import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds';
import { Database, PlcServer } from '@did-plc/server';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = need('POSTIZ_PDS_PORT');
const plcPort = Number(need('POSTIZ_PLC_PORT'));
const dir = need('POSTIZ_PDS_DIR');

const plc = PlcServer.create({ db: Database.mock(), port: plcPort });
await plc.start();

const rotation = await Secp256k1Keypair.create({ exportable: true });
const blobs = join(dir, 'blobs');
mkdirSync(blobs, { recursive: true });
Object.assign(process.env, {
  PDS_HOSTNAME: 'localhost',
  PDS_PORT: port,
  PDS_DEV_MODE: 'true',
  PDS_SERVICE_HANDLE_DOMAINS: '.test',
  PDS_INVITE_REQUIRED: 'false',
  PDS_JWT_SECRET: randomBytes(16).toString('hex'),
  PDS_ADMIN_PASSWORD: need('POSTIZ_PDS_ADMIN_PASSWORD'),
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: Buffer.from(await rotation.export()).toString('hex'),
  PDS_DID_PLC_URL: `http://127.0.0.1:${plcPort}`,
  PDS_DATA_DIRECTORY: dir,
  PDS_BLOBSTORE_DISK_LOCATION: blobs,
  PDS_RATE_LIMITS_ENABLED: process.env.POSTIZ_PDS_RATE_LIMITS === 'true' ? 'true' : 'false',
  LOG_ENABLED: process.env.LOG_ENABLED ?? 'false',
});
const env = readEnv();
const pds = await PDS.create(envToCfg(env), envToSecrets(env));
await pds.start();
console.log(`ready http://127.0.0.1:${port}`);

// A PDS shared by a test process is never dropped: it cleans up after itself.
const quit = () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdin.resume();
