//! Errors and notices as words, in the reader's language, made at the edge.
//!
//! Every error type of the workspace is data (an enum with its values) and implements
//! [`Words`]: it says what it means as a [`Message`], the same sentence in Chinese and in
//! English plus the thing it is about (a file, a code). The window shows the sentence in its own
//! language ([`Words::words`]); the command line, read by people of both languages on the same
//! workstation, prints both (`Display`, which every error type takes from its message):
//!
//! ```text
//! 找不到数据库文件 / database file not found: /srv/lamppost.sqlite
//! ```
//!
//! Nothing parses a message back: what a program needs to know is in the error's variant.
//!
//! ```
//! use lamppost_core::words::{Lang, Message, Words};
//!
//! struct Missing(&'static str);
//!
//! impl Words for Missing {
//!     fn message(&self) -> Message {
//!         Message::new("找不到文件", "file not found").about(self.0)
//!     }
//! }
//!
//! let e = Missing("a.csv");
//! assert_eq!(e.words(Lang::Zh), "找不到文件：a.csv");
//! assert_eq!(e.words(Lang::En), "file not found: a.csv");
//! assert_eq!(e.message().to_string(), "找不到文件 / file not found: a.csv");
//! ```

use std::borrow::Cow;
use std::fmt;

pub use crate::readback::Lang;

/// One sentence in both languages, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The sentence in Simplified Chinese.
    pub zh: Cow<'static, str>,
    /// The sentence in English.
    pub en: Cow<'static, str>,
    /// What it is about, the same in both languages (a path, a code); written after the
    /// sentence.
    pub about: Option<String>,
}

impl Message {
    /// A sentence in both languages.
    #[must_use]
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
            about: None,
        }
    }

    /// Names what the sentence is about (a file, a code).
    #[must_use]
    pub fn about(mut self, subject: impl fmt::Display) -> Self {
        self.about = Some(subject.to_string());
        self
    }

    /// The sentence in one language, with its subject.
    #[must_use]
    pub fn in_lang(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        };
        match (&self.about, lang) {
            (Some(s), Lang::Zh) => format!("{text}：{s}"),
            (Some(s), Lang::En) => format!("{text}: {s}"),
            (None, _) => text.to_string(),
        }
    }
}

/// Both languages, as the command line prints them: `中文 / English: subject`.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)?;
        if let Some(s) = &self.about {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

/// A value that can say what it means to a person.
pub trait Words {
    /// The message, in both languages.
    fn message(&self) -> Message;

    /// The message in one language, as the window shows it.
    fn words(&self, lang: Lang) -> String {
        self.message().in_lang(lang)
    }
}

impl Words for Message {
    fn message(&self) -> Message {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_without_subject_is_just_the_sentence() {
        let m = Message::new("已取消", "cancelled");
        assert_eq!(m.in_lang(Lang::Zh), "已取消");
        assert_eq!(m.in_lang(Lang::En), "cancelled");
        assert_eq!(m.to_string(), "已取消 / cancelled");
    }

    #[test]
    fn the_subject_follows_each_language_punctuation() {
        let m = Message::new("找不到", "not found").about("/tmp/x");
        assert_eq!(m.in_lang(Lang::Zh), "找不到：/tmp/x");
        assert_eq!(m.in_lang(Lang::En), "not found: /tmp/x");
        assert_eq!(m.to_string(), "找不到 / not found: /tmp/x");
    }
}
