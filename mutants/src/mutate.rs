//! Finding mutants in a protocol's source, and compiling all of them into
//! one program (mutant schemata).
//!
//! One walk over the syntax tree does both jobs, so the list a user reads
//! and the program that runs can never disagree: at each mutation site the
//! walk records the mutant (where it is, what text it replaces, with what)
//! and rewrites the tree so that the site reads
//! `(if crate::__mutant(N) { mutated } else { original })`. The mutated
//! program behaves exactly like the original unless the environment picks
//! mutant N, so one build serves every mutant of a protocol and a mutant
//! costs only its sweep.
//!
//! The operators model mistakes real protocol code makes: an off-by-one
//! comparison, a flipped condition, a lost `+ 1`, a forgotten call (a disk
//! sync, a send, a timer), a predicate that always answers yes or no,
//! `max` for `min`. They are not applied to tests, constants,
//! `Debug`/`Display` impls, macro bodies, the instrumentation the checkers
//! read (`ctx.observe`), or the branches that only a seeded bug takes: a
//! mutant there changes nothing the sweep runs.

use proc_macro2::{LineColumn, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, BinOp, Block, Expr, ImplItem, Item, Lit, ReturnType, Stmt};

/// Functions whose mutants a sweep cannot judge, with the reason.
pub const SKIPPED_FNS: &[(&str, &str)] = &[
    ("configure", "validates scenario input: sweeps only run valid scenarios (the CLI tests cover it)"),
    ("parameters", "prints the resolved configuration"),
    ("default", "default parameters: a change is another valid configuration, not a mistake"),
    ("generator", "wires the workload: a mutant there makes every scenario refuse to load (exit 2) and says nothing of the checks"),
];

/// The operators, by the name results and ids use.
pub mod op {
    pub const RELATIONAL: &str = "relational";
    pub const EQUALITY: &str = "equality";
    pub const LOGICAL: &str = "logical";
    pub const OFF_BY_ONE: &str = "off-by-one";
    pub const BOOL_LITERAL: &str = "bool-literal";
    pub const DELETE_CALL: &str = "delete-call";
    pub const DELETE_INCREMENT: &str = "delete-increment";
    pub const BOOL_BODY: &str = "bool-body";
    pub const MAX_MIN: &str = "max-min";
}

/// One mutant: a region of one file and the text that replaces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// The file, as the caller named it.
    pub file: String,
    /// `Type::method` or `function`.
    pub function: String,
    pub operator: &'static str,
    /// 1-based line and column of the region.
    pub line: usize,
    pub column: usize,
    /// Byte range of the region in the file, and its replacement.
    pub start: usize,
    pub end: usize,
    pub replacement: String,
    /// The expression or statement around the region, before and after,
    /// on one line: what a reviewer reads.
    pub before: String,
    pub after: String,
    /// Hash of the enclosing function's tokens: a result is stale once the
    /// function changes.
    pub fn_hash: u64,
    /// Stable id: file, function, operator, the code and the change, and an
    /// occurrence number among identical ones. It survives edits elsewhere.
    pub id: String,
}

/// The mutants of one file, and the file rewritten as schemata (numbering
/// its mutants from `first`).
pub struct Mutated {
    pub mutants: Vec<Mutant>,
    pub schemata: String,
}

/// Finds the mutants of `source` (called `file` in ids) and writes its
/// schemata; the mutant numbered `first + i` is `mutants[i]`.
pub fn mutate(file: &str, source: &str, first: usize) -> syn::Result<Mutated> {
    let mut tree = syn::parse_file(source)?;
    let mut walk = Walk { file, source, lines: LineIndex::new(source), first, ..Walk::default() };
    walk.visit_file_mut(&mut tree);
    let mut mutants = walk.found;
    assign_ids(&mut mutants);
    // The rewritten code is correct but not idiomatic (parentheses around
    // conditions, `x >= 0` on unsigned values): its warnings say nothing.
    let schemata = format!("#![allow(warnings)]\n{}", tree.to_token_stream());
    Ok(Mutated { mutants, schemata })
}

fn assign_ids(mutants: &mut [Mutant]) {
    let mut seen: Vec<String> = Vec::new();
    for m in mutants.iter_mut() {
        let short = m.file.rsplit_once("/src/").map_or(m.file.as_str(), |(_, rest)| rest);
        let base =
            format!("{short}:{}:{}:`{}` -> `{}`", m.function, m.operator, clip(&m.before), clip(&m.after));
        let k = seen.iter().filter(|s| **s == base).count();
        seen.push(base.clone());
        m.id = format!("{base}#{k}");
    }
}

fn clip(text: &str) -> String {
    const MAX: usize = 72;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        text.chars().take(MAX).collect::<String>() + "..."
    }
}

/// Line starts, to turn a span's line and column into a byte offset.
#[derive(Default)]
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// proc-macro2 columns count characters from 0; lines count from 1.
    fn offset(&self, source: &str, at: LineColumn) -> usize {
        let start = self.starts[at.line - 1];
        source[start..].char_indices().nth(at.column).map_or(source.len(), |(i, _)| start + i)
    }
}

#[derive(Default)]
struct Walk<'a> {
    file: &'a str,
    source: &'a str,
    lines: LineIndex,
    first: usize,
    found: Vec<Mutant>,
    /// The type of the impl block being walked.
    impl_type: Option<String>,
    /// The enclosing function and its hash, while inside one.
    function: Option<(String, u64)>,
}

/// Whether the tokens name a seeded bug (`Bug::X`, `self.bug`, `has(bug)`).
fn mentions_bug(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == "bug" || i == "Bug",
        TokenTree::Group(g) => mentions_bug(g.stream()),
        _ => false,
    })
}

fn has_attr(attrs: &[syn::Attribute], name: &str, arg: Option<&str>) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident(name)
            && arg.is_none_or(|arg| a.meta.to_token_stream().to_string().contains(&format!("({arg})")))
    })
}

fn is_test_code(attrs: &[syn::Attribute]) -> bool {
    has_attr(attrs, "test", None) || has_attr(attrs, "cfg", Some("test"))
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn is_int_one(e: &Expr) -> bool {
    matches!(e, Expr::Lit(l) if matches!(&l.lit, Lit::Int(i) if i.base10_digits() == "1"))
}

/// A swapped operator and its spelling.
fn swapped(op: &BinOp) -> Option<(&'static str, BinOp, &'static str)> {
    let sp = Span::call_site();
    Some(match op {
        BinOp::Lt(_) => (op::RELATIONAL, BinOp::Le(syn::Token![<=](sp)), "<="),
        BinOp::Le(_) => (op::RELATIONAL, BinOp::Lt(syn::Token![<](sp)), "<"),
        BinOp::Gt(_) => (op::RELATIONAL, BinOp::Ge(syn::Token![>=](sp)), ">="),
        BinOp::Ge(_) => (op::RELATIONAL, BinOp::Gt(syn::Token![>](sp)), ">"),
        BinOp::Eq(_) => (op::EQUALITY, BinOp::Ne(syn::Token![!=](sp)), "!="),
        BinOp::Ne(_) => (op::EQUALITY, BinOp::Eq(syn::Token![==](sp)), "=="),
        BinOp::And(_) => (op::LOGICAL, BinOp::Or(syn::Token![||](sp)), "||"),
        BinOp::Or(_) => (op::LOGICAL, BinOp::And(syn::Token![&&](sp)), "&&"),
        _ => return None,
    })
}

/// A statement that only calls something (a sync, a send, a timer, a
/// helper), or only counts up or down by one: deleting it is a mutant.
fn deletable(stmt: &Stmt) -> Option<&'static str> {
    let Stmt::Expr(e, Some(_)) = stmt else { return None };
    if mentions_bug(e.to_token_stream()) {
        return None;
    }
    match e {
        // Observations feed the checkers: they are the oracle's input, not
        // behaviour.
        Expr::MethodCall(c) if c.method == "observe" => None,
        Expr::MethodCall(_) | Expr::Call(_) => Some(op::DELETE_CALL),
        Expr::Binary(b)
            if matches!(b.op, BinOp::AddAssign(_) | BinOp::SubAssign(_)) && is_int_one(&b.right) =>
        {
            Some(op::DELETE_INCREMENT)
        }
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Walk<'_> {
    fn offset(&self, at: LineColumn) -> usize {
        self.lines.offset(self.source, at)
    }

    fn text(&self, span: Span) -> &str {
        &self.source[self.offset(span.start())..self.offset(span.end())]
    }

    /// Records a mutant replacing `region` (inside `whole`, the code shown
    /// to a reviewer) with `replacement`; returns its schemata number.
    fn record(&mut self, operator: &'static str, whole: Span, region: Span, replacement: &str) -> usize {
        let (start, end) = (self.offset(region.start()), self.offset(region.end()));
        let (w_start, w_end) = (self.offset(whole.start()), self.offset(whole.end()));
        let before = one_line(&self.source[w_start..w_end]);
        let after =
            one_line(&format!("{}{}{}", &self.source[w_start..start], replacement, &self.source[end..w_end]));
        let (function, fn_hash) = self.function.clone().unwrap_or_default();
        self.found.push(Mutant {
            file: self.file.to_string(),
            function,
            operator,
            line: region.start().line,
            column: region.start().column + 1,
            start,
            end,
            replacement: replacement.to_string(),
            before,
            after: if after.is_empty() { "(deleted)".into() } else { after },
            fn_hash,
            id: String::new(),
        });
        self.first + self.found.len() - 1
    }

    /// Walks a function body; a body that returns `bool` may also be
    /// replaced by `true` or `false`.
    fn function_body(&mut self, name: &str, output: &ReturnType, block: &mut Block) {
        if SKIPPED_FNS.iter().any(|(f, _)| *f == name) {
            return;
        }
        let full = match &self.impl_type {
            Some(t) => format!("{t}::{name}"),
            None => name.to_string(),
        };
        let outer = self.function.clone();
        if outer.is_none() {
            self.function = Some((full, fnv(&block.to_token_stream().to_string())));
        }
        let returns_bool =
            matches!(output, ReturnType::Type(_, t) if t.to_token_stream().to_string() == "bool");
        let mut guards: Vec<Stmt> = Vec::new();
        if returns_bool && !mentions_bug(block.to_token_stream()) {
            let span = block.span();
            for value in [true, false] {
                let n = self.record(op::BOOL_BODY, span, span, &format!("{{ {value} }}"));
                guards.push(parse_quote!(if crate::__mutant(#n) { return #value; }));
            }
        }
        self.visit_block_mut(block);
        block.stmts.splice(0..0, guards);
        self.function = outer;
    }

    /// The mutants of one expression (its children were visited already):
    /// each is the expression as rewritten, with its schemata number.
    fn expression_mutants(&mut self, e: &Expr, original: &Expr) -> Vec<(usize, Expr)> {
        let whole = original.span();
        let mut out = Vec::new();
        match (e, original) {
            (Expr::Binary(b), Expr::Binary(ob)) => {
                if let Some((operator, new_op, spelling)) = swapped(&ob.op) {
                    let n = self.record(operator, whole, ob.op.span(), spelling);
                    let mut m = b.clone();
                    m.op = new_op;
                    out.push((n, Expr::Binary(m)));
                }
                if matches!(ob.op, BinOp::Add(_) | BinOp::Sub(_)) && is_int_one(&ob.right) {
                    let region = ob.left.span().join(ob.right.span()).unwrap_or(whole);
                    let left = self.text(ob.left.span()).to_string();
                    let n = self.record(op::OFF_BY_ONE, whole, region, &left);
                    out.push((n, (*b.left).clone()));
                }
            }
            (Expr::Lit(l), _) => {
                if let Lit::Bool(v) = &l.lit {
                    let flipped = !v.value;
                    let n = self.record(op::BOOL_LITERAL, whole, whole, &flipped.to_string());
                    out.push((n, parse_quote!(#flipped)));
                }
            }
            (Expr::MethodCall(c), Expr::MethodCall(oc)) if oc.args.len() == 1 => {
                let other = match oc.method.to_string().as_str() {
                    "max" => "min",
                    "min" => "max",
                    _ => return out,
                };
                let n = self.record(op::MAX_MIN, whole, oc.method.span(), other);
                let mut m = c.clone();
                m.method = syn::Ident::new(other, Span::call_site());
                out.push((n, Expr::MethodCall(m)));
            }
            _ => {}
        }
        out
    }
}

impl VisitMut for Walk<'_> {
    fn visit_item_mut(&mut self, item: &mut Item) {
        let skip = match item {
            Item::Const(_) | Item::Static(_) | Item::Macro(_) => true,
            Item::Fn(f) => is_test_code(&f.attrs),
            Item::Mod(m) => is_test_code(&m.attrs),
            Item::Impl(i) => {
                is_test_code(&i.attrs)
                    || i.trait_.as_ref().is_some_and(|(path, _)| {
                        path.segments.last().is_some_and(|s| s.ident == "Debug" || s.ident == "Display")
                    })
            }
            _ => false,
        };
        if !skip {
            visit_mut::visit_item_mut(self, item);
        }
    }

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        let name = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.impl_type, name);
        for item in &mut i.items {
            match item {
                ImplItem::Fn(f) if !is_test_code(&f.attrs) => {
                    let name = f.sig.ident.to_string();
                    self.function_body(&name, &f.sig.output.clone(), &mut f.block);
                }
                _ => {}
            }
        }
        self.impl_type = outer;
    }

    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        let name = f.sig.ident.to_string();
        let outer = self.impl_type.take();
        self.function_body(&name, &f.sig.output.clone(), &mut f.block);
        self.impl_type = outer;
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        if self.function.is_none() {
            return;
        }
        for stmt in &mut block.stmts {
            let deleted = deletable(stmt).map(|operator| {
                let span = stmt.span();
                self.record(operator, span, span, "")
            });
            self.visit_stmt_mut(stmt);
            if let Some(n) = deleted {
                let inner = stmt.clone();
                *stmt = parse_quote!(if !crate::__mutant(#n) { #inner });
            }
        }
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if self.function.is_none() {
            return;
        }
        match e {
            // A seeded bug's branch: only the correct one is mutated.
            Expr::If(i) if mentions_bug(i.cond.to_token_stream()) => {
                if matches!(&*i.cond, Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_))) {
                    self.visit_block_mut(&mut i.then_branch);
                } else if let Some((_, other)) = &mut i.else_branch {
                    self.visit_expr_mut(other);
                }
                return;
            }
            Expr::Binary(_) | Expr::Unary(_) | Expr::Paren(_) if mentions_bug(e.to_token_stream()) => return,
            // What an observation says is the checkers' input, not
            // behaviour: a mutant there blinds the oracle (or makes a
            // sometimes-property fire), it does not change the protocol.
            Expr::MethodCall(c) if c.method == "observe" => return,
            Expr::Macro(_) => return,
            _ => {}
        }
        let original = e.clone();
        visit_mut::visit_expr_mut(self, e);
        let mutants = self.expression_mutants(e, &original);
        if mutants.is_empty() {
            return;
        }
        let mut wrapped = e.clone();
        for (n, m) in mutants.into_iter().rev() {
            wrapped = parse_quote!((if crate::__mutant(#n) { #m } else { #wrapped }));
        }
        *e = wrapped;
    }
}

/// The selector the schemata call, added to the crate's root: the mutant
/// to run comes from `DSIM_MUTANT` (0, or unset: none), read once.
pub const SELECTOR: &str = r#"
#[doc(hidden)]
#[inline]
pub fn __mutant(n: usize) -> bool {
    static ACTIVE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ACTIVE.get_or_init(|| std::env::var("DSIM_MUTANT").ok().and_then(|v| v.parse().ok()).unwrap_or(0)) == n
}
"#;
