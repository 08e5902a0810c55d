//! One file per family of commands; `cli` parses argv and dispatches here.

mod archive;
mod commits;
mod import;
mod search;
mod serve;
mod thread;

pub(in crate::cli) use self::archive::*;
pub(in crate::cli) use self::commits::*;
pub(in crate::cli) use self::import::*;
pub(in crate::cli) use self::search::*;
pub(in crate::cli) use self::serve::*;
pub(in crate::cli) use self::thread::*;
