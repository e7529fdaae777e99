//! The Function host: wasmtime engine with fuel, the provider, and trampolined guest modules.

use crate::codec::{json_to_msgpack, msgpack_to_json};
use crate::profile::{self, Profile, ProfileRow};
use crate::{default_provider_path, trampoline, HostError, Limits, RunError, RunReport};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, Instance, InstanceAllocationStrategy, InstancePre, Linker, Memory, Module,
    ModuleExport, PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc, WasmBacktrace,
};

/// Fuel for the unmetered provider calls around the export (`initialize`, `finalize`): enough
/// for any legitimate use, finite so a broken provider cannot hang the host.
const SETUP_FUEL: u64 = 1_000_000_000;

/// Wall-clock time one run may take. Fuel bounds the instructions, but `memory.fill` and
/// `memory.copy` cost one instruction whatever their length (as in function-runner), so a
/// guest could spend minutes within the instruction limit; this stops it. A legitimate run
/// within Shopify's limits takes a few milliseconds.
pub const RUN_TIME_LIMIT: Duration = Duration::from_secs(2);

/// How often the engine's epoch advances; the run time limit is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Compiles the provider once and loads Function modules against it.
pub struct FunctionHost {
    engine: Engine,
    provider: Arc<Provider>,
}

struct Provider {
    module: Module,
    pre: InstancePre<RunState>,
    memory: ModuleExport,
    initialize: ModuleExport,
    finalize: ModuleExport,
}

impl FunctionHost {
    /// Compiles the provider (`shopify_function_provider` built as a wasm cdylib).
    pub fn new(provider_wasm: &[u8]) -> Result<Self, HostError> {
        let engine = shared_engine()?;
        if !provider_wasm.starts_with(b"\0asm") {
            return Err(HostError::InvalidProvider {
                message: "not a WebAssembly module".into(),
            });
        }
        let invalid = |message: String| HostError::InvalidProvider { message };
        let module = Module::new(&engine, provider_wasm).map_err(|e| invalid(format!("{e:#}")))?;
        if let Some(import) = module.imports().next() {
            return Err(invalid(format!(
                "it imports {}::{}; expected the self-contained shopify_function_provider cdylib",
                import.module(),
                import.name()
            )));
        }
        let export = |name: &str| {
            module.get_export_index(name).ok_or_else(|| {
                invalid(format!(
                    "it has no `{name}` export; is it shopify_function_provider?"
                ))
            })
        };
        let (memory, initialize, finalize) = (
            export("memory")?,
            export("initialize")?,
            export("finalize")?,
        );
        let pre = Linker::new(&engine)
            .instantiate_pre(&module)
            .map_err(|e| invalid(format!("{e:#}")))?;
        Ok(Self {
            engine,
            provider: Arc::new(Provider {
                module,
                pre,
                memory,
                initialize,
                finalize,
            }),
        })
    }

    /// Loads the provider from `$ENCORE_PROVIDER_WASM` or
    /// `<target>/encore/shopify_function_provider.wasm` (built by `scripts/build-wasm.sh`).
    pub fn from_default_artifacts() -> Result<Self, HostError> {
        let path = default_provider_path();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HostError::ProviderMissing { path })
            }
            Err(source) => return Err(HostError::Io { path, source }),
        };
        Self::new(&bytes)
    }

    /// Trampolines and compiles a Function module, and checks it links to the provider.
    pub fn load(&self, guest_wasm: &[u8]) -> Result<FunctionModule, HostError> {
        let trampolined = trampoline(guest_wasm)?;
        let invalid = |message: String| HostError::InvalidModule { message };
        let module =
            Module::new(&self.engine, &trampolined).map_err(|e| invalid(format!("{e:#}")))?;
        let imports = module
            .imports()
            .map(|import| {
                self.provider
                    .module
                    .get_export_index(import.name())
                    .ok_or_else(|| {
                        invalid(format!(
                            "the provider has no export `{}` for the module's import",
                            import.name()
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let exports = module
            .exports()
            .filter(|e| {
                e.ty()
                    .func()
                    .is_some_and(|f| f.params().len() == 0 && f.results().len() == 0)
            })
            .map(|e| e.name().to_string())
            .collect();
        let loaded = FunctionModule {
            inner: Arc::new(Loaded {
                engine: self.engine.clone(),
                provider: self.provider.clone(),
                module,
                imports,
                exports,
                trampolined,
                size: guest_wasm.len(),
            }),
            name: Arc::from("function.wasm"),
        };
        // Link once now so type mismatches with the provider surface at load time.
        let mut store = loaded.store(&Limits::shopify());
        loaded
            .instantiate(&mut store)
            .map_err(|e| invalid(format!("it does not link to the provider: {e:#}")))?;
        Ok(loaded)
    }
}

impl FunctionHost {
    /// Runs `export` of `guest_wasm` on `input` with both the guest and `provider_wasm`
    /// instrumented, and returns the run's report with its instructions per function. The
    /// report's own count includes the counters' instructions; the profile's total does not.
    pub fn profile(
        provider_wasm: &[u8],
        guest_wasm: &[u8],
        export: &str,
        input: &Value,
        limits: &Limits,
    ) -> Result<(RunReport, Profile), HostError> {
        let provider = profile::instrument(provider_wasm)?;
        let host = FunctionHost::new(&provider.wasm)?;
        // Trampolined first, so the string-passing helpers it adds are counted too; loading
        // trampolines again, which leaves a trampolined module as it is.
        let guest = profile::instrument(&trampoline(guest_wasm)?)?;
        let module = host.load(&guest.wasm)?;
        let input = json_to_msgpack(input).map_err(|message| HostError::InvalidModule {
            message: format!("the input cannot be encoded: {message}"),
        })?;
        let limits = profile::profiling_limits(limits);
        let mut probe = Probe {
            provider: vec![0; provider.names.len()],
            guest: vec![0; guest.names.len()],
        };
        let mut report = module.empty_report(&limits);
        let error = module.run_into(export, &input, &limits, &mut report, Some(&mut probe));
        report.success = error.is_none();
        report.error = error;
        let rows = [
            ("provider", provider.names, probe.provider),
            ("guest", guest.names, probe.guest),
        ]
        .into_iter()
        .flat_map(|(module, names, counts)| {
            names
                .into_iter()
                .zip(counts)
                .map(move |(name, count)| ProfileRow {
                    module,
                    name,
                    instructions: count.max(0) as u64,
                })
        })
        .collect();
        Ok((report, Profile::new(rows)))
    }
}

/// The profile counters of one run: read before the metered call (subtracted) and after it
/// (added), so setup and output collection are left out as they are from the count.
struct Probe {
    provider: Vec<i64>,
    guest: Vec<i64>,
}

impl Probe {
    fn read(
        &mut self,
        store: &mut Store<RunState>,
        provider: &Instance,
        guest: &Instance,
        sign: i64,
    ) {
        for (counts, instance) in [(&mut self.provider, provider), (&mut self.guest, guest)] {
            for (index, count) in counts.iter_mut().enumerate() {
                let value = instance
                    .get_global(&mut *store, &profile::counter_export(index))
                    .and_then(|g| g.get(&mut *store).i64())
                    .unwrap_or(0);
                *count += sign * value;
            }
        }
    }
}

/// Runs in flight at once per process, across all hosts. Each run holds two instances and two
/// memories from wasmtime's pooling allocator; a run beyond this fails with a host error.
pub const MAX_CONCURRENT_RUNS: u32 = 1000;

/// Bytes of each pooled linear memory kept mapped between runs and reset with `memset`,
/// instead of being unmapped and faulted in again: covers a typical Function's memories.
const POOL_KEEP_RESIDENT: usize = 4 << 20;

/// One engine per process: its pool of memories and instances is shared by every host.
fn shared_engine() -> Result<Engine, HostError> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut pool = PoolingAllocationConfig::default();
            pool.total_core_instances(2 * MAX_CONCURRENT_RUNS)
                .total_memories(2 * MAX_CONCURRENT_RUNS)
                .total_tables(2 * MAX_CONCURRENT_RUNS)
                .max_memories_per_module(2)
                .linear_memory_keep_resident(POOL_KEEP_RESIDENT)
                .table_keep_resident(POOL_KEEP_RESIDENT);
            let mut config = Config::new();
            config
                .consume_fuel(true)
                .epoch_interruption(true)
                .wasm_multi_memory(true)
                .wasm_bulk_memory(true)
                .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            // The pool reserves address space up front; where that is refused (a low
            // `ulimit -v`), fall back to allocating each instance on demand.
            let engine = Engine::new(&config)
                .or_else(|_| {
                    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                    Engine::new(&config)
                })
                .map_err(|e| format!("{e:#}"))?;
            start_epoch_ticker(&engine);
            Ok(engine)
        })
        .clone()
        .map_err(|message| HostError::Engine { message })
}

/// Advances the engine's epoch every [`EPOCH_TICK`] while the engine is alive.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("encore-host-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        });
    // Without the ticker, runs are still bounded by fuel; only the wall-clock guard is lost.
    drop(spawned);
}

/// A compiled, trampolined Function module ready to run many times. Cheap to clone.
#[derive(Clone)]
pub struct FunctionModule {
    inner: Arc<Loaded>,
    name: Arc<str>,
}

struct Loaded {
    engine: Engine,
    provider: Arc<Provider>,
    module: Module,
    /// For each guest import, in order, the provider export that satisfies it.
    imports: Vec<ModuleExport>,
    /// Exports callable as a Function target: `(func)` without params or results.
    exports: Vec<String>,
    trampolined: Vec<u8>,
    size: usize,
}

struct Instances {
    provider: Instance,
    guest: Instance,
    memory: Memory,
}

/// Per-run store data: the memory limiter.
struct RunState {
    limiter: MemoryLimiter,
}

struct MemoryLimiter {
    limit: usize,
    peak: usize,
    refused: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(self.refused.unwrap_or(0).max(desired));
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl FunctionModule {
    /// The same module, reported under `name` (function-runner reports the file name).
    pub fn named(mut self, name: impl AsRef<str>) -> Self {
        self.name = Arc::from(name.as_ref());
        self
    }

    /// The module as it actually runs (after the trampoline), e.g. for Shopify's function-runner.
    pub fn trampolined_bytes(&self) -> &[u8] {
        &self.inner.trampolined
    }

    /// Exports that can be run: functions without parameters or results.
    pub fn exports(&self) -> &[String] {
        &self.inner.exports
    }

    /// Runs `export` on `input` under `limits`. Never panics on guest behaviour: every failure
    /// is in the report's `error`, with whatever logs the guest wrote.
    pub fn run(&self, export: &str, input: &Value, limits: &Limits) -> RunReport {
        match json_to_msgpack(input) {
            Ok(bytes) => self.run_msgpack(export, &bytes, limits),
            Err(message) => {
                let mut report = self.empty_report(limits);
                report.error = Some(RunError::Host { message });
                report
            }
        }
    }

    /// Runs `export` on input already encoded as MessagePack (what [`Self::run`] encodes JSON
    /// to), for callers that build the input without a JSON value.
    pub fn run_msgpack(&self, export: &str, input: &[u8], limits: &Limits) -> RunReport {
        let mut report = self.empty_report(limits);
        let error = self.run_into(export, input, limits, &mut report, None);
        report.success = error.is_none();
        report.error = error;
        report
    }

    fn empty_report(&self, limits: &Limits) -> RunReport {
        RunReport {
            name: self.name.to_string(),
            size: self.inner.size / 1024,
            memory_usage: 0,
            instructions: 0,
            logs: String::new(),
            logs_truncated: false,
            input_bytes: 0,
            output_bytes: 0,
            output: None,
            success: false,
            error: None,
            limits: *limits,
        }
    }

    fn run_into(
        &self,
        export: &str,
        input: &[u8],
        limits: &Limits,
        report: &mut RunReport,
        probe: Option<&mut Probe>,
    ) -> Option<RunError> {
        report.input_bytes = input.len();
        if input.len() > limits.input_bytes {
            return Some(RunError::InputSizeLimitExceeded {
                size: input.len(),
                limit: limits.input_bytes,
            });
        }
        if !self.inner.exports.iter().any(|e| e == export) {
            return Some(RunError::ExportNotFound {
                export: export.to_string(),
                available: self.inner.exports.clone(),
            });
        }

        let mut store = self.store(limits);
        let result = self.execute(&mut store, export, input, limits, report, probe);
        let limiter = &store.data().limiter;
        report.memory_usage = (limiter.peak / 1024) as u64;
        match (result, limiter.refused) {
            // Running out of instructions is reported as such even if memory was refused too.
            (Err(error @ RunError::InstructionCountLimitExceeded { .. }), _) => Some(error),
            // A refused memory growth is the root cause of whatever followed it.
            (_, Some(requested)) => Some(RunError::MemoryLimitExceeded {
                requested,
                limit: limits.memory_bytes,
            }),
            (Err(error), None) => Some(error),
            (Ok(output), None) => self.check_output(report, limits, output).err(),
        }
    }

    /// Limits and decoding for a run whose export returned.
    fn check_output(
        &self,
        report: &mut RunReport,
        limits: &Limits,
        output: Result<Value, String>,
    ) -> Result<(), RunError> {
        if report.instructions > limits.instructions {
            return Err(RunError::InstructionCountLimitExceeded {
                instructions: report.instructions,
                limit: limits.instructions,
            });
        }
        let output = output.map_err(|message| RunError::InvalidOutput { message })?;
        report.output = Some(output);
        if report.output_bytes > limits.output_bytes {
            return Err(RunError::OutputSizeLimitExceeded {
                size: report.output_bytes,
                limit: limits.output_bytes,
            });
        }
        Ok(())
    }

    fn store(&self, limits: &Limits) -> Store<RunState> {
        let mut store = Store::new(
            &self.inner.engine,
            RunState {
                limiter: MemoryLimiter {
                    limit: limits.memory_bytes,
                    peak: 0,
                    refused: None,
                },
            },
        );
        store.limiter(|state| &mut state.limiter);
        store
            .set_epoch_deadline(RUN_TIME_LIMIT.as_millis().div_ceil(EPOCH_TICK.as_millis()) as u64);
        store
    }

    fn instantiate(&self, store: &mut Store<RunState>) -> wasmtime::Result<Instances> {
        store.set_fuel(SETUP_FUEL)?;
        let provider = self.inner.provider.pre.instantiate(&mut *store)?;
        let memory = provider
            .get_module_export(&mut *store, &self.inner.provider.memory)
            .and_then(|e| e.into_memory())
            .ok_or_else(|| wasmtime::Error::msg("the provider exports no memory"))?;
        let imports = self
            .inner
            .imports
            .iter()
            .map(|export| {
                provider
                    .get_module_export(&mut *store, export)
                    .ok_or_else(|| wasmtime::Error::msg("provider export vanished"))
            })
            .collect::<wasmtime::Result<Vec<_>>>()?;
        let guest = Instance::new(&mut *store, &self.inner.module, &imports)?;
        Ok(Instances {
            provider,
            guest,
            memory,
        })
    }

    /// Instantiates, feeds the input, calls the export (metered) and collects output and logs.
    fn execute(
        &self,
        store: &mut Store<RunState>,
        export: &str,
        input: &[u8],
        limits: &Limits,
        report: &mut RunReport,
        mut probe: Option<&mut Probe>,
    ) -> Result<Result<Value, String>, RunError> {
        let host = |e: wasmtime::Error| RunError::Host {
            message: format!("{e:#}"),
        };
        let Instances {
            provider,
            guest,
            memory,
        } = self.instantiate(store).map_err(host)?;
        let provider_fn = |store: &mut Store<RunState>, export: &ModuleExport| {
            provider
                .get_module_export(&mut *store, export)
                .and_then(|e| e.into_func())
                .ok_or_else(|| wasmtime::Error::msg("provider export is not a function"))
        };
        let initialize: TypedFunc<i32, i32> = provider_fn(store, &self.inner.provider.initialize)
            .and_then(|f| f.typed(&*store))
            .map_err(host)?;
        let finalize: TypedFunc<(), i32> = provider_fn(store, &self.inner.provider.finalize)
            .and_then(|f| f.typed(&*store))
            .map_err(host)?;
        let run: TypedFunc<(), ()> = guest.get_typed_func(&mut *store, export).map_err(host)?;

        let input_ptr = initialize
            .call(&mut *store, input.len() as i32)
            .map_err(host)?;
        memory
            .write(&mut *store, input_ptr as u32 as usize, input)
            .map_err(|e| RunError::Host {
                message: format!("cannot write the input into the provider's memory: {e}"),
            })?;

        // Metered: one more unit than the limit, so exactly `limit` instructions still succeed.
        let budget = limits.instructions.saturating_add(1);
        if let Some(probe) = probe.as_deref_mut() {
            probe.read(store, &provider, &guest, -1);
        }
        store.set_fuel(budget).map_err(host)?;
        let call = run.call(&mut *store, ());
        report.instructions = budget - store.get_fuel().unwrap_or(0);
        if let Some(probe) = probe {
            probe.read(store, &provider, &guest, 1);
        }
        let call_error = call.err().map(|e| trap_error(e, report, limits));

        // Collect logs (and output) even after a failure; the provider may be in a broken state
        // after a trap inside it, in which case there is nothing more to read.
        store.set_fuel(SETUP_FUEL).map_err(host)?;
        let results = finalize
            .call(&mut *store, ())
            .map_err(|e| trap_error(e, report, limits))
            .and_then(|ptrs| {
                read_results(&memory, store, ptrs, limits, report)
                    .map_err(|message| RunError::Host { message })
            });
        match (call_error, results) {
            (Some(error), _) => Err(error),
            (None, Err(error)) => Err(error),
            (None, Ok(output)) => Ok(output),
        }
    }
}

fn trap_error(error: wasmtime::Error, report: &RunReport, limits: &Limits) -> RunError {
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            return RunError::InstructionCountLimitExceeded {
                instructions: report.instructions,
                limit: limits.instructions,
            }
        }
        Some(Trap::Interrupt) => {
            return RunError::Timeout {
                limit_ms: RUN_TIME_LIMIT.as_millis() as u64,
            }
        }
        _ => {}
    }
    // The trap and the wasm frames; not anyhow's host backtrace (noise, and slow to capture).
    let mut message = match error.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    if let Some(backtrace) = error.downcast_ref::<WasmBacktrace>() {
        message.push_str(&format!("\n{backtrace}"));
    }
    RunError::Trap { message }
}

/// Reads `finalize`'s `[output_ptr, output_len, log_ptr1, log_len1, log_ptr2, log_len2]`:
/// stores the logs and output size in the report and returns the decoded output.
fn read_results(
    memory: &Memory,
    store: &Store<RunState>,
    ptrs: i32,
    limits: &Limits,
    report: &mut RunReport,
) -> Result<Result<Value, String>, String> {
    let data = memory.data(store);
    let slice = |ptr: usize, len: usize| {
        ptr.checked_add(len)
            .and_then(|end| data.get(ptr..end))
            .ok_or_else(|| "the provider returned an out-of-bounds pointer".to_string())
    };
    let words = slice(ptrs as u32 as usize, 24)?;
    let word = |i: usize| {
        u32::from_le_bytes([
            words[i * 4],
            words[i * 4 + 1],
            words[i * 4 + 2],
            words[i * 4 + 3],
        ]) as usize
    };
    let mut logs = slice(word(2), word(3))?.to_vec();
    logs.extend_from_slice(slice(word(4), word(5))?);
    let (text, truncated) = truncate_logs(&logs, limits.log_bytes);
    report.logs = text;
    report.logs_truncated = truncated;
    let output = slice(word(0), word(1))?;
    report.output_bytes = output.len();
    Ok(if output.is_empty() {
        Err("the Function wrote no output".to_string())
    } else {
        msgpack_to_json(output)
    })
}

/// Keeps the newest `limit` bytes (the provider's ring buffer keeps the newest too), cut at a
/// UTF-8 character boundary.
fn truncate_logs(logs: &[u8], limit: usize) -> (String, bool) {
    if logs.len() <= limit {
        return (String::from_utf8_lossy(logs).into_owned(), false);
    }
    let mut start = logs.len() - limit;
    while start < logs.len() && (logs[start] & 0xC0) == 0x80 {
        start += 1;
    }
    (String::from_utf8_lossy(&logs[start..]).into_owned(), true)
}

#[cfg(test)]
mod tests {
    use super::truncate_logs;

    #[test]
    fn logs_keep_the_newest_bytes_on_a_char_boundary() {
        assert_eq!(truncate_logs(b"abc", 3), ("abc".into(), false));
        assert_eq!(truncate_logs(b"abcdef", 3), ("def".into(), true));
        let s = "aé"; // 'é' is two bytes
        assert_eq!(truncate_logs(s.as_bytes(), 1), ("".into(), true));
    }
}
