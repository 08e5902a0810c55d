//! `whosaid serve`: the samples into an empty default data dir, catch-up,
//! the index follower on a shared store, then the web server.

use crate::cli::*;

/// The sample archive, built into the binary so `serve` works anywhere.
pub(in crate::cli) const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "linux-mm-hmm-users.mbox",
        include_bytes!("../../../sample-mboxes/linux-mm-hmm-users.mbox"),
    ),
    (
        "linux-kbuild-modpost-series.mbox",
        include_bytes!("../../../sample-mboxes/linux-kbuild-modpost-series.mbox"),
    ),
    (
        "linux-kbuild-kconfig-versions.mbox",
        include_bytes!("../../../sample-mboxes/linux-kbuild-kconfig-versions.mbox"),
    ),
];

/// `whosaid serve`'s options.
pub(in crate::cli) struct Serve {
    pub(in crate::cli) addr: std::net::SocketAddr,
    pub(in crate::cli) base_url: Option<String>,
    pub(in crate::cli) follow_chunk: usize,
    pub(in crate::cli) repo: Option<std::path::PathBuf>,
}

pub(in crate::cli) fn cmd_serve(
    data: &std::path::Path,
    data_named: bool,
    files: Review,
    serve: Serve,
) -> anyhow::Result<ExitCode> {
    let Serve {
        addr,
        base_url,
        follow_chunk,
        repo,
    } = serve;
    if let Some(repo) = &repo {
        crate::git::check_repository(repo)?;
    }
    let archive = open_store_only(data)?;
    let empty = archive.store().message_count()? == 0;
    let shared = archive.store().is_shared();
    if empty && !data_named {
        // Write the built-in samples next to the store, import, remove.
        let dir = data.join(".samples");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut paths = Vec::new();
        for (name, bytes) in SAMPLES {
            let p = dir.join(name);
            std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
            paths.push(p);
        }
        eprintln!(
            "whosaid: {} is empty; importing the built-in sample archive first",
            data.display()
        );
        cmd_import(data, ImportConfig::default(), false, false, &paths)?;
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        archive
            .catch_up_threading()
            .context("threading messages left unthreaded by an interrupted import")?;
        // On a shared store the index follows it from a thread of its own
        // (below): a new node serves its thread pages at once and its
        // search results as the index fills.
        if !shared {
            let index = archive
                .index_for_writing()
                .with_context(|| format!("cannot open the search index in {}", data.display()))?;
            say_catch_up(archive.catch_up(&index)?);
        }
    }
    if shared {
        let index = archive
            .index_for_writing()
            .with_context(|| format!("cannot open the search index in {}", data.display()))?;
        let dir = data.to_path_buf();
        std::thread::Builder::new()
            .name("follow".into())
            .spawn(move || follow_store(&index, &dir, follow_chunk))
            .context("cannot start the index follower")?;
    }
    drop(archive);
    let state = crate::web::AppState::open(crate::web::Config {
        data: data.to_path_buf(),
        base_url,
        mailmap: files.mailmap,
        maintainers: files.maintainers,
        repo,
    })
    .with_context(|| format!("cannot open the archive in {}", data.display()))?;
    let state = std::sync::Arc::new(state);
    state.start_reading_repo();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    eprintln!("whosaid: serving {} at http://{addr}/", data.display());
    runtime
        .block_on(crate::web::serve(state, addr))
        .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Keeps this node's index up to the shared store for as long as the
/// server runs: on every importer commit (PostgreSQL's NOTIFY), and every
/// [`FOLLOW_POLL`] in case a notification was missed (a dropped connection,
/// a replica that does not forward them).
pub(in crate::cli) fn follow_store(index: &Index, data: &std::path::Path, chunk: usize) {
    let mut store: Option<Store> = None;
    loop {
        // (Re)connects after an error: the server may have restarted.
        let reopen = || crate::archive::Archive::open_store_only(data).map(|a| a.into_parts().0);
        let s = match store.take().map_or_else(reopen, Ok) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("whosaid: following the store: {e}; retrying");
                std::thread::sleep(FOLLOW_POLL);
                continue;
            }
        };
        match import::follow(&s, index, data, chunk) {
            Ok(0) => {}
            Ok(n) => eprintln!("whosaid: the index took {n} changes from the store"),
            Err(e) => {
                eprintln!("whosaid: following the store: {e}; retrying");
                std::thread::sleep(FOLLOW_POLL);
                continue;
            }
        }
        match s.wait_for_changes(FOLLOW_POLL) {
            Ok(_) => store = Some(s),
            Err(e) => eprintln!("whosaid: waiting for store changes: {e}; reconnecting"),
        }
    }
}

/// How often a follower looks for store changes without a notification.
pub(in crate::cli) const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(2);
