//! TLS to a real PostgreSQL server. The test starts a cluster of its own (the shared one stays
//! plain, so the other tests and the benchmarks do not change under them), gives it a
//! certificate for `localhost` from a CA made for this run, and checks what the pools accept
//! with libpq's `sslmode`/`sslrootcert` meanings.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use postiz_db::connect_pool;
use postiz_localdb::{LocalCluster, SUPERUSER};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use secrecy::SecretString;

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn new_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    Ca { cert: params.self_signed(&key).unwrap(), key }
}

/// A throwaway cluster, stopped and removed when dropped (also when an assertion fails).
struct TlsServer {
    cluster: LocalCluster,
    /// Certificate files for the clients: the server's CA and an unrelated one.
    trusted_ca: PathBuf,
    other_ca: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.cluster.stop();
        let _ = std::fs::remove_dir_all(self.cluster.dir());
        let _ = std::fs::remove_file(self.cluster.dir().with_extension("lock"));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn write_private(path: &Path, pem: &str, owner: &std::fs::Metadata) {
    std::fs::write(path, pem).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid())).unwrap();
}

async fn start_tls_server() -> TlsServer {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cluster = LocalCluster::new(&dir, free_port());
    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.start()).await.unwrap().expect("start the TLS test cluster");
    let server = TlsServer { cluster, trusted_ca: dir.join("ca.crt"), other_ca: dir.join("other-ca.crt") };

    let ca = new_ca("postiz test CA");
    let server_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let server_cert = params.signed_by(&server_key, &ca.cert, &ca.key).unwrap();
    let data = dir.join("data");
    let owner = std::fs::metadata(&data).unwrap();
    write_private(&data.join("server.crt"), &server_cert.pem(), &owner);
    write_private(&data.join("server.key"), &server_key.serialize_pem(), &owner);
    std::fs::write(&server.trusted_ca, ca.cert.pem()).unwrap();
    std::fs::write(&server.other_ca, new_ca("someone else").cert.pem()).unwrap();

    // Relative file names resolve against the data directory.
    let admin = server.cluster.connect(SUPERUSER, "postgres").await.unwrap();
    // One statement at a time: ALTER SYSTEM refuses to run in the implicit transaction of a
    // multi-statement query.
    for statement in [
        "alter system set ssl_cert_file = 'server.crt'",
        "alter system set ssl_key_file = 'server.key'",
        "alter system set ssl = on",
        "select pg_reload_conf()",
    ] {
        admin.batch_execute(statement).await.unwrap();
    }
    for _ in 0..50 {
        let fresh = server.cluster.connect(SUPERUSER, "postgres").await.unwrap();
        if fresh.query_one("show ssl", &[]).await.unwrap().get::<_, String>(0) == "on" {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not turn ssl on");
}

impl TlsServer {
    /// Whether a pooled connection to `host` with these URL options is encrypted, as the
    /// server sees it; the pool's error otherwise.
    async fn encrypted(&self, host: &str, options: &str) -> Result<bool, String> {
        let url = format!("postgresql://{SUPERUSER}@{host}:{}/postgres?{options}", self.cluster.port());
        let pool = connect_pool(&SecretString::from(url), 1).map_err(|e| e.to_string())?;
        let client = pool.get().await.map_err(|e| format!("{e:?}"))?;
        let row = client.query_one("select ssl from pg_stat_ssl where pid = pg_backend_pid()", &[]).await.map_err(|e| e.to_string())?;
        Ok(row.get(0))
    }

    fn ca(&self, trusted: bool) -> String {
        let path = if trusted { &self.trusted_ca } else { &self.other_ca };
        path.display().to_string()
    }
}

// One server for every case: starting a cluster is the slow part.
#[tokio::test]
async fn sslmode_and_sslrootcert_mean_what_they_mean_in_libpq() {
    let server = start_tls_server().await;
    let (trusted, other) = (server.ca(true), server.ca(false));

    // prefer (the default) and require encrypt without checking the certificate; disable does not.
    assert_eq!(server.encrypted("127.0.0.1", "").await, Ok(true), "prefer uses TLS when offered");
    assert_eq!(server.encrypted("127.0.0.1", "sslmode=require").await, Ok(true));
    assert_eq!(server.encrypted("127.0.0.1", "sslmode=disable").await, Ok(false), "disable stays plain");

    // verify-full: the chain and the host name.
    assert_eq!(server.encrypted("localhost", &format!("sslmode=verify-full&sslrootcert={trusted}")).await, Ok(true));
    let refused = server.encrypted("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={trusted}")).await;
    assert!(refused.as_ref().is_err_and(|e| e.contains("NotValidForName")), "{refused:?}");

    // verify-ca: the chain only.
    assert_eq!(server.encrypted("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={trusted}")).await, Ok(true));

    // A server whose certificate another CA signed is refused, also by require with a root
    // certificate (libpq then checks the chain too).
    for options in [format!("sslmode=verify-ca&sslrootcert={other}"), format!("sslmode=require&sslrootcert={other}")] {
        let refused = server.encrypted("localhost", &options).await;
        assert!(refused.as_ref().is_err_and(|e| e.contains("UnknownIssuer")), "{options}: {refused:?}");
    }
}
