//! python-memcached's pickled values, read and written as data only.
//!
//! python-oauth2's memcache store hands dicts to python-memcached, which
//! stores them as pickles with flag 1 (`FLAG_PICKLE`, protocol 0 by
//! default). A pickle is a program for a small stack machine, and some of
//! its instructions import and call Python code (`GLOBAL`, `REDUCE`, ...).
//! Nothing here runs code: before a pickle is decoded (by `serde-pickle`,
//! which builds plain values) [`decode`] walks every instruction and
//! refuses
//!
//! * every instruction that would import, call or build an object
//!   (`GLOBAL`, `STACK_GLOBAL`, `INST`, `OBJ`, `REDUCE`, `BUILD`, `NEWOBJ`,
//!   `NEWOBJ_EX`, `EXT1/2/4`, `PERSID`, `BINPERSID`, out-of-band buffers),
//! * unknown instructions, truncated arguments, a missing `STOP`,
//! * structures that reference themselves, nest deeper than
//!   [`MAX_DEPTH`], or expand (through memo references, the "billion
//!   laughs" of pickles) beyond [`MAX_EXPANDED`] units,
//! * integers longer than [`MAX_INT_DIGITS`] digits or bytes.
//!
//! What remains are dicts, lists, tuples, sets, strings, bytes, numbers,
//! booleans and `None`, converted to JSON values so that the records are
//! read by the same code as JSON records. Writing uses pickle protocol 2,
//! which every Python since 2.3 reads.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// Deepest nesting accepted (python-oauth2's records nest 3 deep).
pub(crate) const MAX_DEPTH: usize = 64;

/// Most units (one per value plus one per byte of text) a pickle may
/// expand to once every memo reference is copied out: 4 MiB, four times
/// memcached's default item size.
pub(crate) const MAX_EXPANDED: usize = 4 << 20;

/// Longest integer accepted, in decimal digits (text opcodes) or bytes
/// (binary ones); larger numbers only cost time to parse.
pub(crate) const MAX_INT_DIGITS: usize = 40;

/// Why a pickle was refused; the text never quotes the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refused(msg: impl Into<String>) -> Refused {
    Refused(msg.into())
}

/// Decodes a pickle holding plain data into a JSON value.
pub(crate) fn decode(data: &[u8]) -> Result<Value, Refused> {
    scan(data)?;
    let value =
        serde_pickle::value_from_slice(data, serde_pickle::DeOptions::new().decode_strings())
            .map_err(|e| {
                refused(format!(
                    "not a readable pickle ({})",
                    describe_pickle_error(&e)
                ))
            })?;
    to_json(value, 0)
}

/// Encodes a JSON value as a protocol-2 pickle (dicts, lists, strings,
/// numbers, booleans, `None`).
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    serde_pickle::to_vec(value, serde_pickle::SerOptions::new().proto_v2())
        .expect("JSON values always pickle")
}

/// serde-pickle's error without any part of the data (some of its error
/// codes quote values, which may be tokens).
fn describe_pickle_error(e: &serde_pickle::Error) -> String {
    match e {
        serde_pickle::Error::Io(_) => "truncated".to_owned(),
        serde_pickle::Error::Eval(_, pos) => format!("malformed at byte {pos}"),
        serde_pickle::Error::Syntax(_) => "malformed".to_owned(),
    }
}

fn to_json(v: serde_pickle::Value, depth: usize) -> Result<Value, Refused> {
    use serde_pickle::Value as P;
    if depth > MAX_DEPTH {
        return Err(refused(format!("nested deeper than {MAX_DEPTH}")));
    }
    Ok(match v {
        P::None => Value::Null,
        P::Bool(b) => Value::Bool(b),
        P::I64(i) => Value::from(i),
        P::Int(big) => match u64::try_from(&big) {
            Ok(u) => Value::from(u),
            Err(_) => return Err(refused("an integer outside the 64-bit range")),
        },
        P::F64(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| refused("a float that is not finite"))?,
        P::Bytes(b) => Value::String(
            String::from_utf8(b).map_err(|_| refused("a byte string that is not UTF-8"))?,
        ),
        P::String(s) => Value::String(s),
        P::List(items) | P::Tuple(items) => Value::Array(
            items
                .into_iter()
                .map(|i| to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        P::Set(items) | P::FrozenSet(items) => Value::Array(
            items
                .into_iter()
                .map(|i| to_json(i.into_value(), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        P::Dict(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                map.insert(dict_key(k)?, to_json(v, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

/// A dict key as JSON object key, the way Python's `json.dumps` writes
/// the keys it accepts.
fn dict_key(k: serde_pickle::HashableValue) -> Result<String, Refused> {
    use serde_pickle::HashableValue as H;
    Ok(match k {
        H::String(s) => s,
        H::Bytes(b) => String::from_utf8(b).map_err(|_| refused("a dict key that is not UTF-8"))?,
        H::I64(i) => i.to_string(),
        H::Bool(b) => b.to_string(),
        H::None => "null".to_owned(),
        _ => return Err(refused("a dict key that is not a string or number")),
    })
}

/// One item on the simulated stack.
#[derive(Clone, Copy)]
enum Item {
    Mark,
    Node(usize),
}

/// A value in the simulated structure: its own size and what it contains.
struct Node {
    weight: usize,
    container: bool,
    children: Vec<usize>,
}

/// The instructions that would run code, by opcode.
fn code_opcode(op: u8) -> Option<&'static str> {
    Some(match op {
        b'c' => "GLOBAL",
        b'i' => "INST",
        b'o' => "OBJ",
        b'R' => "REDUCE",
        b'b' => "BUILD",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => return None,
    })
}

struct Scanner<'a> {
    data: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    stack: Vec<Item>,
    memo: HashMap<u64, usize>,
}

/// Walks every instruction of a pickle without building any value,
/// refusing what [`decode`] must not run or cannot afford.
pub(crate) fn scan(data: &[u8]) -> Result<(), Refused> {
    let mut s = Scanner {
        data,
        pos: 0,
        nodes: Vec::new(),
        stack: Vec::new(),
        memo: HashMap::new(),
    };
    let root = s.run()?;
    s.check_expansion(root)
}

impl Scanner<'_> {
    fn take(&mut self, n: u64) -> Result<&[u8], Refused> {
        let n = usize::try_from(n).map_err(|_| refused("a length beyond memory"))?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| refused("truncated (an argument runs past the end)"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Refused> {
        let b = self.take(n as u64)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    }

    fn line(&mut self) -> Result<&[u8], Refused> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| refused("truncated (a text argument without end of line)"))?;
        let line = &self.data[self.pos..self.pos + n];
        self.pos += n + 1;
        Ok(line)
    }

    fn leaf(&mut self, payload: usize) {
        self.nodes.push(Node {
            weight: 1 + payload,
            container: false,
            children: Vec::new(),
        });
        self.stack.push(Item::Node(self.nodes.len() - 1));
    }

    fn container(&mut self, children: Vec<usize>) {
        self.nodes.push(Node {
            weight: 1,
            container: true,
            children,
        });
        self.stack.push(Item::Node(self.nodes.len() - 1));
    }

    fn pop_node(&mut self) -> Result<usize, Refused> {
        match self.stack.pop() {
            Some(Item::Node(n)) => Ok(n),
            _ => Err(refused("malformed (a value expected on the stack)")),
        }
    }

    fn top_node(&self) -> Result<usize, Refused> {
        match self.stack.last() {
            Some(Item::Node(n)) => Ok(*n),
            _ => Err(refused("malformed (a value expected on the stack)")),
        }
    }

    /// Pops everything down to and including the topmost mark.
    fn pop_to_mark(&mut self) -> Result<Vec<usize>, Refused> {
        let mark = self
            .stack
            .iter()
            .rposition(|i| matches!(i, Item::Mark))
            .ok_or_else(|| refused("malformed (no mark on the stack)"))?;
        let items = self
            .stack
            .drain(mark..)
            .skip(1)
            .map(|i| match i {
                Item::Node(n) => n,
                Item::Mark => unreachable!("the topmost mark was found"),
            })
            .collect();
        Ok(items)
    }

    fn add_children(&mut self, target: usize, children: Vec<usize>) -> Result<(), Refused> {
        let node = &mut self.nodes[target];
        if !node.container {
            return Err(refused(
                "malformed (adding items to a value that is not a container)",
            ));
        }
        node.children.extend(children);
        Ok(())
    }

    fn memo_id(&mut self, text: bool, width: usize) -> Result<u64, Refused> {
        if text {
            let line = self.line()?;
            std::str::from_utf8(line)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| refused("malformed (a memo index that is not a number)"))
        } else {
            self.uint(width)
        }
    }

    fn int_line(&mut self) -> Result<(), Refused> {
        let n = self.line()?.len();
        if n > MAX_INT_DIGITS + 2 {
            return Err(refused(format!(
                "an integer longer than {MAX_INT_DIGITS} digits"
            )));
        }
        self.leaf(n);
        Ok(())
    }

    fn sized_leaf(&mut self, len_width: usize, max: Option<usize>) -> Result<(), Refused> {
        let n = self.uint(len_width)?;
        if len_width == 4 && n > i32::MAX as u64 {
            return Err(refused("malformed (a negative length)"));
        }
        if max.is_some_and(|m| n > m as u64) {
            return Err(refused(format!(
                "an integer longer than {MAX_INT_DIGITS} bytes"
            )));
        }
        let len = self.take(n)?.len();
        self.leaf(len);
        Ok(())
    }

    /// Runs the instructions up to `STOP`; returns the result's node.
    fn run(&mut self) -> Result<usize, Refused> {
        loop {
            let at = self.pos;
            let Some(&op) = self.data.get(self.pos) else {
                return Err(refused("truncated (no STOP instruction)"));
            };
            self.pos += 1;
            if let Some(name) = code_opcode(op) {
                return Err(refused(format!(
                    "opcode {name} at byte {at} would import or call Python code; \
                     only plain data is read"
                )));
            }
            match op {
                b'.' => {
                    // STOP
                    return self.pop_node();
                }
                // Framing and protocol markers.
                0x80 => {
                    self.uint(1)?;
                }
                0x95 => {
                    self.uint(8)?;
                }
                // Leaves.
                b'N' | 0x88 | 0x89 => self.leaf(0),
                b'I' | b'L' => self.int_line()?,
                b'F' | b'S' | b'V' => {
                    let n = self.line()?.len();
                    self.leaf(n);
                }
                b'K' => {
                    self.uint(1)?;
                    self.leaf(1);
                }
                b'M' => {
                    self.uint(2)?;
                    self.leaf(2);
                }
                b'J' => {
                    self.uint(4)?;
                    self.leaf(4);
                }
                b'G' => {
                    self.uint(8)?;
                    self.leaf(8);
                }
                0x8a => self.sized_leaf(1, Some(MAX_INT_DIGITS))?,
                0x8b => self.sized_leaf(4, Some(MAX_INT_DIGITS))?,
                b'U' | b'C' | 0x8c => self.sized_leaf(1, None)?,
                b'T' | b'B' | b'X' => self.sized_leaf(4, None)?,
                0x8d | 0x8e | 0x96 => self.sized_leaf(8, None)?,
                // Containers.
                b'}' | b']' | b')' | 0x8f => self.container(Vec::new()),
                b'(' => self.stack.push(Item::Mark),
                b'l' | b't' | b'd' | 0x91 => {
                    let items = self.pop_to_mark()?;
                    self.container(items);
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop_node()?);
                    }
                    items.reverse();
                    self.container(items);
                }
                b'a' => {
                    let v = self.pop_node()?;
                    let target = self.top_node()?;
                    self.add_children(target, vec![v])?;
                }
                b's' => {
                    let v = self.pop_node()?;
                    let k = self.pop_node()?;
                    let target = self.top_node()?;
                    self.add_children(target, vec![k, v])?;
                }
                b'e' | b'u' | 0x90 => {
                    let items = self.pop_to_mark()?;
                    if op == b'u' && items.len() % 2 != 0 {
                        return Err(refused("malformed (SETITEMS with an odd number of items)"));
                    }
                    let target = self.top_node()?;
                    self.add_children(target, items)?;
                }
                // Stack manipulation.
                b'0' => {
                    self.stack
                        .pop()
                        .ok_or_else(|| refused("malformed (POP on an empty stack)"))?;
                }
                b'1' => {
                    self.pop_to_mark()?;
                }
                b'2' => {
                    let n = self.top_node()?;
                    self.stack.push(Item::Node(n));
                }
                // Memo.
                b'p' | b'q' | b'r' | 0x94 => {
                    let id = match op {
                        b'p' => self.memo_id(true, 0)?,
                        b'q' => self.memo_id(false, 1)?,
                        b'r' => self.memo_id(false, 4)?,
                        _ => self.memo.len() as u64,
                    };
                    let n = self.top_node()?;
                    self.memo.insert(id, n);
                }
                b'g' | b'h' | b'j' => {
                    let id = match op {
                        b'g' => self.memo_id(true, 0)?,
                        b'h' => self.memo_id(false, 1)?,
                        _ => self.memo_id(false, 4)?,
                    };
                    let n = *self
                        .memo
                        .get(&id)
                        .ok_or_else(|| refused("malformed (a memo reference to nothing)"))?;
                    self.stack.push(Item::Node(n));
                }
                other => {
                    return Err(refused(format!(
                        "unknown opcode 0x{other:02x} at byte {at}"
                    )));
                }
            }
        }
    }

    /// The size of `root` with every shared value counted each time it
    /// appears (what decoding builds), its depth, and no cycles.
    fn check_expansion(&self, root: usize) -> Result<(), Refused> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; self.nodes.len()];
        let mut size = vec![0usize; self.nodes.len()];
        // (node, index of the next child to visit)
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = OPEN;
        while let Some(&(node, next)) = path.last() {
            if path.len() > MAX_DEPTH + 1 {
                return Err(refused(format!("nested deeper than {MAX_DEPTH}")));
            }
            if let Some(&child) = self.nodes[node].children.get(next) {
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                match state[child] {
                    OPEN => return Err(refused("a structure that contains itself")),
                    NEW => {
                        state[child] = OPEN;
                        path.push((child, 0));
                    }
                    _ => {}
                }
            } else {
                let total = self.nodes[node]
                    .children
                    .iter()
                    .fold(self.nodes[node].weight, |acc, c| {
                        acc.saturating_add(size[*c])
                    });
                if total > MAX_EXPANDED {
                    return Err(refused(format!(
                        "expands to more than {MAX_EXPANDED} units (shared references)"
                    )));
                }
                size[node] = total;
                state[node] = DONE;
                path.pop();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_0_dict_as_python_memcached_writes_it() {
        let p = b"(dp0\nVclient_id\np1\nVcid\np2\nsVexpires_at\np3\nI1795703472\nsVscopes\np4\n(lp5\nVs1\np6\naVs1\np7\nasVuser_id\np8\nI42\nsVrefresh_expires_at\np9\nNs.";
        let v = decode(p).unwrap();
        assert_eq!(v["client_id"], "cid");
        assert_eq!(v["expires_at"], 1_795_703_472i64);
        assert_eq!(v["scopes"], serde_json::json!(["s1", "s1"]));
        assert_eq!(v["user_id"], 42);
        assert!(v["refresh_expires_at"].is_null());
    }

    #[test]
    fn python_2_byte_strings_are_read_as_text() {
        let p = b"(dp0\nS'client_id'\np1\nS'cid'\np2\nsS'user_id'\np3\nL42L\ns.";
        let v = decode(p).unwrap();
        assert_eq!(v["client_id"], "cid");
        assert_eq!(v["user_id"], 42);
        assert!(decode(b"S'\\xff'\n.").is_err());
    }

    #[test]
    fn round_trip_through_protocol_2() {
        let v = serde_json::json!({"a": [1, "x", null, true, 2.5], "b": {"c": -7}});
        let bytes = encode(&v);
        assert_eq!(bytes[..2], [0x80, 2]);
        assert_eq!(decode(&bytes).unwrap(), v);
    }

    #[test]
    fn code_calling_opcodes_are_refused_by_name() {
        for (pickle, name) in [
            (&b"cos\nsystem\n(S'echo hi'\ntR."[..], "GLOBAL"),
            (b"(S'echo'\nios\nsystem\n.", "INST"),
            (b"\x80\x04\x8c\x02os\x8c\x06system\x93.", "STACK_GLOBAL"),
            (b"\x80\x02\x82\x01).", "EXT1"),
            (b"}R.", "REDUCE"),
            (b"}}b.", "BUILD"),
            (b"Pid\n.", "PERSID"),
            (b"\x80\x05\x97.", "NEXT_BUFFER"),
        ] {
            let err = decode(pickle).unwrap_err();
            assert!(err.0.contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn memo_expansion_bombs_and_cycles_are_refused() {
        // Each level is a list holding the previous level twice.
        let mut p = b"\x80\x02]q\x00".to_vec();
        for i in 0..40u8 {
            p.extend_from_slice(&[b'(', b'h', i, b'h', i, b'l', b'q', i + 1]);
        }
        p.push(b'.');
        let err = decode(&p).unwrap_err();
        assert!(err.0.contains("expands"), "{err}");

        let cyclic = b"\x80\x02]q\x00h\x00a.";
        assert!(decode(cyclic).unwrap_err().0.contains("itself"));

        let mut deep = b"\x80\x02".to_vec();
        deep.extend(std::iter::repeat_n(b']', 100_000));
        deep.extend(std::iter::repeat_n(b'a', 99_999));
        deep.push(b'.');
        assert!(decode(&deep).unwrap_err().0.contains("deeper"));
    }

    #[test]
    fn malformed_pickles_are_refused() {
        for p in [
            &b""[..],
            b"(dp0\n",
            b"\x80\x02X\xff\xff\xff\x7f",
            b"\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xff.",
            b"a.",
            b"g7\n.",
            b"\xff.",
            b"I12345678901234567890123456789012345678901234567890\n.",
        ] {
            assert!(decode(p).is_err(), "{p:?}");
        }
    }
}
