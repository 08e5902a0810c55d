//! The walk: every message of the thread in date order, each adding its
//! signals to its sender's position. What a message says was read up front
//! (`signals`, `conversation`); the walk adds what depends on the thread at
//! that moment: whom an agreement takes its stance from, whether a
//! conditional offer waits, which trailers are credited to which patches.

use std::collections::HashMap;

use super::anchors::{anchors, ids, is_cover, targets};
use super::conversation::{self, Evidence};
use super::identity::{People, plausible_address, same_person};
use super::signals::{Read, hold_if_conditional, lead_in, prose_signals};
use super::{Credit, MessageInput, Signal};
use crate::message::Person;
use crate::stance::{self, Grade, Kind, Rule, Scope, Stance};

/// The walk's state: people so far, where each stands now, credits so far.
pub(super) struct Walk<'a> {
    msgs: &'a [MessageInput],
    reads: &'a [Read],
    anchors: Vec<Option<usize>>,
    talk: Vec<Option<Evidence>>,
    /// Everyone who wrote, in order of appearance.
    pub(super) people: People,
    /// Each person's stance at this point of the walk.
    current: HashMap<usize, Stance>,
    /// Trailers credited so far, by patch (index into `msgs`).
    pub(super) credits: HashMap<usize, Vec<Credit>>,
    /// Posters and in-body authors of every patch in the thread.
    authors: Vec<Person>,
    /// The first patch posted: its author's work is what the thread is
    /// about. A patch someone else posts in the thread is their alternative.
    first_patch: Option<usize>,
    /// Everyone who writes in the thread (a trailer carried in a patch counts
    /// as the position of its giver only if they take part).
    senders: Vec<&'a Person>,
    order: Vec<usize>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(msgs: &'a [MessageInput], reads: &'a [Read]) -> Walk<'a> {
        let mut order: Vec<usize> = (0..msgs.len()).filter(|&i| !msgs[i].ghost).collect();
        order.sort_by_key(|&i| (msgs[i].seconds().unwrap_or(i64::MAX), i));
        let anchors = anchors(msgs);
        let talk = conversation::evidence(msgs, reads, &anchors);
        let authors = msgs
            .iter()
            .filter(|m| m.posts_patch())
            .flat_map(|m| [m.from.clone(), m.author.clone()])
            .collect();
        let first_patch = order.iter().copied().find(|&i| msgs[i].posts_patch());
        let senders = order.iter().map(|&i| &msgs[i].from).collect();
        Walk {
            msgs,
            reads,
            anchors,
            talk,
            people: People::default(),
            current: HashMap::new(),
            credits: HashMap::new(),
            authors,
            first_patch,
            senders,
            order,
        }
    }

    /// Walks every message, oldest first.
    pub(super) fn run(&mut self) {
        for k in 0..self.order.len() {
            self.message(self.order[k]);
        }
    }

    fn message(&mut self, i: usize) {
        let m = &self.msgs[i];
        let who = self.people.index(&m.from);
        if is_pull_request(m) {
            // "Please pull ..." in a maintainer's own [GIT PULL] asks
            // nothing of anyone: sending it is the maintainer's support.
            let mut signal = Signal::said(Kind::Posted, m, m.subject.clone(), Rule::PullRequest);
            signal.scope = "series";
            self.take(i, who, vec![(0, signal)]);
            return;
        }
        match self.anchors[i] {
            // Not about a patch: prose still counts, about the thread.
            None => {
                let pending = self.prose(i, who, None);
                self.take(i, who, pending);
            }
            Some(anchor) if anchor == i => {
                self.posted(i, who, anchor);
                self.carried_trailers(i);
            }
            Some(anchor) => self.reply(i, who, anchor),
        }
    }

    /// A patch or cover letter: its poster supports it, unless it is an
    /// alternative to the thread's patch (a position on their own patch,
    /// not on the one under review).
    fn posted(&mut self, i: usize, who: usize, anchor: usize) {
        let (msgs, m) = (self.msgs, &self.msgs[i]);
        let alternative = self.first_patch.is_some_and(|f| {
            let root = &msgs[f];
            ![&root.from, &root.author]
                .iter()
                .any(|a| same_person(a, &m.from) || same_person(a, &m.author))
        });
        let rule = if alternative {
            Rule::PostedAlternative
        } else {
            Rule::Posted
        };
        let mut signal = Signal::said(Kind::Posted, m, m.subject.clone(), rule);
        let cover = is_cover(msgs, i);
        signal.patch = (!cover).then(|| m.message_id.clone());
        signal.scope = if cover { "series" } else { "patch" };
        signal.covers = ids(msgs, &targets(msgs, anchor, None).0);
        if alternative {
            signal.stance = None;
            signal.grade = Grade::Neutral;
        } else {
            self.current.insert(who, Stance::Support);
        }
        self.people.list[who].signals.push(signal);
    }

    /// Review trailers the patch carries from an earlier revision
    /// ("Reviewed-by: Nathan ..." above the `---`) are the position of their
    /// givers who take part in the thread, until they say otherwise. They
    /// are not credited again: the patch has them.
    fn carried_trailers(&mut self, i: usize) {
        let m = &self.msgs[i];
        for line in self.reads[i].original.lines() {
            if line.trim() == "---" {
                break;
            }
            let Some(t) = crate::trailers::parse_line(line.trim_end(), 0) else {
                continue;
            };
            let kind = Kind::of_trailer(&t.key);
            let Some(person) = t.person else { continue };
            if !matches!(kind, Kind::AckedBy | Kind::ReviewedBy | Kind::TestedBy)
                || same_person(&person, &m.from)
                || same_person(&person, &m.author)
            {
                continue;
            }
            let Some(sender) = self.senders.iter().find(|s| same_person(s, &person)) else {
                continue;
            };
            let giver = self.people.index(sender);
            if self.current.contains_key(&giver) {
                continue;
            }
            let mut signal = Signal::said(kind, m, line.trim().to_string(), Rule::CarriedTrailer);
            signal.patch = (!is_cover(self.msgs, i)).then(|| m.message_id.clone());
            signal.covers = vec![m.message_id.clone()];
            self.current.insert(giver, Stance::Support);
            self.people.list[giver].signals.push(signal);
        }
    }

    /// A reply: its trailers, its prose and what the conversation shows, in
    /// the order written, then the trailers it offers in prose.
    fn reply(&mut self, i: usize, who: usize, anchor: usize) {
        let mut pending = self.trailers(i, anchor);
        pending.extend(self.prose(i, who, Some(anchor)));
        pending.extend(self.conversation(i, anchor));
        self.take(i, who, pending);
        self.credit_offers(i, who, anchor);
    }

    fn prose(&self, i: usize, who: usize, anchor: Option<usize>) -> Vec<(usize, Signal)> {
        prose_signals(
            self.msgs,
            &self.reads[i],
            i,
            anchor,
            who,
            &self.people.list,
            &self.current,
            &self.authors,
        )
    }

    /// What the conversation shows comes after the message's own words.
    fn conversation(&self, i: usize, anchor: usize) -> Vec<(usize, Signal)> {
        let (msgs, m) = (self.msgs, &self.msgs[i]);
        self.talk[i]
            .iter()
            .map(|e| {
                let (patches, scope) = targets(msgs, anchor, None);
                let mut signal = Signal::said(e.kind, m, e.evidence.clone(), e.rule)
                    .about(msgs, &patches, scope);
                signal.shown_by = e.shown_by.clone();
                (usize::MAX, signal)
            })
            .collect()
    }

    /// Trailers, from original text only, scoped by the prose before them;
    /// credited to the patches they cover as they are read.
    fn trailers(&mut self, i: usize, anchor: usize) -> Vec<(usize, Signal)> {
        let (msgs, m, read) = (self.msgs, &self.msgs[i], &self.reads[i]);
        let original = &read.original;
        let mut pending = Vec::new();
        let mut offset = 0;
        for line in original.split_inclusive('\n') {
            let here = offset;
            offset += line.len();
            let Some(t) = crate::trailers::parse_line(line.trim_end(), here) else {
                continue;
            };
            let Some(person) = t.person.clone() else {
                continue;
            };
            let kind = Kind::of_trailer(&t.key);
            // "With the updated commit message:" just before the trailer.
            let conditional = stance::conditional_lead(&lead_in(original, here));
            // An author's Tested-by in a reply to their own patch is about
            // someone else's proposal, not a review of the patch.
            let own = same_person(&person, &msgs[anchor].author)
                || same_person(&person, &msgs[anchor].from);
            let scope = trailer_scope(read, here, here + line.len());
            let (patches, scope_name) = targets(msgs, anchor, scope.as_ref());
            let verified = same_person(&person, &m.from);
            let evidence = line.trim().to_string();
            let rule = if own { Rule::OwnTrailer } else { Rule::Trailer };
            let mut signal =
                Signal::said(kind, m, evidence.clone(), rule).about(msgs, &patches, scope_name);
            signal.target = (!verified).then(|| person.email.clone());
            signal.conditional = conditional;
            signal.verified = verified;
            if !verified || own {
                signal.stance = None;
                signal.grade = Grade::Neutral;
            }
            if kind != Kind::OtherTrailer && !own {
                let credit = Credit {
                    name: t.name.clone(),
                    person: credited_person(&person, verified, &m.from),
                    source: m.message_id.clone(),
                    scope: scope_name,
                    conditional,
                    verified,
                    evidence,
                };
                self.credit(&patches, &credit);
            }
            pending.push((here, signal));
        }
        pending
    }

    fn credit(&mut self, patches: &[usize], credit: &Credit) {
        for &p in patches {
            self.credits.entry(p).or_default().push(credit.clone());
        }
    }

    /// Takes a message's signals in the order they were written ("I
    /// withdraw my NAK. Acked-by: ..."), each at the stance its giver holds
    /// at that moment.
    fn take(&mut self, i: usize, who: usize, mut pending: Vec<(usize, Signal)>) {
        let m = &self.msgs[i];
        pending.sort_by_key(|(offset, _)| *offset);
        let (mut applied_here, mut opposed_here) = (false, false);
        let reviewed_here = pending.iter().any(|(_, s)| is_own_review(s));
        for (_, mut signal) in pending {
            hold_if_conditional(&mut signal, opposed_here);
            // "One small nit below. Reviewed-by: ...": a change asked for
            // in the message that gives one's own tag does not hold the
            // patch back (a blocking objection still does).
            if reviewed_here
                && signal.stance == Some(Stance::Oppose)
                && signal.grade == Grade::RequestsChanges
            {
                signal.stance = None;
            }
            // "Applied, thanks. While I am here, it is not clear to me how
            // ...": questions after taking the patch do not undo it, nor
            // does checkpatch's output pasted below "Applied" (only a NAK
            // does).
            if applied_here
                && signal.stance == Some(Stance::Oppose)
                && !matches!(signal.kind, Kind::Nak | Kind::NackedBy)
            {
                signal.stance = None;
            }
            applied_here |= signal.kind == Kind::Applied;
            if signal.rule == Rule::RetractsTrailer {
                self.retract(&signal.covers, &m.from);
            }
            if signal.stance.is_none() {
                signal.grade = Grade::Neutral;
            }
            if let Some(s) = signal.stance {
                self.current.insert(who, s);
                opposed_here = s == Stance::Oppose;
            }
            self.people.list[who].signals.push(signal);
        }
    }

    /// A retracted trailer is no longer credited to the patches the
    /// retraction is about.
    fn retract(&mut self, covers: &[String], by: &Person) {
        for id in covers {
            if let Some(p) = self.msgs.iter().position(|x| x.message_id == *id)
                && let Some(list) = self.credits.get_mut(&p)
            {
                list.retain(|c| !same_person(&c.person, by));
            }
        }
    }

    /// Trailers offered in prose ("feel free to add my Reviewed-by") are
    /// credits too, marked when conditional.
    fn credit_offers(&mut self, i: usize, who: usize, anchor: usize) {
        let m = &self.msgs[i];
        let offers: Vec<Signal> = self.people.list[who]
            .signals
            .iter()
            .filter(|s| s.message_id == m.message_id && s.rule.is_trailer_offer())
            .cloned()
            .collect();
        for s in offers {
            let name = match s.kind {
                Kind::AckedBy => "Acked-by",
                Kind::ReviewedBy => "Reviewed-by",
                Kind::TestedBy => "Tested-by",
                _ => continue,
            };
            let scope = stance::read_scope(&s.evidence.to_lowercase());
            let (patches, scope_name) = targets(self.msgs, anchor, scope.as_ref());
            let credit = Credit {
                name: name.to_string(),
                person: m.from.clone(),
                source: m.message_id.clone(),
                scope: scope_name,
                conditional: s.conditional,
                verified: true,
                evidence: s.evidence.clone(),
            };
            self.credit(&patches, &credit);
        }
    }
}

/// The sender's own unconditional review trailer (Reviewed-by, Acked-by,
/// Tested-by) in a reply.
fn is_own_review(s: &Signal) -> bool {
    s.rule == Rule::Trailer && s.verified && !s.conditional && s.stance == Some(Stance::Support)
}

/// The scope a trailer takes: one that finishes the offer on the next line
/// ("Reviewed-by: ... / to that patch."), else the last one set before it.
fn trailer_scope(read: &Read, here: usize, next: usize) -> Option<Scope> {
    let original = &read.original;
    let after = read.scopes.iter().find(|(o, _)| {
        *o >= next
            && original[next..*o].trim().is_empty()
            && ["to ", "for "]
                .iter()
                .any(|w| original[*o..].starts_with(w))
    });
    after
        .or_else(|| read.scopes.iter().rev().find(|(o, _)| *o <= here))
        .map(|(_, s)| s.clone())
}

/// Whom a trailer credits: the person it names, with the sender's address
/// when the named one is mangled ("sedat.dilek@gmail,com" from Sedat Dilek).
fn credited_person(named: &Person, verified: bool, sender: &Person) -> Person {
    if verified && !plausible_address(&named.email) {
        Person {
            name: named.name.clone(),
            email: sender.email.clone(),
        }
    } else {
        named.clone()
    }
}

/// A maintainer's `[GIT PULL]` mail (not a reply to one).
fn is_pull_request(m: &MessageInput) -> bool {
    !m.is_reply && !m.ghost && m.subject.to_ascii_uppercase().contains("[GIT PULL")
}
