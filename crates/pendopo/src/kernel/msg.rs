//! A user-facing message: a catalogue key and its arguments, translated only
//! when it reaches a page or an API answer, in that request's language.

use std::fmt::Display;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// An argument: plain text, or a message of its own, translated with the
/// outer one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Msg(Msg),
}

impl Msg {
    pub fn new(key: &'static str) -> Msg {
        Msg { key, args: Vec::new() }
    }

    pub fn arg(mut self, name: &'static str, value: impl Display) -> Msg {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    pub fn arg_msg(mut self, name: &'static str, value: Msg) -> Msg {
        self.args.push((name, Arg::Msg(value)));
        self
    }
}
