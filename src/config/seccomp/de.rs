//! The hand-written `Deserialize` of [`Seccomp`]: rules go through a
//! `DeserializeSeed` that appends their names and args to the shared pools
//! and records (rather than fails on) a capacity overflow.

use super::{word, Action, ArchName, Arg, Flag, Op, Over, Rule, Seccomp, Span, Word};
use crate::caps::{MAX_SECCOMP_ARGS, MAX_SECCOMP_NAMES, MAX_SECCOMP_RULES};
use core::fmt;
use core::marker::PhantomData;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Parse state shared by the seeds: the pools and the first overflow.
struct Pools<'p, 'a> {
    names: &'p mut heapless::Vec<&'a str, MAX_SECCOMP_NAMES>,
    args: &'p mut heapless::Vec<Arg<'a>, MAX_SECCOMP_ARGS>,
    over: &'p mut Option<Over>,
}

fn note(over: &mut Option<Over>, what: Over) {
    if over.is_none() {
        *over = Some(what);
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Seccomp<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        const FIELDS: &[&str] = &[
            "defaultAction",
            "defaultErrnoRet",
            "architectures",
            "flags",
            "listenerPath",
            "listenerMetadata",
            "syscalls",
        ];
        d.deserialize_struct("Seccomp", FIELDS, SeccompVisitor(PhantomData))
    }
}

struct SeccompVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for SeccompVisitor<'a> {
    type Value = Seccomp<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a linux.seccomp object")
    }

    fn visit_map<M: MapAccess<'de>>(
        self,
        mut map: M,
    ) -> core::result::Result<Self::Value, M::Error> {
        let mut s = Seccomp::empty();
        let mut have_default = false;
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "defaultAction" => {
                    s.default_action = word(&Action::ALL, map.next_value::<&'de str>()?);
                    have_default = true;
                }
                "defaultErrnoRet" => s.default_errno_ret = map.next_value()?,
                "architectures" => map.next_value_seed(WordsSeed {
                    out: &mut s.architectures,
                    table: &ArchName::ALL,
                    over: &mut s.over,
                    what: Over::Archs,
                })?,
                "flags" => map.next_value_seed(WordsSeed {
                    out: &mut s.flags,
                    table: &Flag::ALL,
                    over: &mut s.over,
                    what: Over::Flags,
                })?,
                "listenerPath" => s.listener_path = map.next_value()?,
                "listenerMetadata" => s.listener_metadata = map.next_value()?,
                "syscalls" => map.next_value_seed(RulesSeed {
                    rules: &mut s.syscalls,
                    pools: Pools {
                        names: &mut s.names,
                        args: &mut s.args,
                        over: &mut s.over,
                    },
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !have_default {
            return Err(crate::config::de::missing("defaultAction"));
        }
        Ok(s)
    }
}

/// A JSON array of keywords into a bounded Vec of [`Word`]s.
struct WordsSeed<'p, 'a, T: 'static, const N: usize> {
    out: &'p mut heapless::Vec<Word<'a, T>, N>,
    table: &'static [(&'static str, T)],
    over: &'p mut Option<Over>,
    what: Over,
}

impl<'de: 'a, 'a, T: Copy + 'static, const N: usize> DeserializeSeed<'de>
    for WordsSeed<'_, 'a, T, N>
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a, T: Copy + 'static, const N: usize> Visitor<'de> for WordsSeed<'_, 'a, T, N> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<(), S::Error> {
        while let Some(s) = seq.next_element::<&'de str>()? {
            if self.out.push(word(self.table, s)).is_err() {
                note(self.over, self.what);
            }
        }
        Ok(())
    }
}

/// `syscalls`: rules appended to `rules`, their names and args to the pools.
struct RulesSeed<'p, 'a> {
    rules: &'p mut heapless::Vec<Rule<'a>, MAX_SECCOMP_RULES>,
    pools: Pools<'p, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for RulesSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RulesSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of syscall rules")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<(), S::Error> {
        let mut index = 0;
        loop {
            let seed = RuleSeed {
                index,
                pools: Pools {
                    names: self.pools.names,
                    args: self.pools.args,
                    over: self.pools.over,
                },
            };
            let Some(rule) = seq.next_element_seed(seed)? else {
                return Ok(());
            };
            if self.rules.push(rule).is_err() {
                note(self.pools.over, Over::Rules);
            }
            index += 1;
        }
    }
}

/// One rule object.
struct RuleSeed<'p, 'a> {
    index: usize,
    pools: Pools<'p, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for RuleSeed<'_, 'a> {
    type Value = Rule<'a>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Rule<'a>, D::Error> {
        d.deserialize_struct("Syscall", &["names", "action", "errnoRet", "args"], self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RuleSeed<'_, 'a> {
    type Value = Rule<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a syscall rule object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> core::result::Result<Rule<'a>, M::Error> {
        let (mut names, mut action, mut errno_ret, mut args) = (None, None, None, Span::default());
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "names" => {
                    names = Some(map.next_value_seed(PoolSeed {
                        pool: &mut *self.pools.names,
                        over: &mut *self.pools.over,
                        what: Over::Names(self.index),
                        elem: PhantomData::<&'de str>,
                    })?)
                }
                "action" => action = Some(word(&Action::ALL, map.next_value::<&'de str>()?)),
                "errnoRet" => errno_ret = map.next_value()?,
                "args" => {
                    args = map.next_value_seed(PoolSeed {
                        pool: &mut *self.pools.args,
                        over: &mut *self.pools.over,
                        what: Over::Args(self.index),
                        elem: PhantomData::<ArgDe<'de>>,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Rule {
            names: names.ok_or_else(|| crate::config::de::missing("names"))?,
            action: action.ok_or_else(|| crate::config::de::missing("action"))?,
            errno_ret,
            args,
        })
    }
}

/// A JSON array of `E` appended to a shared pool of `T`; yields the [`Span`]
/// it filled.
struct PoolSeed<'p, T, E, const N: usize> {
    pool: &'p mut heapless::Vec<T, N>,
    over: &'p mut Option<Over>,
    what: Over,
    elem: PhantomData<E>,
}

impl<'de, T, E: de::Deserialize<'de> + Into<T>, const N: usize> DeserializeSeed<'de>
    for PoolSeed<'_, T, E, N>
{
    type Value = Span;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Span, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T, E: de::Deserialize<'de> + Into<T>, const N: usize> Visitor<'de>
    for PoolSeed<'_, T, E, N>
{
    type Value = Span;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<Span, S::Error> {
        // Fits: N <= u16::MAX (checked at build time above).
        let start = self.pool.len() as u16;
        while let Some(e) = seq.next_element::<E>()? {
            if self.pool.push(e.into()).is_err() {
                note(self.over, self.what);
            }
        }
        let len = (self.pool.len() as u16).saturating_sub(start);
        Ok(Span { start, len })
    }
}

/// `args[]` element as parsed; becomes an [`Arg`].
struct ArgDe<'a>(Arg<'a>);

impl<'a> From<ArgDe<'a>> for Arg<'a> {
    fn from(a: ArgDe<'a>) -> Arg<'a> {
        a.0
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for ArgDe<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_struct(
            "Arg",
            &["index", "value", "valueTwo", "op"],
            ArgVisitor(PhantomData),
        )
    }
}

struct ArgVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ArgVisitor<'a> {
    type Value = ArgDe<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a syscall argument condition")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> core::result::Result<ArgDe<'a>, M::Error> {
        let (mut index, mut value, mut value_two, mut op) = (None, None, 0u64, None);
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "index" => index = Some(map.next_value::<u32>()?),
                "value" => value = Some(map.next_value::<u64>()?),
                "valueTwo" => value_two = map.next_value::<Option<u64>>()?.unwrap_or(0),
                "op" => op = Some(word(&Op::ALL, map.next_value::<&'de str>()?)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(ArgDe(Arg {
            index: index.ok_or_else(|| crate::config::de::missing("index"))?,
            value: value.ok_or_else(|| crate::config::de::missing("value"))?,
            value_two,
            op: op.ok_or_else(|| crate::config::de::missing("op"))?,
        }))
    }
}
