//! Prints `series::patch_id` of standard input, as `git patch-id --stable`
//! prints it (for comparing the two on a patch).
//!
//! ```sh
//! cargo run --example patch_id < some.patch
//! ```
fn main() {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).expect("UTF-8 on stdin");
    match whosaid::series::patch_id(&text) {
        Some(id) => println!("{id}"),
        None => std::process::exit(1),
    }
}
