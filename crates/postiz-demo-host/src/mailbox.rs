//! The emails the demo host's stand-in for Supabase Auth "sends", kept for the `/mailbox` page
//! (what Inbucket is to a local Supabase stack). In memory: a restart empties it, and the links
//! in it keep working because their tokens are signed, not stored.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Emails kept at most; the oldest go first.
const KEPT: usize = 100;

/// One email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The sentence above the link.
    pub text: String,
    /// The link the email asks to follow.
    pub link: String,
    /// When it was sent (`YYYY-MM-DD HH:MM UTC`).
    pub sent_at: String,
}

/// The sent emails, newest first.
#[derive(Debug, Default)]
pub struct Mailbox {
    mails: Mutex<VecDeque<Mail>>,
}

impl Mailbox {
    /// Keeps `mail`.
    pub fn deliver(&self, mail: Mail) {
        let mut mails = self.mails.lock().unwrap_or_else(|p| p.into_inner());
        mails.push_front(mail);
        mails.truncate(KEPT);
    }

    /// Everything kept, newest first.
    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_hundred_newest_first() {
        let mailbox = Mailbox::default();
        for i in 0..105 {
            mailbox.deliver(Mail {
                to: format!("u{i}@example.test"),
                subject: "s".into(),
                text: "t".into(),
                link: "l".into(),
                sent_at: String::new(),
            });
        }
        let all = mailbox.all();
        assert_eq!(all.len(), 100);
        assert_eq!(all[0].to, "u104@example.test");
        assert_eq!(all[99].to, "u5@example.test");
    }
}
