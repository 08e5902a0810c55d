//! A small pool of read-only store connections for the web server.

use super::*;

/// Connections to one store for many threads: a SQLite connection serves
/// one thread at a time, and opening one per request costs more than most
/// requests. Keeps up to 16 idle connections.
pub struct Pool {
    data_dir: PathBuf,
    idle: std::sync::Mutex<Vec<Store>>,
}

impl Pool {
    /// A pool over the store in `data_dir`, starting with `first` if given.
    pub fn new(data_dir: &Path, first: Option<Store>) -> Pool {
        Pool {
            data_dir: data_dir.to_path_buf(),
            idle: std::sync::Mutex::new(first.into_iter().collect()),
        }
    }

    /// Runs `f` with a connection from the pool (opened if none is idle).
    /// A connection the server closed (a PostgreSQL restart or failover) is
    /// dropped, and `f` runs once more on a new one: the request that meets
    /// it does not fail.
    pub fn with<T>(&self, f: impl Fn(&Store) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().expect("store pool").pop();
        let pooled = idle.is_some();
        let mut store = match idle {
            Some(s) => s,
            None => Store::open(&self.data_dir)?,
        };
        let mut out = f(&store);
        if pooled && store.db.is_closed() {
            store = Store::open(&self.data_dir)?;
            out = f(&store);
        }
        if !store.db.is_closed() {
            let mut idle = self.idle.lock().expect("store pool");
            if idle.len() < 16 {
                idle.push(store);
            }
        }
        out
    }
}
