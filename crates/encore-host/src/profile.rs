//! Per-function instruction profile: where a run's instructions go, guest and provider.
//!
//! Both modules are instrumented with walrus: every local function gets an exported `i64`
//! counter, and each straight-line run of its code adds, on entry, the instructions it will
//! execute as wasmtime's fuel counts them (every operator 1; `nop`, `drop`, `block`, `loop`,
//! `unreachable`, `return`, `else` and `end` 0). A run is cut after every instruction that can
//! leave it (branches, `return`, nested blocks), so the counts are exact for a run that does
//! not trap, and their sum equals the fuel the uninstrumented run consumed. The counters cost
//! instructions of their own, so a profiled run is only for the profile.

use crate::{HostError, Limits};
use walrus::ir::{BinaryOp, Instr, InstrSeqId, Value};
use walrus::{ConstExpr, FunctionId, FunctionKind, GlobalId, Module, ValType};

/// The exported counter of local function `index` (in the instrumented module's order).
pub(crate) fn counter_export(index: usize) -> String {
    format!("__encore_profile_{index}")
}

/// An instrumented module and the names of its counted functions, by counter index.
pub(crate) struct Instrumented {
    pub wasm: Vec<u8>,
    pub names: Vec<String>,
}

/// Adds a counter to every local function of `wasm`.
pub(crate) fn instrument(wasm: &[u8]) -> Result<Instrumented, HostError> {
    let mut module = Module::from_buffer(wasm).map_err(|e| HostError::InvalidModule {
        message: format!("{e:#}"),
    })?;
    let functions: Vec<(FunctionId, String)> = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, FunctionKind::Local(_)))
        .map(|f| {
            let name = f
                .name
                .as_deref()
                .map(|n| format!("{:#}", rustc_demangle::demangle(n)))
                .unwrap_or_else(|| format!("func[{}]", f.id().index()));
            (f.id(), name)
        })
        .collect();
    let mut names = Vec::with_capacity(functions.len());
    for (index, (id, name)) in functions.into_iter().enumerate() {
        let counter =
            module
                .globals
                .add_local(ValType::I64, true, false, ConstExpr::Value(Value::I64(0)));
        module.exports.add(&counter_export(index), counter);
        let FunctionKind::Local(local) = &mut module.funcs.get_mut(id).kind else {
            continue;
        };
        let entry = local.entry_block();
        let mut pending = vec![entry];
        while let Some(seq) = pending.pop() {
            count_seq(local, seq, seq == entry, counter, &mut pending);
        }
        names.push(name);
    }
    Ok(Instrumented {
        wasm: module.emit_wasm(),
        names,
    })
}

/// What wasmtime charges for one operator (its fuel accounting in 39.x).
fn fuel_cost(instr: &Instr) -> u64 {
    match instr {
        Instr::Drop(_) | Instr::Block(_) | Instr::Loop(_) | Instr::Unreachable(_) => 0,
        Instr::Return(_) => 0,
        _ => 1,
    }
}

/// Whether control may continue somewhere else after this instruction, so the instructions
/// after it in the same sequence are counted separately.
fn ends_run(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Block(_)
            | Instr::Loop(_)
            | Instr::IfElse(_)
            | Instr::Br(_)
            | Instr::BrIf(_)
            | Instr::BrTable(_)
            | Instr::Return(_)
            | Instr::Unreachable(_)
            | Instr::ReturnCall(_)
            | Instr::ReturnCallIndirect(_)
    )
}

/// Rewrites one sequence with a counter increment at the start of each run, and queues the
/// sequences nested in it. Entering a function costs 1 (wasmtime charges every call).
fn count_seq(
    local: &mut walrus::LocalFunction,
    seq: InstrSeqId,
    is_entry: bool,
    counter: GlobalId,
    pending: &mut Vec<InstrSeqId>,
) {
    let block = local.block_mut(seq);
    let old = std::mem::take(&mut block.instrs);
    let end_loc = block.end;
    let mut instrs = Vec::with_capacity(old.len() + 8);
    let mut start = 0;
    let mut entry_cost = u64::from(is_entry);
    while start < old.len() || entry_cost > 0 {
        let end = old[start..]
            .iter()
            .position(|(i, _)| ends_run(i))
            .map_or(old.len(), |p| start + p + 1);
        let cost: u64 = entry_cost
            + old[start..end]
                .iter()
                .map(|(i, _)| fuel_cost(i))
                .sum::<u64>();
        entry_cost = 0;
        let loc = old.get(start).map_or(end_loc, |(_, loc)| *loc);
        if cost > 0 {
            instrs.push((
                Instr::GlobalGet(walrus::ir::GlobalGet { global: counter }),
                loc,
            ));
            instrs.push((
                Instr::Const(walrus::ir::Const {
                    value: Value::I64(cost as i64),
                }),
                loc,
            ));
            instrs.push((
                Instr::Binop(walrus::ir::Binop {
                    op: BinaryOp::I64Add,
                }),
                loc,
            ));
            instrs.push((
                Instr::GlobalSet(walrus::ir::GlobalSet { global: counter }),
                loc,
            ));
        }
        for (instr, loc) in &old[start..end] {
            match instr {
                Instr::Block(b) => pending.push(b.seq),
                Instr::Loop(l) => pending.push(l.seq),
                Instr::IfElse(i) => {
                    pending.push(i.consequent);
                    pending.push(i.alternative);
                }
                _ => {}
            }
            instrs.push((instr.clone(), *loc));
        }
        start = end;
    }
    local.block_mut(seq).instrs = instrs;
}

/// Instructions per function in one run, most expensive first.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Instructions the run consumed, counted by the profile.
    pub total: u64,
    /// One row per function that ran.
    pub rows: Vec<ProfileRow>,
}

/// One function's instructions in a run (its own, not those of the functions it calls).
#[derive(Debug, Clone)]
pub struct ProfileRow {
    /// `guest` (the Function) or `provider`.
    pub module: &'static str,
    /// The function's name from the module's name section, or `func[index]`.
    pub name: String,
    pub instructions: u64,
}

impl Profile {
    pub(crate) fn new(mut rows: Vec<ProfileRow>) -> Profile {
        rows.retain(|r| r.instructions > 0);
        rows.sort_by(|a, b| {
            b.instructions
                .cmp(&a.instructions)
                .then_with(|| a.name.cmp(&b.name))
        });
        Profile {
            total: rows.iter().map(|r| r.instructions).sum(),
            rows,
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:>12} {:>6}  module    function", "instructions", "%")?;
        for row in &self.rows {
            let share = row.instructions as f64 * 100.0 / self.total.max(1) as f64;
            writeln!(
                f,
                "{:>12} {:>5.1}%  {:<8}  {}",
                row.instructions, share, row.module, row.name
            )?;
        }
        writeln!(f, "{:>12} 100.0%  total", self.total)
    }
}

/// Limits for a profiled run: Shopify's, with room for the counters' own instructions.
pub(crate) fn profiling_limits(limits: &Limits) -> Limits {
    Limits {
        instructions: limits.instructions.saturating_mul(4),
        ..*limits
    }
}
