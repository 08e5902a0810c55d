//! The engine on small threads written out in full.

use super::*;

/// Each position as "address stance [grade] rule-of-its-evidence".
fn standing(c: &Consensus, grade: bool) -> Vec<String> {
    c.positions
        .iter()
        .map(|p| {
            let why = p.evidence().map_or("-", |s| s.rule.as_str());
            let grade = if grade {
                format!(" {}", p.grade.as_str())
            } else {
                String::new()
            };
            format!("{} {}{grade} {why}", p.person.email, p.stance.as_str())
        })
        .collect()
}

/// A person by name and address.
fn p(name: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        email: email.into(),
    }
}

#[test]
fn identity_checks_like_b4() {
    assert!(same_person(&p("Jane Doe", "jane@x"), &p("J", "JANE@x")));
    assert!(same_person(&p("Doe, Jane", "a@x"), &p("Jane  Doe", "b@y")));
    assert!(same_person(
        &p("\"Jane DÖE\"", "a@x"),
        &p("jane döe", "b@y")
    ));
    assert!(!same_person(
        &p("Jane Doe Smith", "a@x"),
        &p("Jane Doe", "b@y")
    ));
    assert!(!same_person(&p("Jane", "a@x"), &p("Jane Doe", "b@y")));
    assert!(!same_person(
        &p("Ingrid Sol", "ingrid@x"),
        &p("Lars H", "lars@x")
    ));
    assert!(is_bot(&p("kernel test robot", "lkp@intel.com")));
    assert!(is_bot(&p("syzbot", "syzbot+abc@syzkaller.appspotmail.com")));
    assert!(!is_bot(&p("Robert Botham", "rb@x")));
}

fn msg(id: &str, parent: Option<usize>, from: Person, subject: &str, body: &str) -> MessageInput {
    let node = crate::thread::ThreadNode {
        message_id: id.into(),
        parent,
        from: from.clone(),
        date: Some((parent.map_or(0, |p| p as i64 + 1), 0)),
        subject: subject.into(),
        is_patch: subject.contains("[PATCH"),
        is_reply: subject.starts_with("Re:"),
        version: 1,
        author: from,
        ..Default::default()
    };
    MessageInput {
        node,
        body: body.into(),
    }
}

/// `m`, sent at `date` (unix seconds, UTC).
fn at(mut m: MessageInput, date: i64) -> MessageInput {
    m.date = Some((date, 0));
    m
}

#[test]
fn trailers_on_a_condition_by_the_author_and_per_patch_stances() {
    let author = p("Lukas H", "lukas@x");
    let petr = p("Petr M", "petr@x");
    let mut msgs = vec![msg(
        "c@x",
        None,
        author.clone(),
        "[PATCH 0/2] klp",
        "Cover.\n",
    )];
    for n in 1..=2 {
        let mut m = msg(
            &format!("{n}@x"),
            Some(0),
            author.clone(),
            &format!("[PATCH {n}/2] klp"),
            "Change.\n",
        );
        (m.index, m.total, m.has_diff) = (Some(n), Some(2), true);
        msgs.push(m);
    }
    msgs[0].index = Some(0);
    let reply = |id: &str, parent: usize, who: &Person, body: &str, date: i64| {
        at(
            msg(id, Some(parent), who.clone(), "Re: [PATCH] klp", body),
            date,
        )
    };
    msgs.push(reply(
        "r1@x",
        1,
        &petr,
        "Looks good.\n\nReviewed-by: Petr M <petr@x>\n",
        10,
    ));
    msgs.push(reply(
        "r2@x",
        2,
        &petr,
        "Otherwise fine. With the updated commit message:\n\nReviewed-by: Petr M <petr@x>\n",
        11,
    ));
    msgs.push(reply(
        "r3@x",
        2,
        &petr,
        "Nit: please rename the helper.\n",
        12,
    ));
    msgs.push(reply(
        "r4@x",
        5,
        &author,
        "Tested-by: Lukas H <lukas@x>\n",
        13,
    ));
    let ana = p("Ana R", "ana@x");
    msgs.push(reply("r5@x", 1, &ana, "Acked-by: Ana R <ana@x>\n", 14));
    msgs.push(reply(
        "r6@x",
        7,
        &ana,
        "Oh, scrap that. I misread the patch.\n",
        15,
    ));
    let c = analyze(&msgs);
    let credited: Vec<String> = c
        .patches
        .iter()
        .map(|p| {
            let t: Vec<String> = p
                .trailers
                .iter()
                .map(|t| format!("{}{}", t.name, if t.conditional { "?" } else { "" }))
                .collect();
            format!("{}: {}", p.message_id, t.join(" "))
        })
        .collect();
    assert_eq!(credited, ["c@x: ", "1@x: Reviewed-by", "2@x: Reviewed-by?"]);
    let petr = c
        .positions
        .iter()
        .find(|p| p.person.email == "petr@x")
        .unwrap();
    let per: Vec<String> = petr
        .patches
        .iter()
        .map(|s| format!("{} {}", s.patch, s.stance.as_str()))
        .collect();
    assert_eq!(per, ["1@x support", "2@x oppose"]);
    assert_eq!(
        petr.stance,
        Stance::Support,
        "a nit does not undo the review of 1/2"
    );
}

#[test]
fn carried_tags_alternatives_done_and_mangled_addresses() {
    let (author, nathan, arvind, linus, sedat) = (
        p("Fang Song", "fs@x"),
        p("Nathan C", "nathan@x"),
        p("Arvind S", "arvind@x"),
        p("Linus T", "linus@x"),
        p("Sedat Dilek", "sedat.dilek@gmail.com"),
    );
    let reply = |id: &str, parent: usize, who: &Person, subject: &str, body: &str, date: i64| {
        at(msg(id, Some(parent), who.clone(), subject, body), date)
    };
    let mut root = msg(
        "p@x",
        None,
        author.clone(),
        "[PATCH v2] fix prefix",
        "Fix it.\n\nReviewed-by: Nathan C <nathan@x>\nSigned-off-by: Fang Song <fs@x>\n---\n",
    );
    root.version = 2;
    let mut alt = reply(
        "alt@x",
        0,
        &arvind,
        "[PATCH] do it differently",
        "Another way.\n",
        3,
    );
    alt.is_reply = false;
    let msgs = vec![
        root,
        reply(
            "n@x",
            0,
            &nathan,
            "Re: [PATCH v2] fix prefix",
            "Cc: stable goes above my tag.\n",
            1,
        ),
        reply(
            "l@x",
            0,
            &linus,
            "Re: [PATCH v2] fix prefix",
            "Done. Thanks,\n",
            2,
        ),
        alt,
        reply(
            "s@x",
            0,
            &sedat,
            "Re: [PATCH v2] fix prefix",
            "Tested-by: Sedat Dilek <sedat.dilek@gmail,com>\n",
            4,
        ),
    ];
    let c = analyze(&msgs);
    let got = standing(&c, false);
    assert_eq!(
        got,
        [
            "fs@x support posted",
            "nathan@x support carried-trailer",
            "linus@x support done",
            "arvind@x neutral -",
            "sedat.dilek@gmail.com support trailer",
        ]
    );
    let credited: Vec<String> = c.patches[0]
        .trailers
        .iter()
        .map(|t| format!("{} {}", t.name, t.person.email))
        .collect();
    assert_eq!(
        credited,
        ["Tested-by sedat.dilek@gmail.com"],
        "carried tags are not credited twice"
    );
}

#[test]
fn one_person_two_addresses_by_full_name_only() {
    let msgs = vec![
        msg(
            "p@x",
            None,
            p("Arnd Bergmann", "arnd@kernel.org"),
            "[PATCH] fix",
            "Fix.\n",
        ),
        msg(
            "r1@x",
            Some(0),
            p("Arnd Bergmann", "arnd@arndb.de"),
            "Re: [PATCH] fix",
            "Please ignore this patch.\n",
        ),
        msg(
            "r2@x",
            Some(0),
            p("Arnd", "arnd@other.org"),
            "Re: [PATCH] fix",
            "Looks good.\n",
        ),
    ];
    let c = analyze(&msgs);
    let arnd: Vec<&Position> = c
        .positions
        .iter()
        .filter(|p| p.person.name.starts_with("Arnd"))
        .collect();
    assert_eq!(arnd.len(), 2, "the one-word name stays apart");
    assert_eq!(arnd[0].aliases, ["arnd@arndb.de"]);
    assert_eq!(
        arnd[0].stance,
        Stance::Neutral,
        "the author gave the patch up"
    );
}

/// Conversation evidence on a small thread: inline review under a hunk, a
/// question the author concedes to, agreement with a reviewer's point, a
/// reviewer whose tag stands, and the positions they end in.
#[test]
fn conversation_evidence_resolves_reviews_in_order() {
    let (author, ana, dana, lee, kim) = (
        p("Sam Author", "sam@x"),
        p("Ana R", "ana@x"),
        p("Dana K", "dana@x"),
        p("Lee P", "lee@x"),
        p("Kim T", "kim@x"),
    );
    let reply = |id: &str, parent: usize, who: &Person, body: &str, date: i64| {
        at(
            msg(id, Some(parent), who.clone(), "Re: [PATCH] mod: fix", body),
            date,
        )
    };
    let mut root = msg(
        "p@x",
        None,
        author.clone(),
        "[PATCH] mod: fix",
        "Fix.\n---\n",
    );
    root.has_diff = true;
    let hunk = "> @@ -1,2 +1,2 @@\n> -\tfoo();\n> +\tbar();\n\n";
    let msgs = vec![
        root,
        reply(
            "a@x",
            0,
            &ana,
            &format!("{hunk}This leaks the buffer, you should free it on the error path.\n"),
            1,
        ),
        reply("d@x", 0, &dana, "Why would anyone call this twice?\n", 2),
        reply(
            "s@x",
            2,
            &author,
            "> Why would anyone call this twice?\n\nGood point, will drop that hunk in v2.\n",
            3,
        ),
        reply("l@x", 1, &lee, "> This leaks the buffer\n\nSame here.\n", 4),
        reply(
            "k@x",
            0,
            &kim,
            &format!("{hunk}Nice.\n\nReviewed-by: Kim T <kim@x>\n"),
            5,
        ),
    ];
    let c = analyze(&msgs);
    let got = standing(&c, true);
    assert_eq!(
        got,
        [
            "sam@x support approves posted",
            "ana@x oppose requests-changes inline-review",
            "dana@x oppose requests-changes author-conceded",
            "lee@x oppose requests-changes agree",
            "kim@x support approves trailer",
        ]
    );
    let dana = c
        .positions
        .iter()
        .find(|p| p.person.email == "dana@x")
        .unwrap();
    assert_eq!(dana.evidence().unwrap().shown_by.as_deref(), Some("s@x"));
    let block = crate::report::changelog_block(
        &c,
        &c.patches[0],
        Some(&c.patches[0].message_id),
        "https://lore.kernel.org",
    );
    let objections: Vec<&str> = block.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(
        objections,
        [
            "# Changes requested by Ana R <ana@x> (1970-01-01): \"This leaks the buffer, you should free it on the error path.\" <a@x>",
            "# Changes requested by Dana K <dana@x> (1970-01-01): \"requested changes: \"Why would anyone call this twice?\"; the author conceded: \"Good point, will drop that hunk in v2.\"\" <d@x>",
            "# Changes requested by Lee P <lee@x> (1970-01-01): \"Same here.\" <l@x>",
        ],
        "change requests are told apart from blocking objections"
    );
}

/// A NAK, then in a later mail "with that fixed, add my Reviewed-by": the
/// NAK's points became a condition, so the reviewer supports on that
/// condition and has changed their mind. In one mail, the request the offer
/// waits for keeps the objection.
#[test]
fn a_conditional_offer_after_a_nak_is_a_change_of_mind() {
    let (author, ana, bo) = (p("Sam A", "sam@x"), p("Ana R", "ana@x"), p("Bo K", "bo@x"));
    let reply = |id: &str, who: &Person, body: &str, date: i64| {
        at(
            msg(id, Some(0), who.clone(), "Re: [PATCH] mod: fix", body),
            date,
        )
    };
    let msgs = vec![
        msg("p@x", None, author, "[PATCH] mod: fix", "Fix.\n"),
        reply("a1@x", &ana, "NAK, this breaks module unloading.\n", 1),
        reply(
            "a2@x",
            &ana,
            "With the unload path fixed, feel free to add my Reviewed-by.\n",
            2,
        ),
        reply(
            "b1@x",
            &bo,
            "NAK, this breaks unloading.\n\nWith that fixed, you can add my Reviewed-by.\n",
            3,
        ),
    ];
    let c = analyze(&msgs);
    let got: Vec<String> = c
        .positions
        .iter()
        .skip(1)
        .map(|p| {
            format!(
                "{} {} changed={}",
                p.person.email,
                p.stance.as_str(),
                p.changed
            )
        })
        .collect();
    assert_eq!(
        got,
        ["ana@x support changed=true", "bo@x oppose changed=false"]
    );
}

#[test]
fn a_request_beside_ones_own_tag_and_a_robots_report_take_no_side() {
    let (author, nate, robot, ted) = (
        p("Sam A", "sam@x"),
        p("Nate C", "nate@x"),
        p("kernel test robot", "lkp@intel.com"),
        p("Ted T", "ted@x"),
    );
    let reply = |id: &str, who: &Person, body: &str, date: i64| {
        at(
            msg(id, Some(0), who.clone(), "Re: [PATCH] mod: fix", body),
            date,
        )
    };
    let msgs = vec![
        msg("p@x", None, author, "[PATCH] mod: fix", "Fix.\n"),
        reply(
            "n1@x",
            &nate,
            "One small nit below.\n\nReviewed-by: Nate C <nate@x>\n\n\
             This is unnecessary, the exit code is the last command's.\n",
            1,
        ),
        reply(
            "k1@x",
            &robot,
            "Hi Sam,\n\nThis patch fails to build on powerpc.\n",
            2,
        ),
        reply(
            "t1@x",
            &ted,
            "Reviewed-by: Ted T <ted@x>\n\nNAK after all, this breaks module unloading.\n",
            3,
        ),
    ];
    let c = analyze(&msgs);
    assert_eq!(
        standing(&c, true)[1..],
        [
            "nate@x support approves trailer",
            "lkp@intel.com neutral neutral -",
            "ted@x oppose objects nak-prose",
        ]
    );
}

#[test]
fn a_request_on_one_patch_stands_when_the_next_is_queued() {
    let (author, luis) = (p("Helge D", "helge@x"), p("Luis C", "luis@x"));
    let mut msgs = Vec::new();
    for n in 1..=2 {
        let mut m = msg(
            &format!("{n}@x"),
            (n == 2).then_some(0),
            author.clone(),
            &format!("[PATCH {n}/2] modules: align"),
            "Change.\n",
        );
        (m.index, m.total, m.has_diff) = (Some(n), Some(2), true);
        msgs.push(m);
    }
    let reply = |id: &str, parent: usize, body: &str, date: i64| {
        at(
            msg(id, Some(parent), luis.clone(), "Re: [PATCH] modules", body),
            date,
        )
    };
    msgs.push(reply("l1@x", 0, "Please split this into two patches.\n", 1));
    msgs.push(reply("l2@x", 1, "Thanks! Queued onto modules-next.\n", 2));
    let c = analyze(&msgs);
    assert_eq!(
        standing(&c, true)[1..],
        ["luis@x oppose requests-changes requests-changes"],
        "the request on 1/2 is not answered by queuing 2/2"
    );
}
