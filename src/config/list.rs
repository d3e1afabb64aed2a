//! Bounded collections for config.json that never fail on overflow while
//! parsing: they remember that the file asked for more than the build-time
//! capacity, so validation can name the field and the limit (a serde error
//! could name neither).

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON array of at most `N` items.
///
/// The items live in a fixed-capacity vector on the heap, allocated at the
/// first item: config types stay a few words each, so serde's nested frames
/// never copy kilobytes of arrays (the whole containerd config then parses
/// on a small stack), and an empty list costs no allocation.
pub struct List<T, const N: usize> {
    items: Option<Box<heapless::Vec<T, N>>>,
    /// How many items the file had in all (more than N: over capacity).
    pub total: usize,
}

impl<T, const N: usize> List<T, N> {
    pub const fn new() -> Self {
        List {
            items: None,
            total: 0,
        }
    }
    /// True when config.json had more items than fit.
    pub fn overflowed(&self) -> bool {
        self.total > N
    }
    pub fn push(&mut self, v: T) {
        self.total += 1;
        let _ = self.items.get_or_insert_with(Box::default).push(v);
    }
}

impl<T, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Deref for List<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.items.as_deref().map_or(&[], |v| v.as_slice())
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for List<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for List<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = List<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let mut list = List::new();
                let total = fill(seq, N, &mut |v| list.push(v))?;
                list.total = total;
                Ok(list)
            }
        }
        d.deserialize_seq(V::<T, N>(PhantomData))
    }
}

/// The items of a JSON array: the first `cap` to `push`, the rest counted
/// and skipped; returns how many there were. Generic over the item type
/// only, so lists of one type share it whatever their capacity.
fn fill<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    mut seq: A,
    cap: usize,
    push: &mut dyn FnMut(T),
) -> Result<usize, A::Error> {
    let mut total = 0;
    loop {
        let more = if total < cap {
            seq.next_element::<T>()?.map(&mut *push).is_some()
        } else {
            seq.next_element::<IgnoredAny>()?.is_some()
        };
        if !more {
            return Ok(total);
        }
        total += 1;
    }
}

/// A JSON object of string keys to values of type `T`, in file order.
pub struct Map<'a, T, const N: usize> {
    pub entries: List<(&'a str, T), N>,
}

impl<T, const N: usize> Default for Map<'_, T, N> {
    fn default() -> Self {
        Map {
            entries: List::new(),
        }
    }
}

impl<'a, T, const N: usize> Map<'a, T, N> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = &(&'a str, T)> {
        self.entries.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for Map<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.entries.fmt(f)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Map<'a, T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T, const N: usize>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<'a, T, N> {
            type Value = Map<'a, T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut map = Map::default();
                while let Some(k) = m.next_key::<&'de str>()? {
                    if map.entries.total < N {
                        let v = m.next_value::<T>()?;
                        map.entries.push((k, v));
                    } else {
                        m.next_value::<IgnoredAny>()?;
                        map.entries.total += 1;
                    }
                }
                Ok(map)
            }
        }
        d.deserialize_map(V::<T, N>(PhantomData))
    }
}
