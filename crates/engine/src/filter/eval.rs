//! Evaluating a compiled [`Filter`] on one event. No recursion, and no allocation once the
//! caller's [`Scratch`] buffers have grown to the filter's needs.

use super::catalog::FieldSource;
use super::ops::{pred_const, pred_text, pred_values, text, values_eq, Tmp};
use super::program::{CheckProg, Extractor, Filter, Insn, Quant, Step, Test};
use super::transform;
use super::values::{Range, ValueSink, Values};
use crate::fields::value::Value;

/// Per-thread evaluation state: the value arena, the per-event extraction cache, the operand
/// stack and temporary buffers. Reuse one per thread across events (and filters).
#[derive(Debug, Default)]
pub struct Scratch {
    vals: Values,
    /// Per field slot: the values extracted for this event, once.
    slots: Vec<Option<Range>>,
    stack: Vec<Range>,
    tmp: Tmp,
    /// Something was extracted since the last reset: events whose checks all test values in
    /// place leave nothing to clear.
    used: bool,
}

impl Scratch {
    /// Empty buffers.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    #[inline]
    fn reset(&mut self, slots: usize) {
        if !self.used && self.slots.len() == slots {
            return;
        }
        self.used = false;
        self.vals.clear();
        if self.slots.len() == slots {
            self.slots.fill(None);
        } else {
            self.slots.clear();
            self.slots.resize(slots, None);
        }
        self.stack.clear();
    }
}

impl<F> Filter<F> {
    /// Evaluates the filter on the event behind `src`. Inlined: the caller's field source
    /// is then specialised into the loop.
    #[inline]
    pub fn eval<S>(&self, src: &mut S, scratch: &mut Scratch) -> bool
    where
        S: FieldSource<Field = F> + ?Sized,
    {
        scratch.reset(self.fields.len());
        let mut acc = true;
        let mut pc = 0;
        while let Some(insn) = self.code.get(pc) {
            pc += 1;
            match *insn {
                Insn::Check(i) => {
                    acc = self
                        .checks
                        .get(i)
                        .is_some_and(|c| eval_check(c, &self.fields, src, scratch));
                }
                Insn::Not => acc = !acc,
                Insn::Const(b) => acc = b,
                Insn::JumpIfFalse(t) if !acc => pc = t,
                Insn::JumpIfTrue(t) if acc => pc = t,
                Insn::JumpIfFalse(_) | Insn::JumpIfTrue(_) => {}
            }
        }
        acc
    }
}

impl<F> Filter<F> {
    /// The leading check that decides alone when it fails: the first one, followed by a jump
    /// to the end when false (`A and ...` at the top) or by nothing. Its field slot too.
    pub(crate) fn leading_check(&self) -> Option<(usize, usize)> {
        let i = match self.code.as_slice() {
            [Insn::Check(i)] => *i,
            [Insn::Check(i), Insn::JumpIfFalse(end), ..] if *end == self.code.len() => *i,
            _ => return None,
        };
        let c = self.checks.get(i)?;
        // Against constants only: a `val()` operand would read another field.
        let constant = matches!(
            c.test,
            Test::Cmp { .. } | Test::Set { .. } | Test::PMatch(_)
        );
        if c.codes.is_some() || !constant {
            return None;
        }
        Some((i, c.single?))
    }

    /// True if the filter is one check and nothing else.
    pub(crate) fn is_one_check(&self) -> bool {
        matches!(self.code.as_slice(), [Insn::Check(_)])
    }

    /// Evaluates check `i` alone on the event behind `src` (see [`Filter::leading_check`]).
    pub(crate) fn eval_check_alone<S>(&self, i: usize, src: &mut S, scratch: &mut Scratch) -> bool
    where
        S: FieldSource<Field = F> + ?Sized,
    {
        scratch.reset(self.fields.len());
        self.checks
            .get(i)
            .is_some_and(|c| eval_check(c, &self.fields, src, scratch))
    }
}

impl<F> Extractor<F> {
    /// Extracts (and transforms) the values for the event behind `src`.
    pub fn extract<'s, S>(&self, src: &mut S, scratch: &'s mut Scratch) -> Extracted<'s>
    where
        S: FieldSource<Field = F> + ?Sized,
    {
        scratch.reset(self.fields.len());
        let range = run(&self.steps, &self.fields, src, scratch);
        Extracted {
            vals: &scratch.vals,
            next: range.0,
            end: range.1,
        }
    }
}

/// The values an [`Extractor`] produced.
#[derive(Debug)]
pub struct Extracted<'s> {
    vals: &'s Values,
    next: usize,
    end: usize,
}

impl<'s> Iterator for Extracted<'s> {
    type Item = Value<'s>;

    fn next(&mut self) -> Option<Value<'s>> {
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        self.vals.value(self.next - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Extracted<'_> {}

/// Runs an operand program; the result range (empty when absent).
fn run<F, S>(steps: &[Step], fields: &[F], src: &mut S, sc: &mut Scratch) -> Range
where
    S: FieldSource<Field = F> + ?Sized,
{
    sc.used = true;
    let base = sc.stack.len();
    for step in steps {
        match step {
            Step::Field(slot) => {
                let r = match sc.slots.get(*slot).copied().flatten() {
                    Some(r) => r,
                    None => {
                        let start = sc.vals.len();
                        if let Some(f) = fields.get(*slot) {
                            src.extract(f, &mut ValueSink::new(&mut sc.vals));
                        }
                        let r = (start, sc.vals.len());
                        if let Some(s) = sc.slots.get_mut(*slot) {
                            *s = Some(r);
                        }
                        r
                    }
                };
                sc.stack.push(r);
            }
            Step::Const(b) => {
                let start = sc.vals.len();
                sc.vals.push(Value::Bytes(b));
                sc.stack.push((start, start + 1));
            }
            Step::List(n) => {
                let at = sc.stack.len().saturating_sub(*n).max(base);
                let out = sc.vals.len();
                for k in at..sc.stack.len() {
                    let Some(&(s, e)) = sc.stack.get(k) else {
                        break;
                    };
                    for i in s..e {
                        if let Some(&it) = sc.vals.items.get(i) {
                            sc.vals.items.push(it);
                        }
                    }
                }
                sc.stack.truncate(at);
                sc.stack.push((out, sc.vals.len()));
            }
            Step::Tr(op) => {
                let at = sc.stack.len().saturating_sub(op.arity()).max(base);
                let r = transform::apply(*op, &mut sc.vals, sc.stack.get(at..).unwrap_or_default());
                sc.stack.truncate(at);
                sc.stack.push(r);
            }
        }
    }
    let r = sc.stack.pop().unwrap_or((0, 0));
    sc.stack.truncate(base);
    r
}

/// `any` over a range, or `all` (which is false on an empty range, never reached here).
fn each(r: Range, all: bool, mut f: impl FnMut(usize) -> bool) -> bool {
    if all {
        (r.0..r.1).all(&mut f)
    } else {
        (r.0..r.1).any(&mut f)
    }
}

#[inline(always)]
fn eval_check<F, S>(c: &CheckProg, fields: &[F], src: &mut S, sc: &mut Scratch) -> bool
where
    S: FieldSource<Field = F> + ?Sized,
{
    if let Some(codes) = &c.codes {
        if let Some(code) = src.event_code() {
            let (set, negate) = &**codes;
            return set.contains(code) != *negate;
        }
    }
    // One scalar value, not extracted yet: test it where it lies (same answers as the
    // general path for zero or one value, without copying it into the scratch). Nothing
    // is extracted before the first check that needs it.
    if let Some(slot) = c.single {
        let fresh = !sc.used || matches!(sc.slots.get(slot), Some(None));
        if let (true, Some(field)) = (fresh, fields.get(slot)) {
            return match src.peek(field) {
                // Text, the commonest, stays in registers.
                Some(Some(Value::Bytes(t))) => test_text(c, t, &mut sc.tmp),
                Some(Some(v)) => test_one(c, &v, &mut sc.tmp),
                // Absent: every test is false.
                Some(None) => false,
                None => eval_general(c, fields, src, sc),
            };
        }
    }
    eval_general(c, fields, src, sc)
}

/// The test of a `single` check on its text value.
#[inline(always)]
fn test_text(c: &CheckProg, t: &[u8], tmp: &mut Tmp) -> bool {
    match &c.test {
        Test::Cmp {
            pred,
            negate,
            consts,
            ..
        } => consts
            .first()
            .is_some_and(|k| pred_text(*pred, t, k, c.cstr, tmp) != *negate),
        _ => test_one(c, &Value::Bytes(t), tmp),
    }
}

/// The test of a `single` check on its value.
#[inline]
fn test_one(c: &CheckProg, v: &Value<'_>, tmp: &mut Tmp) -> bool {
    match &c.test {
        Test::Cmp {
            pred,
            negate,
            consts,
            ..
        } => consts
            .first()
            .is_some_and(|k| pred_const(*pred, v, k, c.cstr, tmp) != *negate),
        Test::Set { set, .. } => set.contains(v, c.cstr),
        Test::PMatch(paths) => text(v, c.cstr).is_some_and(|t| paths.matches(t)),
        _ => false,
    }
}

/// Extracts the left side into the scratch, then tests every value.
#[inline(never)]
fn eval_general<F, S>(c: &CheckProg, fields: &[F], src: &mut S, sc: &mut Scratch) -> bool
where
    S: FieldSource<Field = F> + ?Sized,
{
    let cstr = c.cstr;
    let lhs = run(&c.lhs, fields, src, sc);
    if lhs.0 >= lhs.1 {
        // Absent: every test is false, `!=` and `exists` included.
        return false;
    }
    match &c.test {
        Test::Exists => true,
        Test::Cmp {
            pred,
            negate,
            quant,
            consts,
        } => {
            let Scratch { vals, tmp, .. } = sc;
            each(lhs, *negate, |i| {
                let Some(v) = vals.value(i) else { return false };
                let mut hit =
                    |k: &super::ops::Const| pred_const(*pred, &v, k, cstr, tmp) != *negate;
                match quant {
                    Quant::Single => consts.first().is_some_and(hit),
                    Quant::AnyOf => consts.iter().any(hit),
                    Quant::AllOf => !consts.is_empty() && consts.iter().all(hit),
                    Quant::OneOf => consts.iter().filter(|k| hit(k)).count() == 1,
                }
            })
        }
        Test::Set { set, every } => each(lhs, *every, |i| {
            sc.vals.value(i).is_some_and(|v| set.contains(&v, cstr))
        }),
        Test::PMatch(paths) => each(lhs, false, |i| {
            sc.vals
                .value(i)
                .and_then(|v| text(&v, cstr))
                .is_some_and(|t| paths.matches(t))
        }),
        Test::FieldCmp {
            pred,
            negate,
            rhs,
            rhs_cstr,
        } => {
            let r = run(rhs, fields, src, sc);
            if r.0 >= r.1 {
                return false;
            }
            let Scratch { vals, tmp, .. } = sc;
            each(lhs, *negate, |i| {
                let Some(l) = vals.value(i) else { return false };
                each(r, *negate, |j| {
                    vals.value(j).is_some_and(|rv| {
                        pred_values(*pred, &l, &rv, (cstr, *rhs_cstr), tmp) != *negate
                    })
                })
            })
        }
        Test::FieldSet {
            rhs,
            rhs_cstr,
            every,
        } => {
            let r = run(rhs, fields, src, sc);
            let vals = &sc.vals;
            each(lhs, *every, |i| {
                let Some(l) = vals.value(i) else { return false };
                (r.0..r.1).any(|j| {
                    vals.value(j)
                        .is_some_and(|rv| values_eq(&l, &rv, (cstr, *rhs_cstr)))
                })
            })
        }
    }
}
