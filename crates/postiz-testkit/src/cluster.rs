use std::path::PathBuf;

use postiz_localdb::LocalCluster;
use tokio::sync::OnceCell;

/// The repository root (this crate lives at `crates/postiz-testkit`).
pub fn project_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.join("../..").canonicalize().unwrap_or(here)
}

static CLUSTER: OnceCell<LocalCluster> = OnceCell::const_new();

/// The private cluster from `[local_db]` in `config.toml`, started (or reused) and given
/// Supabase's roles, once per process.
pub async fn shared_cluster() -> &'static LocalCluster {
    CLUSTER
        .get_or_init(|| async {
            let root = project_root();
            let settings = postiz_config::load_from(&root.join("config.toml")).unwrap_or_else(|e| panic!("config.toml: {e}"));
            let cluster = LocalCluster::new(root.join(&settings.local_db.dir), settings.local_db.port);
            let starter = cluster.clone();
            tokio::task::spawn_blocking(move || starter.start())
                .await
                .expect("cluster start task")
                .unwrap_or_else(|e| panic!("cannot start the local PostgreSQL cluster: {e}"));
            postiz_localdb::bootstrap_roles(&cluster).await.unwrap_or_else(|e| panic!("cannot create Supabase roles: {e}"));
            cluster
        })
        .await
}
