//! Small collections left in the encoding the file holds them in (listpacks,
//! quicklist nodes), for loaders that convert a value in one pass instead of
//! building a `Vec<Bytes>` of its elements first.
//!
//! Redis loads these encodings by keeping the blob (`rdbLoadObject()` hands a
//! listpack to the new object as it is), which is much of why its loading is
//! fast; a loader with its own in-memory layout gets closest by walking the
//! blob once, without an allocation per element. [`Decoder::keep_packed`]
//! turns this on; the decoder checks the blobs exactly as it does for the
//! unpacked values (deep listpack integrity, pairs, scores), so the iterators
//! here cannot fail.
//!
//! [`Decoder::keep_packed`]: crate::Decoder::keep_packed

use bytes::Bytes;
use serde::{Serialize, Serializer};

use crate::blob::Element;
use crate::listpack::{self, Entries};
use crate::value::Value;

/// The type of a [`Packed`] value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackedKind {
    /// A list, elements head first.
    List,
    /// A set.
    Set,
    /// A hash: elements alternate field, value.
    Hash,
    /// A sorted set: elements alternate member, score, lowest score first.
    SortedSet,
}

/// One blob of a packed value.
#[derive(Debug, Clone, PartialEq)]
pub enum PackedNode {
    /// A whole listpack (header, entries, end byte), already checked.
    Listpack(Bytes),
    /// One element on its own (a quicklist `PLAIN` node).
    Plain(Bytes),
    /// Strings back to back (a set stored member by member): element `i` is
    /// `data[ends[i - 1]..ends[i]]` (from 0 for the first).
    Strings {
        /// The strings' bytes.
        data: Bytes,
        /// Where each string ends.
        ends: Vec<usize>,
    },
}

/// A value still in its file encoding: see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    kind: PackedKind,
    /// Elements in all nodes (a hash or sorted set counts two per pair).
    elements: usize,
    nodes: Vec<PackedNode>,
    /// A sorted set's scores, parsed once when the decoder checked them.
    scores: Vec<f64>,
}

impl Packed {
    /// A value of `kind` made of `nodes` holding `elements` elements in all.
    pub(crate) fn new(kind: PackedKind, elements: usize, nodes: Vec<PackedNode>) -> Packed {
        Packed {
            kind,
            elements,
            nodes,
            scores: Vec::new(),
        }
    }

    /// With a sorted set's scores, parsed already (one per pair, in order).
    pub(crate) fn with_scores(mut self, scores: Vec<f64>) -> Packed {
        self.scores = scores;
        self
    }

    /// Its type.
    pub fn kind(&self) -> PackedKind {
        self.kind
    }

    /// Elements of a list or set, pairs of a hash or sorted set.
    pub fn len(&self) -> usize {
        match self.kind {
            PackedKind::List | PackedKind::Set => self.elements,
            PackedKind::Hash | PackedKind::SortedSet => self.elements / 2,
        }
    }

    /// Whether it holds nothing (the decoder never yields such a value).
    pub fn is_empty(&self) -> bool {
        self.elements == 0
    }

    /// Bytes of all the blobs together.
    pub fn byte_len(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| match n {
                PackedNode::Listpack(b) | PackedNode::Plain(b) => b.len(),
                PackedNode::Strings { data, .. } => data.len(),
            })
            .sum()
    }

    /// The blobs, in order.
    pub fn nodes(&self) -> &[PackedNode] {
        &self.nodes
    }

    /// Every element in order: list elements, set members, or a hash's or
    /// sorted set's entries alternating (field, value) / (member, score).
    pub fn elements(&self) -> Elements<'_> {
        Elements {
            nodes: &self.nodes,
            current: NodeIter::Plain(None),
        }
    }

    /// A hash's (field, value) pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (Element<'_>, Element<'_>)> + '_ {
        let mut elements = self.elements();
        std::iter::from_fn(move || Some((elements.next()?, elements.next()?)))
    }

    /// A sorted set's (member, score) pairs, lowest score first.
    pub fn scored(&self) -> impl Iterator<Item = (Element<'_>, f64)> + '_ {
        // The decoder checked every score (NaN never comes out) and kept them.
        let parsed = self.scores.len() == self.len();
        let mut scores = self.scores.iter();
        self.pairs()
            .map(move |(member, score)| match scores.next() {
                Some(&s) if parsed => (member, s),
                _ => (member, score.as_score().unwrap_or(0.0)),
            })
    }

    /// The value as the decoder gives it without packing.
    pub fn unpack(&self) -> Value {
        let text = |e: Element<'_>| match e {
            Element::Str(s) => Bytes::copy_from_slice(s),
            Element::Int(i) => Bytes::from(i.to_string()),
        };
        match self.kind {
            PackedKind::List => Value::List(self.elements().map(text).collect()),
            PackedKind::Set => Value::Set(self.elements().map(text).collect()),
            PackedKind::Hash => {
                Value::Hash(self.pairs().map(|(f, v)| (text(f), text(v))).collect())
            }
            PackedKind::SortedSet => {
                Value::SortedSet(self.scored().map(|(m, s)| (text(m), s)).collect())
            }
        }
    }
}

impl Serialize for Packed {
    /// As the unpacked value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.unpack().serialize(serializer)
    }
}

/// The elements of a [`Packed`] value, node after node.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    nodes: &'a [PackedNode],
    current: NodeIter<'a>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        loop {
            let next = match &mut self.current {
                NodeIter::Listpack(entries) => entries.next(),
                NodeIter::Plain(element) => element.take(),
                NodeIter::Strings { data, ends, start } => {
                    ends.split_first().map(|(&end, rest)| {
                        let s = data.get(*start..end).unwrap_or_default();
                        *ends = rest;
                        *start = end;
                        Element::Str(s)
                    })
                }
            };
            if next.is_some() {
                return next;
            }
            let (node, rest) = self.nodes.split_first()?;
            self.nodes = rest;
            self.current = match node {
                PackedNode::Listpack(blob) => NodeIter::Listpack(Entries::new(blob)),
                PackedNode::Plain(element) => NodeIter::Plain(Some(Element::Str(element))),
                PackedNode::Strings { data, ends } => NodeIter::Strings {
                    data,
                    ends,
                    start: 0,
                },
            };
        }
    }
}

/// The elements of one node.
#[derive(Debug, Clone)]
enum NodeIter<'a> {
    Listpack(Entries<'a>),
    Plain(Option<Element<'a>>),
    Strings {
        data: &'a [u8],
        ends: &'a [usize],
        start: usize,
    },
}

/// The index of the first string (in order) that repeats an earlier one, if
/// any, without hashing: indices sorted by (string, index), so the later ones of
/// each run of equal strings are the repeats.
pub(crate) fn first_repeat(data: &[u8], ends: &[usize]) -> Option<usize> {
    let string = |i: usize| {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        data.get(start..ends[i]).unwrap_or_default()
    };
    let mut order: Vec<usize> = (0..ends.len()).collect();
    order.sort_unstable_by(|&a, &b| string(a).cmp(string(b)).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| string(w[0]) == string(w[1]))
        .map(|w| w[1])
        .min()
}

/// Checks a listpack blob as the unpacked decoding would, and counts its elements.
/// A sorted set's scores must parse and not be NaN, a hash's and a sorted set's
/// elements come in pairs. The error is the text the unpacked path gives.
/// A sorted set's scores go to `scores`, parsed once.
pub(crate) fn check_listpack(
    blob: &[u8],
    base: u64,
    kind: PackedKind,
    scores: &mut Vec<f64>,
) -> crate::Result<usize> {
    let mut bad_score = None;
    let mut index = 0usize;
    if kind == PackedKind::SortedSet {
        // The header's element count, when known, sizes the scores at once.
        let count = blob
            .get(4..6)
            .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
        if count != listpack::COUNT_UNKNOWN {
            scores.reserve(usize::from(count / 2).min(blob.len() / 4));
        }
    }
    let count = crate::blob::run(blob, base, "listpack", |b| {
        listpack::walk(b, |e| {
            if kind == PackedKind::SortedSet && index % 2 == 1 && bad_score.is_none() {
                match e.as_score() {
                    None => bad_score = Some("invalid sorted set score"),
                    Some(s) if s.is_nan() => bad_score = Some("Zset with NAN score detected"),
                    Some(s) => scores.push(s),
                }
            }
            index += 1;
        })
    })?;
    let corrupt = |what: &str| crate::Error::corrupt(base, what.to_string());
    let paired = matches!(kind, PackedKind::Hash | PackedKind::SortedSet);
    if paired && count % 2 != 0 {
        return Err(corrupt(match kind {
            PackedKind::Hash => "hash blob with an odd number of elements",
            _ => "sorted set blob with an odd number of elements",
        }));
    }
    if let Some(what) = bad_score {
        return Err(corrupt(what));
    }
    Ok(count)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::listpack::tests::build;

    #[test]
    fn iterates_like_the_unpacked_value() {
        let lp = Bytes::from(build(&[b"\x81a", &[5], b"\x81b", b"\x832.5"], None));
        let hash = Packed::new(
            PackedKind::Hash,
            check_listpack(&lp, 0, PackedKind::Hash, &mut Vec::new()).unwrap(),
            vec![PackedNode::Listpack(lp.clone())],
        );
        assert_eq!(hash.len(), 2);
        assert_eq!(
            hash.unpack(),
            Value::Hash(vec![
                (Bytes::from("a"), Bytes::from("5")),
                (Bytes::from("b"), Bytes::from("2.5")),
            ])
        );
        let zset = Packed::new(PackedKind::SortedSet, 4, vec![PackedNode::Listpack(lp)]);
        let scored: Vec<_> = zset.scored().collect();
        assert_eq!(
            scored,
            vec![(Element::Str(b"a"), 5.0), (Element::Str(b"b"), 2.5)]
        );
        let list = Packed::new(
            PackedKind::List,
            3,
            vec![
                PackedNode::Plain(Bytes::from("big")),
                PackedNode::Listpack(Bytes::from(build(&[&[1], &[2]], None))),
            ],
        );
        assert_eq!(
            list.unpack(),
            Value::List(vec![Bytes::from("big"), Bytes::from("1"), Bytes::from("2")])
        );
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            serde_json::to_string(&list.unpack()).unwrap()
        );
    }

    #[test]
    fn strings_nodes_and_their_repeats() {
        let data = Bytes::from_static(b"abcab");
        let ends = vec![1, 2, 3, 5];
        assert_eq!(first_repeat(&data, &ends), None);
        let set = Packed::new(
            PackedKind::Set,
            4,
            vec![PackedNode::Strings {
                data,
                ends: ends.clone(),
            }],
        );
        let got: Vec<_> = set.elements().collect();
        assert_eq!(
            got,
            vec![
                Element::Str(b"a"),
                Element::Str(b"b"),
                Element::Str(b"c"),
                Element::Str(b"ab")
            ]
        );
        assert_eq!(first_repeat(b"abcaab", &[1, 2, 3, 4, 5, 6]), Some(3));
        assert_eq!(first_repeat(b"xyzzyx", &[1, 2, 3, 4, 5, 6]), Some(3));
        assert_eq!(first_repeat(b"", &[]), None);
    }

    #[test]
    fn checks_what_the_unpacked_path_checks() {
        let odd = build(&[b"\x81a"], None);
        assert!(check_listpack(&odd, 0, PackedKind::Hash, &mut Vec::new()).is_err());
        assert_eq!(
            check_listpack(&odd, 0, PackedKind::List, &mut Vec::new()).unwrap(),
            1
        );
        let bad_score = build(&[b"\x81a", b"\x81x"], None);
        let err =
            check_listpack(&bad_score, 7, PackedKind::SortedSet, &mut Vec::new()).unwrap_err();
        assert!(
            err.to_string().contains("invalid sorted set score"),
            "{err}"
        );
        let nan = build(&[b"\x81a", b"\x83nan"], None);
        let err = check_listpack(&nan, 7, PackedKind::SortedSet, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("NAN"), "{err}");
        let mut broken = build(&[b"\x81a", &[1]], None);
        broken[0] += 1;
        assert!(check_listpack(&broken, 0, PackedKind::Set, &mut Vec::new()).is_err());
    }
}
