//! Jepsen's histories, as EDN maps and as `jepsen.util` log lines: both
//! are read into raw operations first, then turned into a [`History`] in
//! one place (tuples of `jepsen.independent` split into key and value, keys
//! that are not integers numbered, values checked).

use super::edn::{Item, Reader, Val};
use super::{ParseError, Parsed};
use crate::history::{EventKind, History, HistoryEvent, Names, Op, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

/// One client operation line, before it becomes an event.
struct Raw {
    process: u32,
    kind: EventKind,
    f: String,
    value: Item,
    key: Option<Item>,
    time_ns: u64,
    span: Range<usize>,
}

const TYPES: &str = "expected :invoke, :ok, :fail or :info";

fn kind_of(name: &str) -> Option<EventKind> {
    match name {
        "invoke" => Some(EventKind::Invoke),
        "ok" => Some(EventKind::Ok),
        "fail" => Some(EventKind::Fail),
        "info" => Some(EventKind::Info),
        _ => None,
    }
}

fn err(span: &Range<usize>, message: impl Into<String>) -> ParseError {
    ParseError { offset: span.start, len: (span.end - span.start).max(1), message: message.into() }
}

/// EDN: maps, one after another or in one vector.
pub fn read_edn(text: &str) -> Result<Parsed, ParseError> {
    let mut r = Reader::new(text, 0);
    let mut raws = Vec::new();
    while r.skip_space() {
        let form = r.value()?;
        match form.val {
            Val::Vec(items) => {
                for item in items {
                    op_of_map(item, &mut raws)?;
                }
            }
            _ => op_of_map(form, &mut raws)?,
        }
    }
    finish(raws)
}

fn op_of_map(item: Item, raws: &mut Vec<Raw>) -> Result<(), ParseError> {
    if !item.is_map() {
        return Err(err(
            &item.span,
            "expected an operation, a map such as {:process 0, :type :invoke, :f :read, :value nil}",
        ));
    }
    let missing =
        |what: &str| err(&(item.span.start..item.span.start + 1), format!("this operation has no {what}"));
    let process = item.field("process").ok_or_else(|| missing(":process"))?;
    let process = match process.val {
        Val::Int(n) if (0..=u32::MAX as i64).contains(&n) => n as u32,
        Val::Keyword(_) => return Ok(()), // the nemesis
        _ => {
            return Err(err(
                &process.span,
                ":process must be a client's number, or a keyword such as :nemesis",
            ))
        }
    };
    let t = item.field("type").ok_or_else(|| missing(":type"))?;
    let kind = match &t.val {
        Val::Keyword(k) => {
            kind_of(k).ok_or_else(|| err(&t.span, format!("`:{k}` is not an operation type; {TYPES}")))?
        }
        _ => return Err(err(&t.span, format!(":type must be a keyword; {TYPES}"))),
    };
    let f = item.field("f").ok_or_else(|| missing(":f"))?;
    let f = match &f.val {
        Val::Keyword(k) | Val::Str(k) | Val::Symbol(k) => k.clone(),
        _ => return Err(err(&f.span, ":f must be a keyword such as :read")),
    };
    let value = item
        .field("value")
        .cloned()
        .unwrap_or(Item { val: Val::Nil, span: item.span.start..item.span.start + 1 });
    let key = item.field("key").filter(|k| k.val != Val::Nil).cloned();
    let time_ns = match item.field("time") {
        Some(Item { val: Val::Int(t), .. }) if *t >= 0 => *t as u64,
        Some(t @ Item { val: Val::Int(_), .. }) => return Err(err(&t.span, ":time must not be negative")),
        _ => 0,
    };
    raws.push(Raw { process, kind, f, value, key, time_ns, span: item.span });
    Ok(())
}

/// Where the operation starts in a `jepsen.util` log line: after the
/// logger's name, in the old layout (`INFO  jepsen.util - 3 ...`) or the
/// current one (`... INFO [jepsen worker 3] jepsen.util: 3 ...`).
fn operation_start(line: &str) -> Option<usize> {
    ["jepsen.util - ", "jepsen.util: "].iter().find_map(|m| line.find(m).map(|at| at + m.len()))
}

/// Log lines: those of `jepsen.util` that hold operations; the others are
/// skipped, or with `strict` refused.
pub fn read_log(text: &str, strict: bool) -> Result<Parsed, ParseError> {
    let mut raws = Vec::new();
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let here = offset;
        offset += raw_line.len();
        let op = match operation_start(line) {
            Some(start) => log_op(line, here, start)?,
            None => None,
        };
        match op {
            Some(Some(raw)) => raws.push(raw),
            Some(None) => {} // the nemesis
            None if strict && !line.trim().is_empty() => {
                return Err(ParseError {
                    offset: here,
                    len: line.len().max(1),
                    message: "this line is not an operation of jepsen.util (--strict refuses other lines)"
                        .to_string(),
                })
            }
            None => {}
        }
    }
    finish(raws)
}

/// Splits off the next field, separated by tabs or spaces: its range in
/// `line`, from `from`.
fn field(line: &str, from: usize) -> Option<Range<usize>> {
    let rest = &line[from..];
    let start = from + (rest.len() - rest.trim_start().len());
    if start >= line.len() {
        return None;
    }
    let end = line[start..].find([' ', '\t']).map_or(line.len(), |i| start + i);
    Some(start..end)
}

/// One log line's operation: `None` if the text after the logger's name is
/// not an operation (other output of `jepsen.util`), `Some(None)` for the
/// nemesis, or an error if it looks like an operation but cannot be read.
#[allow(clippy::type_complexity)]
fn log_op(line: &str, base: usize, start: usize) -> Result<Option<Option<Raw>>, ParseError> {
    let at = |r: &Range<usize>| base + r.start..base + r.end;
    let Some(p) = field(line, start) else { return Ok(None) };
    let t = field(line, p.end);
    let process_text = &line[p.clone()];
    let is_number = process_text.bytes().all(|c| c.is_ascii_digit());
    let is_keyword = process_text.starts_with(':') && process_text.len() > 1;
    let type_like = t.as_ref().is_some_and(|t| line[t.clone()].starts_with(':'));
    // An operation: a process (a number or a keyword) or something followed
    // by a keyword. Anything else is other log output.
    if !(is_number || is_keyword || type_like) {
        return Ok(None);
    }
    if !is_number && !is_keyword {
        return Err(err(
            &at(&p),
            format!(
                "`{process_text}` is not a process: expected a client's number or a keyword such as :nemesis"
            ),
        ));
    }
    let Some(t) = t else {
        return Err(err(&at(&p), format!("the line ends after the process; {TYPES}")));
    };
    let type_text = &line[t.clone()];
    let kind = type_text.strip_prefix(':').and_then(kind_of);
    if is_keyword {
        return Ok(Some(None)); // the nemesis, whatever it did
    }
    let Some(kind) = kind else {
        return Err(err(&at(&t), format!("`{type_text}` is not an operation type; {TYPES}")));
    };
    let process = process_text
        .parse::<u32>()
        .map_err(|_| err(&at(&p), format!("the process `{process_text}` is too large")))?;
    let Some(f) = field(line, t.end) else {
        return Err(err(&at(&t), "the line ends before the operation's function (:read, :write, ...)"));
    };
    let f_text = line[f.clone()].trim_start_matches(':').to_string();
    // The value is one EDN form; Jepsen may log the error after it, which
    // is not read.
    let value_text = &line[f.end..];
    let mut r = Reader::new(value_text, base + f.end);
    let value = if r.skip_space() {
        let v = r.value()?;
        if r.rest().first().is_some_and(|c| !c.is_ascii_whitespace()) {
            return Err(err(
                &(v.span.end..v.span.end + 1),
                "expected a tab or the end of the line after the value",
            ));
        }
        v
    } else {
        Item { val: Val::Nil, span: at(&f) }
    };
    let span = base..base + line.len();
    Ok(Some(Some(Raw { process, kind, f: f_text, value, key: None, time_ns: 0, span })))
}

/// Raw operations to a history.
fn finish(mut raws: Vec<Raw>) -> Result<Parsed, ParseError> {
    split_tuples(&mut raws);
    let names = Names { jepsen: true, keys: key_names(&raws)? };
    let number: BTreeMap<&Value, u64> = names.keys.iter().zip(0..).collect();
    let mut events = Vec::with_capacity(raws.len());
    let mut spans = Vec::with_capacity(raws.len());
    for r in raws {
        let key = match &r.key {
            None => None,
            Some(k) => Some(match key_value(k)? {
                Value::Int(i) if number.is_empty() => i as u64,
                v => number[&v],
            }),
        };
        let value = value_of(&r.value)?;
        events.push(HistoryEvent {
            process: r.process,
            kind: r.kind,
            op: Op { f: Cow::Owned(r.f), key, value },
            time_ns: r.time_ns,
            invoke: None,
        });
        spans.push(r.span);
    }
    drop(number);
    Ok(Parsed { history: History { events, names }, spans })
}

/// A history of `jepsen.independent` holds `[key value]` tuples: when no
/// operation has a `:key` and every invocation's value is a two-element
/// vector, each is split into key and value (completions too, where they
/// hold a tuple; a `:timed-out` stays as it is).
fn split_tuples(raws: &mut [Raw]) {
    let pair = |v: &Val| matches!(v, Val::Vec(items) if items.len() == 2);
    let invokes = raws.iter().filter(|r| r.kind == EventKind::Invoke);
    let independent = raws.iter().all(|r| r.key.is_none())
        && invokes.clone().next().is_some()
        && invokes.clone().all(|r| pair(&r.value.val));
    if !independent {
        return;
    }
    for r in raws.iter_mut() {
        if let Val::Vec(items) = &mut r.value.val {
            if items.len() == 2 {
                let value = items.pop().expect("two items");
                let key = items.pop().expect("two items");
                r.key = Some(key);
                r.value = value;
            }
        }
    }
}

/// A key as the history wrote it.
fn key_value(k: &Item) -> Result<Value, ParseError> {
    match &k.val {
        Val::Int(i) => Ok(Value::Int(*i)),
        Val::Str(s) => Ok(Value::Str(s.clone())),
        Val::Keyword(s) => Ok(Value::Keyword(s.clone())),
        _ => Err(err(&k.span, "a key must be an integer, a string or a keyword")),
    }
}

/// Keys are stored as numbers: as themselves when they all are
/// non-negative integers, otherwise as their place in this list, in order
/// of first appearance.
fn key_names(raws: &[Raw]) -> Result<Vec<Value>, ParseError> {
    let mut keys: Vec<Value> = Vec::new();
    let mut all_numbers = true;
    for r in raws {
        if let Some(k) = &r.key {
            let v = key_value(k)?;
            all_numbers &= matches!(v, Value::Int(i) if i >= 0);
            if !keys.contains(&v) {
                keys.push(v);
            }
        }
    }
    Ok(if all_numbers { Vec::new() } else { keys })
}

fn value_of(v: &Item) -> Result<Value, ParseError> {
    let ints = |items: &[Item]| -> Result<Vec<i64>, ParseError> {
        items
            .iter()
            .map(|x| match x.val {
                Val::Int(i) => Ok(i),
                _ => Err(err(&x.span, "a vector or set in a value may hold only integers")),
            })
            .collect()
    };
    match &v.val {
        Val::Nil => Ok(Value::Nil),
        Val::Int(i) => Ok(Value::Int(*i)),
        Val::Str(s) => Ok(Value::Str(s.clone())),
        Val::Keyword(k) => Ok(Value::Keyword(k.clone())),
        Val::Vec(items) => ints(items).map(Value::List),
        Val::Set(items) => {
            let mut l = ints(items)?;
            l.sort_unstable();
            Ok(Value::List(l))
        }
        _ => Err(err(
            &v.span,
            "a value must be nil, an integer, a string, a keyword, or a vector or set of integers",
        )),
    }
}
