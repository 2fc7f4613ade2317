use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use stepcoder_core::{
    CoreError, ExecReport, Executor, Outcome, Problem, ProblemKind, TestCase, TestReport,
};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolConcurrencyLimitError, PoolingAllocationConfig,
    ResourceLimiter, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::cache::BoundedCache;
use crate::compare::{stdout_matches, values_match};
use crate::{guest, SandboxError};

mod bindings {
    wasmtime::component::bindgen!({
        path: "guest/wit",
        world: "harness",
    });
}
use bindings::{Harness, HarnessPre, TestResult, TestSpec};

/// Longest `expected`/`got` text kept in a wrong-answer outcome.
const MAX_SHOWN: usize = 1000;

/// How each test's time limit is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimeBudget {
    /// Every test gets [`SandboxConfig::timeout`].
    Fixed,
    /// Each test gets `max(floor, factor x the canonical solution's time on it)`, capped at
    /// [`SandboxConfig::timeout`]: a wrong program stuck in a loop costs little, while heavy
    /// problems keep the time they need. The canonical solution is measured once per problem
    /// (in this sandbox) and remembered.
    Derived { factor: f64, floor_ms: u64 },
}

/// Limits and options of a [`Sandbox`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// Wall-clock limit per test, measured against a monotonic clock (checked at epoch
    /// interruptions, about every millisecond), so it means seconds however many callers
    /// share the machine.
    pub timeout: Duration,
    /// Optional deterministic budget of wasm fuel per test; enabling it costs 10-25%.
    pub fuel: Option<u64>,
    /// Cap on the guest's linear memory, in bytes.
    pub memory_limit: usize,
    /// Cap on stdout (and separately stderr) per test, in bytes.
    pub output_limit: usize,
    /// Run the contest import header (APPS+) before stdin and call-based programs.
    pub import_header: bool,
    /// Record executed lines.
    pub coverage: bool,
    pub budget: TimeBudget,
    /// Where the compiled guest is cached; `None` compiles in memory every time.
    pub cache_dir: Option<PathBuf>,
    /// Most instances alive at once (the size of wasmtime's instance pool); `None`: 4 per core
    /// plus 8. A program that finds the pool full waits for a free slot.
    pub max_instances: Option<u32>,
    /// How long a program waits for a free instance slot before `execute` gives up with an
    /// executor error (never an outcome: the program did not run).
    pub instance_wait: Duration,
    /// Problems whose derived time budgets ([`TimeBudget::Derived`]) are remembered; the least
    /// recently used are forgotten beyond that.
    pub budget_cache: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            timeout: Duration::from_secs(10),
            fuel: None,
            memory_limit: 512 << 20,
            output_limit: 8 << 20,
            import_header: true,
            coverage: true,
            budget: TimeBudget::Fixed,
            cache_dir: Some(guest::default_cache_dir()),
            max_instances: None,
            instance_wait: Duration::from_secs(120),
            budget_cache: 4096,
        }
    }
}

/// Status of one plain run ([`Sandbox::run`]), as the `stepcoder exec` command prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    RuntimeError,
    Timeout,
    MemoryLimit,
    OutputLimit,
    CompileError,
}

/// An error raised by the program: type, message and line in the program (when inside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramError {
    #[serde(rename = "type")]
    pub error_type: String,
    pub message: String,
    pub line: Option<u32>,
}

/// The result of running one program once on one standard input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub status: RunStatus,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<ProgramError>,
    pub executed_lines: Vec<u32>,
    pub executable_lines: Vec<u32>,
}

/// Store state: WASI with nothing granted, and a memory limiter that remembers a refusal.
struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    /// When the running call must stop (wall clock; see [`Sandbox::arm`]).
    deadline: Instant,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct MemoryLimiter {
    max: usize,
    refused: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Refusing (rather than trapping) makes `memory.grow` return -1, so CPython raises a
        // clean `MemoryError` inside the program.
        if desired > self.max {
            self.refused = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// One live instance with a program prepared in it.
struct Live {
    store: Store<State>,
    harness: Harness,
    /// Declared last: dropped after the store, so the pool slot is free when it is released.
    _slot: Slot,
}

/// Instance slots: at most as many live instances as wasmtime's pool holds, and a wait for a
/// free one instead of an instantiation failure.
#[derive(Debug)]
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

/// One taken slot, given back when dropped.
struct Slot(Arc<Slots>);

impl Slots {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Slots {
            free: Mutex::new(n),
            released: Condvar::new(),
        })
    }

    /// A slot, waiting for one until `until`; `None` when none came free in time.
    fn take(self: &Arc<Self>, until: Instant) -> Option<Slot> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            let now = Instant::now();
            if now >= until {
                return None;
            }
            free = self
                .released
                .wait_timeout(free, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= 1;
        Some(Slot(self.clone()))
    }

    /// Waits until a slot is given back or `until` passes (whichever first).
    fn wait_release(&self, until: Instant) {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now < until {
            let wait = (until - now).min(Duration::from_millis(50));
            drop(self.released.wait_timeout(free, wait));
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.released.notify_all();
    }
}

/// Why a program could not be started: its own fault (an outcome) or the sandbox's.
enum StartError {
    Outcome(Outcome),
    Sandbox(SandboxError),
}

/// Why one instantiation failed.
enum TryError {
    /// wasmtime's pool had no free slot; the caller's slot comes back for the next try.
    PoolFull(Slot),
    Failed(Outcome),
}

/// Whether `e` is wasmtime's pool being full (maximum concurrent instances reached).
fn is_pool_full(e: &wasmtime::Error) -> bool {
    e.chain()
        .any(|c| c.downcast_ref::<PoolConcurrencyLimitError>().is_some())
}

/// Epoch ticks covering `d` (at least one).
fn ticks_for(d: Duration) -> u64 {
    (d.as_micros() as u64 * TICKS_PER_S / 1_000_000).max(1)
}

/// What the first preparation of a program found.
struct Prepared {
    compile_error: Option<Outcome>,
    executable_lines: Vec<u32>,
}

/// Runs Python programs inside WebAssembly: one engine and compiled guest shared by all
/// threads, a fresh instance per program.
pub struct Sandbox {
    engine: Engine,
    pre: HarnessPre<State>,
    config: SandboxConfig,
    ticker_stop: Arc<AtomicBool>,
    slots: Arc<Slots>,
    budgets: Mutex<BoundedCache<String, Arc<Vec<Duration>>>>,
    /// `STEPCODER_SANDBOX_DEBUG` set: the guest's raw stderr goes to ours.
    debug_stderr: bool,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// Bytes of each pooled linear memory reset with `memset` instead of `madvise`.
const POOL_KEEP_RESIDENT: usize = 64 << 20;

/// Epoch ticks per second (the timeout resolution).
const TICKS_PER_S: u64 = 1000;

impl Sandbox {
    /// Builds the engine, loads (or compiles and caches) the guest and starts the epoch ticker.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        if config.timeout.is_zero() {
            return Err(SandboxError::Config("timeout must be positive".into()));
        }
        if config.memory_limit < 64 << 20 {
            return Err(SandboxError::Config(format!(
                "memory_limit {} bytes is below the 64 MiB the interpreter needs",
                config.memory_limit
            )));
        }
        let mut wcfg = Config::new();
        // Pooled instance slots keep the pre-initialized interpreter's pages mapped between
        // instances; without it every fresh instance pays thousands of page faults.
        let slots = match config.max_instances {
            Some(0) => {
                return Err(SandboxError::Config(
                    "max_instances must be at least 1".into(),
                ))
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(8, |n| n.get() as u32) * 4 + 8,
        };
        // The totals follow the per-component maxima, so the number of component instances is
        // the only limit that binds (and `Slots` keeps to it): the guest has more than 8 core
        // instances, and a total of 8 per slot ran out first.
        let (cores, memories, tables) = (32, 4, 16);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(slots)
            .total_core_instances(slots * cores)
            .total_memories(slots * memories)
            .total_tables(slots * tables)
            .max_core_instances_per_component(cores)
            .max_memories_per_component(memories)
            .max_tables_per_component(tables)
            .linear_memory_keep_resident(POOL_KEEP_RESIDENT)
            .table_keep_resident(1 << 20);
        wcfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        wcfg.epoch_interruption(true)
            .consume_fuel(config.fuel.is_some())
            // Traps are outcomes here, not bugs: do not pay for wasm backtraces on each one.
            .wasm_backtrace_max_frames(None);
        let engine =
            Engine::new(&wcfg).map_err(|e| SandboxError::engine("creating the engine", e))?;
        let component = guest::load_component(&engine, config.cache_dir.as_deref())?;
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| SandboxError::engine("linking WASI", e))?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| SandboxError::engine("pre-instantiating the guest", e))?;
        let pre = HarnessPre::new(instance_pre)
            .map_err(|e| SandboxError::engine("checking the guest's exports", e))?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("stepcoder-epoch".into())
                .spawn(move || {
                    // Ticks follow the clock, not the number of sleeps: under load a 1 ms
                    // sleep lasts longer, and counting sleeps stretched a 2 s limit to 9.5 s.
                    // (Deadlines are checked against the clock too, see `arm`.)
                    let start = Instant::now();
                    let mut ticks: u64 = 0;
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_micros(1_000_000 / TICKS_PER_S));
                        let due = start.elapsed().as_micros() as u64 * TICKS_PER_S / 1_000_000;
                        while ticks < due {
                            engine.increment_epoch();
                            ticks += 1;
                        }
                    }
                })
                .map_err(|e| SandboxError::engine("starting the epoch ticker", e))?;
        }
        let budgets = Mutex::new(BoundedCache::new(config.budget_cache));
        Ok(Sandbox {
            engine,
            pre,
            config,
            ticker_stop,
            slots: Slots::new(slots as usize),
            budgets,
            debug_stderr: std::env::var_os("STEPCODER_SANDBOX_DEBUG").is_some(),
        })
    }

    /// The configuration this sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// A fresh instance in a free pool slot (waiting up to `instance_wait` for one).
    fn instantiate(&self, deadline: Duration) -> Result<Live, StartError> {
        let until = Instant::now() + self.config.instance_wait;
        let exhausted = || {
            StartError::Sandbox(SandboxError::PoolExhausted {
                waited: self.config.instance_wait,
            })
        };
        let mut slot = self.slots.take(until).ok_or_else(exhausted)?;
        loop {
            match self.try_instantiate(deadline, slot) {
                Ok(live) => return Ok(live),
                // Our slot count follows the pool's size, so this should not happen; if the
                // pool is full anyway, wait for a release: a full pool is never an outcome.
                Err(TryError::PoolFull(s)) => {
                    if Instant::now() >= until {
                        return Err(exhausted());
                    }
                    self.slots.wait_release(until);
                    slot = s;
                }
                Err(TryError::Failed(outcome)) => return Err(StartError::Outcome(outcome)),
            }
        }
    }

    /// One instantiation in `slot`.
    fn try_instantiate(&self, deadline: Duration, slot: Slot) -> Result<Live, TryError> {
        let mut builder = WasiCtxBuilder::new();
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if self.debug_stderr {
            // Harness failures print a Python traceback on the guest's own stderr.
            builder.inherit_stderr();
        }
        let wasi = builder.build();
        let mut store = Store::new(
            &self.engine,
            State {
                wasi,
                table: ResourceTable::new(),
                limiter: MemoryLimiter {
                    max: self.config.memory_limit,
                    refused: false,
                },
                deadline: Instant::now(),
            },
        );
        store.limiter(|s| &mut s.limiter);
        // At each epoch deadline, compare with the clock: stop only when the wall-clock limit
        // has passed, otherwise sleep on until about when it will.
        store.epoch_deadline_callback(|ctx| {
            let now = Instant::now();
            let deadline = ctx.data().deadline;
            if now >= deadline {
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(ticks_for(deadline - now)))
        });
        // Start functions run wasm too: the deadline must be in place before instantiating.
        self.arm(&mut store, deadline);
        match self.pre.instantiate(&mut store) {
            Ok(harness) => Ok(Live {
                store,
                harness,
                _slot: slot,
            }),
            Err(e) if is_pool_full(&e) => Err(TryError::PoolFull(slot)),
            Err(e) => Err(TryError::Failed(classify_trap(
                &e,
                store.data().limiter.refused,
            ))),
        }
    }

    /// Gives `store` `limit` of wall-clock time from now (and the fuel budget, if any).
    fn arm(&self, store: &mut Store<State>, limit: Duration) {
        store.data_mut().deadline = Instant::now() + limit;
        store.set_epoch_deadline(ticks_for(limit));
        if let Some(fuel) = self.config.fuel {
            // Cannot fail: fuel is enabled whenever `config.fuel` is set.
            let _ = store.set_fuel(fuel);
        }
    }

    /// Instantiates and prepares `program`; `Err` carries the outcome of a failed start.
    fn start(&self, program: &str, header: bool) -> Result<(Live, Prepared), StartError> {
        let mut live = self.instantiate(self.config.timeout)?;
        let cap = u32::try_from(self.config.output_limit).unwrap_or(u32::MAX);
        self.arm(&mut live.store, self.config.timeout);
        let p = match live
            .harness
            .call_prepare(&mut live.store, program, header, cap, cap)
        {
            Ok(p) => p,
            Err(e) => {
                return Err(StartError::Outcome(classify_trap(
                    &e,
                    live.store.data().limiter.refused,
                )))
            }
        };
        let compile_error = (!p.error_type.is_empty()).then(|| Outcome::CompileError {
            error_type: p.error_type.clone(),
            message: p.message.clone(),
            line: (p.line > 0).then_some(p.line),
        });
        Ok((
            live,
            Prepared {
                compile_error,
                executable_lines: p.executable_lines,
            },
        ))
    }

    /// Runs `program` once on `stdin` (no tests, no comparison): what `stepcoder exec` prints.
    pub fn run(&self, program: &str, stdin: &str) -> Result<RunReport, SandboxError> {
        let mut report = RunReport {
            status: RunStatus::Ok,
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
            error: None,
            executed_lines: Vec::new(),
            executable_lines: Vec::new(),
        };
        let (mut live, prepared) = match self.start(program, false) {
            Ok(x) => x,
            Err(StartError::Outcome(outcome)) => {
                report.status = run_status(&outcome);
                return Ok(report);
            }
            Err(StartError::Sandbox(e)) => return Err(e),
        };
        report.executable_lines = prepared.executable_lines;
        if let Some(Outcome::CompileError {
            error_type,
            message,
            line,
        }) = prepared.compile_error
        {
            report.status = RunStatus::CompileError;
            report.exit_code = 1;
            report.error = Some(ProgramError {
                error_type,
                message,
                line,
            });
            return Ok(report);
        }
        let spec = TestSpec {
            mode: 4,
            entry: String::new(),
            class_name: String::new(),
            stdin: stdin.to_string(),
            args_json: String::new(),
            code: String::new(),
            setup: String::new(),
            trace: self.config.coverage,
        };
        self.arm(&mut live.store, self.config.timeout);
        match live.harness.call_run_test(&mut live.store, &spec) {
            Ok(r) => {
                report.exit_code = r.exit_code;
                report.status = match r.status.as_str() {
                    "ok" => RunStatus::Ok,
                    "memory" => RunStatus::MemoryLimit,
                    "output-limit" => RunStatus::OutputLimit,
                    _ => RunStatus::RuntimeError,
                };
                if r.status == "exception" {
                    report.exit_code = 1;
                    report.error = Some(ProgramError {
                        error_type: r.error_type,
                        message: r.message,
                        line: (r.line > 0).then_some(r.line),
                    });
                }
                if report.status == RunStatus::MemoryLimit {
                    report.exit_code = 1;
                }
                report.stdout = r.stdout;
                report.stderr = r.stderr;
                report.executed_lines = r.executed_lines;
            }
            Err(e) => {
                let outcome = classify_trap(&e, live.store.data().limiter.refused);
                report.status = run_status(&outcome);
                report.exit_code = 1;
                if let Outcome::RuntimeError {
                    error_type,
                    message,
                    line,
                } = outcome
                {
                    report.error = Some(ProgramError {
                        error_type,
                        message,
                        line,
                    });
                }
            }
        }
        Ok(report)
    }

    /// Per-test time limits for `problem` under this sandbox's [`TimeBudget`].
    pub fn budgets(&self, problem: &Problem) -> Result<Arc<Vec<Duration>>, SandboxError> {
        let n = problem.tests.len();
        let TimeBudget::Derived { factor, floor_ms } = self.config.budget else {
            return Ok(Arc::new(vec![self.config.timeout; n]));
        };
        let key = format!("{}\0{}", problem.id, problem.canonical_solution);
        if let Some(b) = self.budgets.lock().ok().and_then(|mut m| m.get(&key)) {
            return Ok(b);
        }
        let full = vec![self.config.timeout; n];
        let cost = if problem.canonical_solution.trim().is_empty() {
            None
        } else {
            Some(self.execute_with(&problem.canonical_solution, problem, &full, false)?)
        };
        let floor = Duration::from_millis(floor_ms);
        let budgets: Vec<Duration> = (0..n)
            .map(|i| match cost.as_ref().and_then(|r| r.tests.get(i)) {
                Some(t) if t.outcome.is_passed() => {
                    let scaled = Duration::from_micros(t.duration_us).mul_f64(factor.max(1.0));
                    scaled.max(floor).min(self.config.timeout)
                }
                // A canonical solution that fails this test tells nothing: full budget.
                _ => self.config.timeout,
            })
            .collect();
        let budgets = Arc::new(budgets);
        if let Ok(mut m) = self.budgets.lock() {
            m.insert(key, budgets.clone());
        }
        Ok(budgets)
    }

    fn execute_with(
        &self,
        program: &str,
        problem: &Problem,
        budgets: &[Duration],
        coverage: bool,
    ) -> Result<ExecReport, SandboxError> {
        let header =
            self.config.import_header && !matches!(problem.kind, ProblemKind::Assert { .. });
        let (live, prepared) = match self.start(program, header) {
            Ok(x) => x,
            Err(StartError::Sandbox(e)) => return Err(e),
            Err(StartError::Outcome(outcome)) => {
                // The interpreter did not even start (should not happen with sane limits):
                // every test gets that outcome.
                let tests = problem
                    .tests
                    .iter()
                    .map(|_| TestReport::new(outcome.clone()))
                    .collect();
                return Ok(ExecReport::from_tests(tests));
            }
        };
        if let Some(ce) = prepared.compile_error {
            return Ok(ExecReport::compile_failure(ce));
        }
        let run = TestRun {
            sandbox: self,
            program,
            problem,
            budgets,
            coverage,
            header,
            failure: Mutex::new(None),
        };
        let (tests, _) = run.range(0, problem.tests.len(), Some(live));
        if let Some(e) = run.failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
            // A test could not get an instance: no report rather than a made-up outcome.
            return Err(e);
        }
        let mut report = ExecReport::from_tests(tests);
        report.executable_lines = prepared.executable_lines;
        Ok(report)
    }

    /// Runs `program` against every test of `problem`.
    pub fn execute_program(
        &self,
        program: &str,
        problem: &Problem,
    ) -> Result<ExecReport, SandboxError> {
        // Inside rayon's pool from the start (a caller outside it waits here): the tests run
        // there anyway, and an instance made on the caller's thread would sit in its pool slot
        // while the tests wait for a worker, so many callers could fill the pool with idle
        // instances while a worker waits for a slot.
        rayon::scope(|_| {
            #[cfg(test)]
            tests::fault_hook(program);
            let budgets = self.budgets(problem)?;
            self.execute_with(program, problem, &budgets, self.config.coverage)
        })
    }

    /// Runs many programs on all cores (rayon); results come back in input order and a
    /// panic in one job becomes that job's error, never the batch's.
    pub fn execute_many(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        jobs.par_iter()
            .map(|(program, problem)| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.execute_program(program, problem)
                }))
                .map_err(|_| {
                    CoreError::Executor(format!("panic while running problem {}", problem.id))
                })?
                .map_err(CoreError::from)
            })
            .collect()
    }
}

impl Executor for Sandbox {
    /// A panic inside the sandbox becomes an executor error, never an outcome.
    fn execute(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.execute_program(program, problem)
        }))
        .map_err(|_| CoreError::Executor(format!("panic while running problem {}", problem.id)))?
        .map_err(CoreError::from)
    }

    fn execute_batch(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        self.execute_many(jobs)
    }
}

/// The tests of one program, run over as many instances as there are idle worker threads.
///
/// The tests are split in halves with `rayon::join`: a half that no idle thread steals runs
/// on the same thread right after the first half, in the same instance; a stolen half starts
/// a fresh instance of the same program. So a program with heavy tests no longer runs them
/// one after another on one core while the other cores idle, and with all cores busy (a
/// training batch) nothing changes. An instance still serves only the tests of one program
/// and is dropped after any trap or limit.
struct TestRun<'a> {
    sandbox: &'a Sandbox,
    program: &'a str,
    problem: &'a Problem,
    budgets: &'a [Duration],
    coverage: bool,
    header: bool,
    /// The first failure of the sandbox itself (no instance for a test): the run's result.
    failure: Mutex<Option<SandboxError>>,
}

/// Hands the first half's instance to the second half when that runs after it on any thread.
struct Handoff {
    second_started: bool,
    live: Option<Live>,
}

impl TestRun<'_> {
    /// Runs tests `lo..hi` (reports in order), starting with `live` if given; returns the
    /// instance if it is still fit for more tests of this program.
    fn range(&self, lo: usize, hi: usize, live: Option<Live>) -> (Vec<TestReport>, Option<Live>) {
        if hi <= lo + 1 {
            if hi <= lo {
                return (Vec::new(), live);
            }
            let (report, live) = self.one(lo, live);
            return (vec![report], live);
        }
        let mid = lo + (hi - lo) / 2;
        let handoff = Mutex::new(Handoff {
            second_started: false,
            live: None,
        });
        let lock = || handoff.lock().unwrap_or_else(|e| e.into_inner());
        let (mut first, (second, live)) = rayon::join(
            || {
                let (reports, live) = self.range(lo, mid, live);
                let mut h = lock();
                // A second half already running elsewhere has its own instance: drop ours now.
                if !h.second_started {
                    h.live = live;
                }
                reports
            },
            || {
                let live = {
                    let mut h = lock();
                    h.second_started = true;
                    h.live.take()
                };
                self.range(mid, hi, live)
            },
        );
        first.extend(second);
        (first, live)
    }

    /// Runs test `i` in `live` (or a fresh instance).
    fn one(&self, i: usize, live: Option<Live>) -> (TestReport, Option<Live>) {
        let sb = self.sandbox;
        let test = &self.problem.tests[i];
        let limit = self.budgets.get(i).copied().unwrap_or(sb.config.timeout);
        let mut inst = match live {
            Some(l) => l,
            None => match sb.start(self.program, self.header) {
                Ok((l, _)) => l,
                Err(StartError::Outcome(outcome)) => return (TestReport::new(outcome), None),
                Err(StartError::Sandbox(e)) => {
                    let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
                    failure.get_or_insert(e);
                    // A placeholder, never returned: `execute_with` returns the error instead.
                    return (TestReport::new(Outcome::Timeout), None);
                }
            },
        };
        let spec = spec_for(self.problem, test, self.coverage);
        sb.arm(&mut inst.store, limit);
        let t0 = Instant::now();
        let result = inst.harness.call_run_test(&mut inst.store, &spec);
        let duration_us = t0.elapsed().as_micros() as u64;
        match result {
            Ok(r) => {
                // After a MemoryError or a flood the heap is suspect: start afresh.
                let keep = matches!(
                    r.status.as_str(),
                    "ok" | "exception" | "exit" | "assert-failed"
                );
                let mut report = judge(self.problem, test, r);
                report.duration_us = duration_us;
                (report, keep.then_some(inst))
            }
            Err(e) => {
                let outcome = classify_trap(&e, inst.store.data().limiter.refused);
                let mut report = TestReport::new(outcome);
                report.duration_us = duration_us;
                (report, None)
            }
        }
    }
}

fn spec_for(problem: &Problem, test: &TestCase, trace: bool) -> TestSpec {
    let mut spec = TestSpec {
        mode: 0,
        entry: String::new(),
        class_name: String::new(),
        stdin: String::new(),
        args_json: String::new(),
        code: String::new(),
        setup: problem.setup_code.clone(),
        trace,
    };
    match test {
        TestCase::Stdio { input, .. } => {
            spec.stdin = input.clone();
            if let ProblemKind::Stdio { entry: Some(e) } = &problem.kind {
                spec.entry = e.clone();
            }
        }
        TestCase::Call { args, .. } => {
            spec.args_json = serde_json::Value::Array(args.clone()).to_string();
            match &problem.kind {
                ProblemKind::Method { class, name } => {
                    spec.mode = 2;
                    spec.class_name = class.clone();
                    spec.entry = name.clone();
                }
                ProblemKind::Function { name } => {
                    spec.mode = 1;
                    spec.entry = name.clone();
                }
                ProblemKind::Stdio { entry } | ProblemKind::Assert { entry_point: entry } => {
                    spec.mode = 1;
                    spec.entry = entry.clone().unwrap_or_default();
                }
            }
        }
        TestCase::Assert { code } => {
            spec.mode = 3;
            spec.code = code.clone();
        }
    }
    spec
}

fn shorten(s: &str) -> String {
    if s.len() <= MAX_SHOWN {
        return s.to_string();
    }
    let mut end = MAX_SHOWN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Turns the guest's result into an outcome, comparing outputs on this side.
fn judge(problem: &Problem, test: &TestCase, r: TestResult) -> TestReport {
    let outcome = match r.status.as_str() {
        "memory" => Outcome::MemoryLimit,
        "output-limit" => Outcome::OutputLimit,
        "exception" => Outcome::RuntimeError {
            error_type: r.error_type.clone(),
            message: r.message.clone(),
            line: (r.line > 0).then_some(r.line),
        },
        "exit" => Outcome::RuntimeError {
            error_type: "SystemExit".into(),
            message: format!("exit code {}", r.exit_code),
            line: None,
        },
        // The test's own assert failed (raised in the test's code, not the program's): the
        // program answered, wrongly.
        "assert-failed" => failed_assert(&r.result_json, &r.error_type, &r.message),
        _ => match test {
            TestCase::Stdio { expected, .. } => {
                if stdout_matches(&r.stdout, expected, problem.atol) {
                    Outcome::Passed
                } else {
                    Outcome::WrongAnswer {
                        expected: shorten(expected),
                        got: shorten(&r.stdout),
                    }
                }
            }
            TestCase::Call { expected, .. } => {
                let got: Option<serde_json::Value> = serde_json::from_str(&r.result_json).ok();
                if got
                    .as_ref()
                    .is_some_and(|g| values_match(g, expected, problem.atol))
                {
                    Outcome::Passed
                } else {
                    Outcome::WrongAnswer {
                        expected: shorten(&expected.to_string()),
                        got: shorten(&r.result_json),
                    }
                }
            }
            TestCase::Assert { .. } => Outcome::Passed,
        },
    };
    TestReport {
        outcome,
        stdout: r.stdout,
        stderr: r.stderr,
        executed_lines: r.executed_lines,
        duration_us: 0,
    }
}

/// The wrong answer of a failed test assert: `expected` is the assert's source line, `got`
/// says it failed (with the assert's message, if any).
fn failed_assert(json: &str, error_type: &str, message: &str) -> Outcome {
    #[derive(Deserialize)]
    struct Failed {
        #[serde(rename = "assert")]
        source: String,
        line: u32,
    }
    let (source, line) = serde_json::from_str::<Failed>(json)
        .map(|f| (f.source, f.line))
        .unwrap_or_default();
    let expected = if source.is_empty() {
        "the test's assert to hold".to_string()
    } else {
        source
    };
    let mut got = format!("{error_type} at line {line} of the test");
    if !message.is_empty() {
        got.push_str(": ");
        got.push_str(message);
    }
    Outcome::WrongAnswer {
        expected: shorten(&expected),
        got: shorten(&got),
    }
}

fn classify_trap(e: &wasmtime::Error, memory_refused: bool) -> Outcome {
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) | Some(Trap::OutOfFuel) => Outcome::Timeout,
        Some(Trap::StackOverflow) => Outcome::RuntimeError {
            error_type: "RecursionError".into(),
            message: "stack overflow in the sandbox".into(),
            line: None,
        },
        _ if memory_refused => Outcome::MemoryLimit,
        _ => {
            if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                return Outcome::RuntimeError {
                    error_type: "SystemExit".into(),
                    message: format!("exit code {}", exit.0),
                    line: None,
                };
            }
            Outcome::RuntimeError {
                error_type: "Trap".into(),
                message: shorten(&format!("{e:#}")),
                line: None,
            }
        }
    }
}

fn run_status(o: &Outcome) -> RunStatus {
    match o {
        Outcome::Timeout => RunStatus::Timeout,
        Outcome::MemoryLimit => RunStatus::MemoryLimit,
        Outcome::OutputLimit => RunStatus::OutputLimit,
        Outcome::CompileError { .. } => RunStatus::CompileError,
        _ => RunStatus::RuntimeError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program containing this panics inside the sandbox (test builds only).
    const PANIC_MARKER: &str = "# stepcoder-test: panic in the sandbox";

    pub(super) fn fault_hook(program: &str) {
        if program.contains(PANIC_MARKER) {
            panic!("injected fault");
        }
    }

    fn small() -> Sandbox {
        Sandbox::new(SandboxConfig {
            timeout: Duration::from_secs(20),
            ..SandboxConfig::default()
        })
        .expect("sandbox")
    }

    fn echo() -> Problem {
        Problem {
            id: "echo".into(),
            source: "test".into(),
            difficulty: stepcoder_core::Difficulty::Unknown,
            statement: String::new(),
            starter_code: String::new(),
            canonical_solution: String::new(),
            kind: ProblemKind::Stdio { entry: None },
            tests: vec![TestCase::Stdio {
                input: "5\n".into(),
                expected: "5\n".into(),
            }],
            setup_code: String::new(),
            atol: None,
            scope: None,
        }
    }

    #[test]
    fn a_panic_in_a_batch_worker_is_that_jobs_executor_error() {
        let sb = small();
        let p = echo();
        let bad = format!("print(input())\n{PANIC_MARKER}\n");
        let jobs = [
            ("print(input())\n", &p),
            (bad.as_str(), &p),
            ("print(input())\n", &p),
        ];
        let out = sb.execute_batch(&jobs);
        assert!(out[0].as_ref().unwrap().passed());
        assert!(matches!(&out[1], Err(CoreError::Executor(m)) if m.contains("panic")));
        assert!(out[2].as_ref().unwrap().passed());
        // And alone, through `execute`.
        assert!(matches!(sb.execute(&bad, &p), Err(CoreError::Executor(_))));
    }

    #[test]
    fn derived_budgets_are_remembered_for_a_bounded_number_of_problems() {
        let sb = Sandbox::new(SandboxConfig {
            budget: TimeBudget::Derived {
                factor: 3.0,
                floor_ms: 50,
            },
            budget_cache: 3,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        for i in 0..8 {
            let mut p = echo();
            p.id = format!("echo-{i}");
            p.canonical_solution = "print(input())\n".into();
            let b = sb.budgets(&p).unwrap();
            assert_eq!(b.len(), 1);
            assert!(sb.budgets.lock().unwrap().len() <= 3);
        }
        assert_eq!(sb.budgets.lock().unwrap().len(), 3);
    }
}
