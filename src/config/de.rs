//! `json_object!`: the `Deserialize` of a config struct, written once as a
//! macro instead of `#[derive(Deserialize)]`.
//!
//! Why: serde's derive emits, per struct, a field-name visitor (twice: for
//! str and bytes keys), a `visit_seq` for the array form JSON never uses,
//! and an `Option` plus a missing-check per field. For husk's 35 config
//! structs that was over 130 KB of the binary. This macro emits one
//! `visit_map` per struct: keys compared in place, values written straight
//! into a `Default` value, required fields checked by a bit mask. Unknown keys
//! are skipped (as runc does); a repeated key keeps the last value (as Go's
//! encoding/json, which runc uses, does).
//!
//! ```ignore
//! json_object!(IdMapping {
//!     required { container_id: "containerID", host_id: "hostID", size: "size" }
//!     optional { }
//! });
//! ```
//! A struct with a lifetime is written `Name<'a>`; `init { field: expr }`
//! gives fields whose absent value is not the type's `Default`.

macro_rules! json_object {
    ($name:ident<$lt:lifetime> { $($body:tt)* }) => {
        impl<'de: $lt, $lt> serde::Deserialize<'de> for $name<$lt> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                struct V<$lt>(core::marker::PhantomData<&$lt ()>);
                impl<'de: $lt, $lt> serde::de::Visitor<'de> for V<$lt> {
                    type Value = $name<$lt>;
                    $crate::config::de::json_object!(@visit $name, $($body)*);
                }
                d.deserialize_map(V(core::marker::PhantomData))
            }
        }
    };
    ($name:ident { $($body:tt)* }) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    $crate::config::de::json_object!(@visit $name, $($body)*);
                }
                d.deserialize_map(V)
            }
        }
    };
    (@visit $name:ident,
        $(init { $($ifield:ident: $ival:expr),* $(,)? })?
        required { $($rfield:ident: $rkey:literal),* $(,)? }
        optional { $($ofield:ident: $okey:literal),* $(,)? }
    ) => {
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> core::result::Result<Self::Value, A::Error> {
            #[allow(clippy::needless_update)]
            let mut out = $name { $($($ifield: $ival,)*)? ..Default::default() };
            #[allow(unused_mut)]
            let mut seen = 0u32;
            $crate::config::de::fields(&mut map, &mut |key, map| {
                #[allow(unused_mut)]
                let mut bit = 1u32;
                $(
                    if key == $rkey {
                        out.$rfield = $crate::config::de::value(map)?;
                        seen |= bit;
                        return Ok(true);
                    }
                    bit <<= 1;
                )*
                let _ = bit;
                $(
                    if key == $okey {
                        out.$ofield = $crate::config::de::value(map)?;
                        return Ok(true);
                    }
                )*
                Ok(false)
            })?;
            $crate::config::de::required(seen, &[$($rkey),*])?;
            Ok(out)
        }
    };
}

pub(crate) use json_object;

/// One field's value. Not inlined: each value type is parsed by one copy of
/// its code however many fields have that type.
#[inline(never)]
pub fn value<'de, A: serde::de::MapAccess<'de>, T: serde::Deserialize<'de>>(
    map: &mut A,
) -> core::result::Result<T, A::Error> {
    map.next_value()
}

/// A struct's field parser: true when it knew the key and took the value.
pub type Field<'f, 'de, A> = dyn FnMut(&'de str, &mut A) -> core::result::Result<bool, <A as serde::de::MapAccess<'de>>::Error>
    + 'f;

/// The loop of every struct's `visit_map`, once: each key goes to `field`,
/// which parses the value when the key is one of the struct's (true), else
/// the value is skipped.
#[inline(never)]
pub fn fields<'de, A: serde::de::MapAccess<'de>>(
    map: &mut A,
    field: &mut Field<'_, 'de, A>,
) -> core::result::Result<(), A::Error> {
    while let Some(key) = map.next_key::<&'de str>()? {
        if !field(key, map)? {
            map.next_value::<serde::de::IgnoredAny>()?;
        }
    }
    Ok(())
}

/// The first of `names` whose bit is not in `seen`, as a missing-field error.
pub fn required<E: serde::de::Error>(
    seen: u32,
    names: &[&'static str],
) -> core::result::Result<(), E> {
    match names.iter().enumerate().find(|(i, _)| seen & (1 << i) == 0) {
        Some((_, name)) => Err(missing(name)),
        None => Ok(()),
    }
}

std::thread_local! {
    /// The required field whose absence failed the parse: serde-json-core's
    /// errors carry no text (its `custom-error-messages` feature would name
    /// the field, but makes every `Result` in the parser 80 bytes wide and
    /// the binary 57 KB larger), so the name waits here for `load`.
    static MISSING: core::cell::Cell<&'static str> = const { core::cell::Cell::new("") };
}

/// The error for a missing required field `name`.
pub fn missing<E: serde::de::Error>(name: &'static str) -> E {
    MISSING.with(|m| m.set(name));
    E::custom("")
}

/// Takes the name [`missing`] recorded, if any.
pub fn take_missing() -> Option<&'static str> {
    Some(MISSING.with(|m| m.replace(""))).filter(|n| !n.is_empty())
}
