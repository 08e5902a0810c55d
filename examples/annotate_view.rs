//! # Reading a thread for the gold set
//!
//! Prints one thread the way an annotator needs it: each message's sender,
//! date, place in the tree and what the sender wrote (original text only,
//! diffs left out), then whosaid's own positions for comparison. Used to
//! label `tests/gold/linux-kbuild.tsv` by hand.
//!
//! ```sh
//! cargo run --release --example annotate_view -- DATA_DIR MSGID [--blind]
//! ```

use whosaid::consensus;
use whosaid::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(msgid)) = (args.next(), args.next()) else {
        return Err("usage: annotate_view DATA_DIR MSGID [--blind]".into());
    };
    // `--blind` hides whosaid's answers, for labelling a held-out set first.
    let blind = args.next().as_deref() == Some("--blind");
    let store = Store::open(std::path::Path::new(&data))?;
    let view = store.thread(&msgid)?.ok_or("no such message")?;
    let inputs = whosaid::archive::consensus_inputs(&store, &view)?;
    for &(i, depth) in &view.order {
        let n = &view.nodes[i];
        let indent = "  ".repeat(depth.min(12));
        if n.ghost {
            println!("{indent}(ghost) <{}>", n.message_id);
            continue;
        }
        println!(
            "{indent}== {} <{}> {}  <{}>",
            n.from.name, n.from.email, n.subject, n.message_id
        );
        let original = consensus::original_text(&inputs[i].body);
        for line in original.lines().filter(|l| !l.trim().is_empty()).take(40) {
            println!(
                "{indent}   | {}",
                line.chars().take(150).collect::<String>()
            );
        }
    }
    if blind {
        return Ok(());
    }
    let c = consensus::analyze(&inputs);
    println!("\nwhosaid says:");
    for p in &c.positions {
        let e = p
            .evidence()
            .map(|s| format!("{}: {}", s.kind.as_str(), s.evidence))
            .unwrap_or_default();
        println!(
            "  {} {} {} -- {}",
            p.person.email,
            p.role.as_str(),
            p.stance.as_str(),
            e.chars().take(120).collect::<String>()
        );
    }
    Ok(())
}
