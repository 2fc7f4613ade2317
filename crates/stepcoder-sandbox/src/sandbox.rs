use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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

use rand::rngs::StdRng;
use rand::SeedableRng;

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

/// How each test's limit is chosen: wall-clock time (not deterministic: the same program
/// may pass on an idle machine and time out on a loaded one) or wasm fuel (deterministic:
/// the same program and test always stop at the same point, on any machine and under any
/// load, at a cost of about 10-25% in speed).
///
/// Under the fuel budgets [`SandboxConfig::timeout`] is only a safety net: a test stopped by
/// it did not run out of fuel, so its result would depend on the machine. It is never
/// reported as the program's [`Outcome::Timeout`]: `execute` returns
/// [`SandboxError::SafetyNet`] (an executor error) and [`Sandbox::safety_net_stops`] counts
/// it. A program that only sleeps (`time.sleep` uses almost no fuel) reaches the safety net.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimeBudget {
    /// Wall clock: every test gets [`SandboxConfig::timeout`]. Not deterministic.
    Fixed,
    /// Wall clock: each test gets `max(floor, factor x the canonical solution's time on it)`,
    /// capped at [`SandboxConfig::timeout`]: a wrong program stuck in a loop costs little,
    /// while heavy problems keep the time they need. The canonical solution is measured once
    /// per problem (in this sandbox) and remembered. Not deterministic (the measurement is
    /// a time too).
    Derived { factor: f64, floor_ms: u64 },
    /// Deterministic: every test gets `fuel` units of wasm fuel (about one per wasm
    /// instruction).
    Fuel { fuel: u64 },
    /// Deterministic: each test gets `max(floor, factor x the fuel the canonical solution
    /// used on it)`, at most `fuel`; `fuel` where the problem has no canonical solution or it
    /// fails that test (the rule evalplus uses for time limits, in fuel). Measured once per
    /// problem and remembered.
    DerivedFuel { factor: f64, floor: u64, fuel: u64 },
}

impl TimeBudget {
    /// Whether limits are counted in fuel, so that outcomes do not depend on the machine.
    pub fn is_deterministic(&self) -> bool {
        matches!(
            self,
            TimeBudget::Fuel { .. } | TimeBudget::DerivedFuel { .. }
        )
    }

    /// The recommended deterministic budget for training and evaluation:
    /// `DerivedFuel { factor: 10, floor: DEFAULT_FUEL_FLOOR, fuel: DEFAULT_FUEL }`.
    pub fn deterministic() -> Self {
        TimeBudget::DerivedFuel {
            factor: 10.0,
            floor: DEFAULT_FUEL_FLOOR,
            fuel: DEFAULT_FUEL,
        }
    }
}

/// Fuel per test of [`TimeBudget::deterministic`] where no canonical solution tells more, and
/// its cap. A counting loop costs about 2,100 fuel per iteration in the guest (measured by the
/// tests); how many seconds a unit of fuel is depends on the machine and was not measured yet.
pub const DEFAULT_FUEL: u64 = 4_000_000_000;

/// Smallest derived fuel budget of [`TimeBudget::deterministic`]: a few milliseconds of the
/// interpreter, room for a correct program that takes another road than the canonical one.
pub const DEFAULT_FUEL_FLOOR: u64 = 50_000_000;

/// The limit of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestLimit {
    /// Wall-clock limit: the limit under the wall-clock budgets, the safety net under the
    /// fuel budgets.
    pub wall: Duration,
    /// Fuel limit, if any: the limit under the fuel budgets (and the optional extra cap
    /// [`SandboxConfig::fuel`] under the wall-clock ones).
    pub fuel: Option<u64>,
}

/// Limits and options of a [`Sandbox`].
///
/// The default is wall-clock (`TimeBudget::Fixed`, 10 s per test), so that callers that set
/// only `timeout` keep meaning seconds; [`SandboxConfig::deterministic`] gives fuel budgets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// Wall-clock limit per test, measured against a monotonic clock (checked at epoch
    /// interruptions, about every millisecond), so it means seconds however many callers
    /// share the machine. Under the fuel budgets it is only the safety net (see
    /// [`TimeBudget`]). [`Sandbox::run`] always uses it as its limit.
    pub timeout: Duration,
    /// An extra fuel cap per test under the wall-clock budgets (`Fixed`, `Derived`); a stop by
    /// either limit is a `Timeout`, so this alone does not make outcomes deterministic. Must be
    /// `None` with the fuel budgets, which carry their own fuel.
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
    /// Problems whose derived budgets ([`TimeBudget::Derived`], [`TimeBudget::DerivedFuel`])
    /// are remembered; the least recently used are forgotten beyond that.
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

impl SandboxConfig {
    /// The defaults with deterministic limits ([`TimeBudget::deterministic`]) and a 30 s
    /// wall-clock safety net: what training and evaluation should use.
    pub fn deterministic() -> Self {
        SandboxConfig {
            timeout: Duration::from_secs(30),
            budget: TimeBudget::deterministic(),
            ..SandboxConfig::default()
        }
    }

    /// Whether outcomes are independent of the machine and its load (fuel budgets).
    pub fn is_deterministic(&self) -> bool {
        self.budget.is_deterministic()
    }

    fn check(&self) -> Result<(), SandboxError> {
        let bad = |m: String| Err(SandboxError::Config(m));
        if self.timeout.is_zero() {
            return bad("timeout must be positive".into());
        }
        if self.memory_limit < 64 << 20 {
            return bad(format!(
                "memory_limit {} bytes is below the 64 MiB the interpreter needs",
                self.memory_limit
            ));
        }
        if self.fuel == Some(0) {
            return bad("fuel must be positive".into());
        }
        let factor_ok = |f: f64| f.is_finite() && f > 0.0;
        match self.budget {
            TimeBudget::Fixed => {}
            TimeBudget::Derived { factor, .. } => {
                if !factor_ok(factor) {
                    return bad(format!("budget factor {factor} must be a positive number"));
                }
            }
            TimeBudget::Fuel { fuel } | TimeBudget::DerivedFuel { fuel, .. } => {
                if self.fuel.is_some() {
                    return bad(
                        "`fuel` is the extra cap of the wall-clock budgets; a fuel budget \
                         carries its own fuel (set it there and leave `fuel` unset)"
                            .into(),
                    );
                }
                if fuel == 0 {
                    return bad("the budget's fuel must be positive".into());
                }
                if let TimeBudget::DerivedFuel { factor, floor, .. } = self.budget {
                    if !factor_ok(factor) {
                        return bad(format!("budget factor {factor} must be a positive number"));
                    }
                    if floor > fuel {
                        return bad(format!(
                            "budget floor {floor} is above the budget's fuel {fuel}"
                        ));
                    }
                }
            }
        }
        Ok(())
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

impl Live {
    /// Drops the instance and keeps its pool slot (for the program's next instance).
    fn release(self) -> Slot {
        let Live { store, _slot, .. } = self;
        drop(store);
        _slot
    }
}

/// What a part of a test run carries from one test to the next: an instance fit for more
/// tests, or only the slot of one dropped after a trap or limit.
enum Held {
    Live(Live),
    Slot(Slot),
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

    /// A slot if one is free now (never waits).
    fn try_take(self: &Arc<Self>) -> Option<Slot> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if *free == 0 {
            return None;
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
    budgets: Mutex<BoundedCache<String, Arc<Vec<TestLimit>>>>,
    /// Tests stopped by the wall-clock safety net of a fuel budget (see [`TimeBudget`]).
    safety_net_stops: AtomicU64,
    /// Batch jobs answered with the report of the same program run on the same problem in
    /// that batch (see [`Sandbox::execute_many`]).
    shared_reports: AtomicU64,
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
        config.check()?;
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
            .consume_fuel(config.fuel.is_some() || config.is_deterministic())
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
            safety_net_stops: AtomicU64::new(0),
            shared_reports: AtomicU64::new(0),
            debug_stderr: std::env::var_os("STEPCODER_SANDBOX_DEBUG").is_some(),
        })
    }

    /// The configuration this sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Tests stopped so far by the wall-clock safety net of a fuel budget: each was returned
    /// as [`SandboxError::SafetyNet`], never as an outcome. Non-zero means the machine was
    /// too loaded (or a program slept) for the safety net set.
    pub fn safety_net_stops(&self) -> u64 {
        self.safety_net_stops.load(Ordering::Relaxed)
    }

    /// Batch jobs so far that did not run because the same program ran on the same problem
    /// in their batch (under the fuel budgets; see [`Sandbox::execute_many`]).
    pub fn shared_reports(&self) -> u64 {
        self.shared_reports.load(Ordering::Relaxed)
    }

    /// Whether the engine counts fuel (a fuel budget, or the extra cap).
    fn fuel_enabled(&self) -> bool {
        self.config.fuel.is_some() || self.config.is_deterministic()
    }

    /// The limit of a program's preparation (compiling it): the whole wall-clock limit, and
    /// the largest fuel any of its tests may get.
    fn start_limit(&self) -> TestLimit {
        let fuel = match self.config.budget {
            TimeBudget::Fuel { fuel } | TimeBudget::DerivedFuel { fuel, .. } => Some(fuel),
            TimeBudget::Fixed | TimeBudget::Derived { .. } => self.config.fuel,
        };
        TestLimit {
            wall: self.config.timeout,
            fuel,
        }
    }

    /// What a trap means. Under a fuel budget a wall-clock stop is the safety net: the
    /// sandbox's failure (counted), never the program's outcome; `deterministic` is false for
    /// [`Sandbox::run`], whose limit is the wall clock.
    fn trap_outcome(
        &self,
        e: &wasmtime::Error,
        store: &Store<State>,
        deterministic: bool,
        problem: &str,
        test: Option<usize>,
    ) -> Result<Outcome, SandboxError> {
        if deterministic && matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            self.safety_net_stops.fetch_add(1, Ordering::Relaxed);
            return Err(SandboxError::SafetyNet {
                problem: problem.to_string(),
                test,
                wall: self.config.timeout,
            });
        }
        Ok(classify_trap(e, store.data().limiter.refused))
    }

    /// A fresh instance in a free pool slot (waiting up to `instance_wait` for one). Any
    /// failure here is the sandbox's: no program has run yet.
    /// With `slot` given, uses it instead of waiting for one.
    fn instantiate(&self, slot: Option<Slot>) -> Result<Live, SandboxError> {
        let until = Instant::now() + self.config.instance_wait;
        let exhausted = || SandboxError::PoolExhausted {
            waited: self.config.instance_wait,
        };
        let mut slot = match slot {
            Some(s) => s,
            None => self.slots.take(until).ok_or_else(exhausted)?,
        };
        loop {
            match self.try_instantiate(slot)? {
                Ok(live) => return Ok(live),
                // Our slot count follows the pool's size, so this should not happen; if the
                // pool is full anyway, wait for a release: a full pool is never an outcome.
                Err(s) => {
                    if Instant::now() >= until {
                        return Err(exhausted());
                    }
                    self.slots.wait_release(until);
                    slot = s;
                }
            }
        }
    }

    /// One instantiation in `slot`; `Ok(Err(slot))` when wasmtime's pool was full.
    fn try_instantiate(&self, slot: Slot) -> Result<Result<Live, Slot>, SandboxError> {
        let mut builder = WasiCtxBuilder::new();
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if self.debug_stderr {
            // Harness failures print a Python traceback on the guest's own stderr.
            builder.inherit_stderr();
        }
        if self.config.budget.is_deterministic() {
            // The same random numbers in every run, so a program that draws them (its own
            // `random`, a hash seed) gets the same outcome too.
            builder
                .secure_random(StdRng::seed_from_u64(GUEST_RANDOM_SEED))
                .insecure_random(StdRng::seed_from_u64(GUEST_RANDOM_SEED + 1))
                .insecure_random_seed(u128::from(GUEST_RANDOM_SEED));
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
        // (Only the pre-initialized interpreter's own start runs here, never the program.)
        self.arm(
            &mut store,
            TestLimit {
                wall: self.config.timeout,
                fuel: None,
            },
        );
        match self.pre.instantiate(&mut store) {
            Ok(harness) => Ok(Ok(Live {
                store,
                harness,
                _slot: slot,
            })),
            Err(e) if is_pool_full(&e) => Ok(Err(slot)),
            Err(e) => Err(SandboxError::Guest {
                context: "instantiating the guest",
                message: format!("{e:#}"),
            }),
        }
    }

    /// Gives `store` `limit` from now: a wall-clock deadline, and fuel when the engine
    /// counts it (`None`: as good as unlimited).
    fn arm(&self, store: &mut Store<State>, limit: TestLimit) {
        store.data_mut().deadline = Instant::now() + limit.wall;
        store.set_epoch_deadline(ticks_for(limit.wall));
        if self.fuel_enabled() {
            // Cannot fail: fuel is enabled.
            let _ = store.set_fuel(limit.fuel.unwrap_or(u64::MAX));
        }
    }

    /// Instantiates (in `slot`, or a slot waited for) and prepares `program`; `Err` carries
    /// the outcome of a failed start.
    fn start(
        &self,
        slot: Option<Slot>,
        program: &str,
        header: bool,
        deterministic: bool,
        problem: &str,
    ) -> Result<(Live, Prepared), StartError> {
        let mut live = self.instantiate(slot).map_err(StartError::Sandbox)?;
        let cap = u32::try_from(self.config.output_limit).unwrap_or(u32::MAX);
        self.arm(&mut live.store, self.start_limit());
        let p = match live
            .harness
            .call_prepare(&mut live.store, program, header, cap, cap)
        {
            Ok(p) => p,
            Err(e) => {
                return Err(
                    match self.trap_outcome(&e, &live.store, deterministic, problem, None) {
                        Ok(outcome) => StartError::Outcome(outcome),
                        Err(e) => StartError::Sandbox(e),
                    },
                )
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

    /// Runs `program` once on `stdin` (no tests, no comparison): what `stepcoder exec` prints
    /// and what `serve`'s `/run_code` answers. Its limit is always the wall clock
    /// ([`SandboxConfig::timeout`], SandboxFusion's seconds-based `run_timeout`), plus the
    /// extra cap [`SandboxConfig::fuel`] if set; the fuel budgets do not apply. A panic inside
    /// the sandbox is [`SandboxError::Panic`].
    pub fn run(&self, program: &str, stdin: &str) -> Result<RunReport, SandboxError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            #[cfg(test)]
            tests::fault_hook(program);
            self.run_inner(program, stdin)
        }))
        .map_err(|_| SandboxError::Panic("running a program (plain run)".into()))?
    }

    fn run_inner(&self, program: &str, stdin: &str) -> Result<RunReport, SandboxError> {
        let mut report = RunReport {
            status: RunStatus::Ok,
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
            error: None,
            executed_lines: Vec::new(),
            executable_lines: Vec::new(),
        };
        let (mut live, prepared) = match self.start(None, program, false, false, "<run>") {
            Ok(x) => x,
            Err(StartError::Outcome(outcome)) => {
                report.status = run_status(&outcome);
                report.exit_code = 1;
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
        self.arm(
            &mut live.store,
            TestLimit {
                wall: self.config.timeout,
                fuel: self.config.fuel,
            },
        );
        match live.harness.call_run_test(&mut live.store, &spec) {
            Ok(r) => {
                report.exit_code = r.exit_code;
                report.status = match r.status.as_str() {
                    "ok" => RunStatus::Ok,
                    "memory" => RunStatus::MemoryLimit,
                    "output-limit" => RunStatus::OutputLimit,
                    "exception" | "exit" => RunStatus::RuntimeError,
                    other => return Err(unknown_status(other)),
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

    /// Per-test limits for `problem` under this sandbox's [`TimeBudget`] (the derived ones
    /// run the canonical solution once and are remembered).
    pub fn budgets(&self, problem: &Problem) -> Result<Arc<Vec<TestLimit>>, SandboxError> {
        let n = problem.tests.len();
        let timeout = self.config.timeout;
        let fixed = |fuel| {
            Arc::new(vec![
                TestLimit {
                    wall: timeout,
                    fuel
                };
                n
            ])
        };
        match self.config.budget {
            TimeBudget::Fixed => return Ok(fixed(self.config.fuel)),
            TimeBudget::Fuel { fuel } => return Ok(fixed(Some(fuel))),
            TimeBudget::Derived { .. } | TimeBudget::DerivedFuel { .. } => {}
        }
        let key = format!("{}\0{}", problem.id, problem.canonical_solution);
        if let Some(b) = self.budgets.lock().ok().and_then(|mut m| m.get(&key)) {
            return Ok(b);
        }
        let full = self.start_limit();
        let cost = if problem.canonical_solution.trim().is_empty() {
            None
        } else {
            let limits = vec![full; n];
            // Measured as the programs will run (with coverage if they have it), so that a
            // program as costly as the canonical solution fits a factor of 1.
            Some(self.execute_inner(
                &problem.canonical_solution,
                problem,
                &limits,
                self.config.coverage,
                None,
            )?)
        };
        let passed = |i: usize| {
            cost.as_ref()
                .and_then(|(r, used)| Some((r.tests.get(i)?, *used.get(i)?)))
                .filter(|(t, _)| t.outcome.is_passed())
        };
        let budgets: Vec<TestLimit> = (0..n)
            .map(|i| match (self.config.budget, passed(i)) {
                (TimeBudget::Derived { factor, floor_ms }, Some((t, _))) => {
                    let scaled = Duration::from_micros(t.duration_us).mul_f64(factor.max(1.0));
                    TestLimit {
                        wall: scaled.max(Duration::from_millis(floor_ms)).min(timeout),
                        fuel: self.config.fuel,
                    }
                }
                (
                    TimeBudget::DerivedFuel {
                        factor,
                        floor,
                        fuel,
                    },
                    Some((_, used)),
                ) => {
                    // f64 holds every fuel count below 2^53 exactly: the same on every machine.
                    let scaled = (used as f64 * factor.max(1.0)).min(u64::MAX as f64) as u64;
                    TestLimit {
                        wall: timeout,
                        fuel: Some(scaled.max(floor).min(fuel)),
                    }
                }
                // A canonical solution that fails this test tells nothing: the full limit.
                _ => full,
            })
            .collect();
        let budgets = Arc::new(budgets);
        if let Ok(mut m) = self.budgets.lock() {
            m.insert(key, budgets.clone());
        }
        Ok(budgets)
    }

    /// Runs `program` on every test of `problem` under `limits`; also returns the fuel each
    /// test used (0 where fuel is not counted).
    fn execute_inner(
        &self,
        program: &str,
        problem: &Problem,
        limits: &[TestLimit],
        coverage: bool,
        slot: Option<Slot>,
    ) -> Result<(ExecReport, Vec<u64>), SandboxError> {
        let deterministic = self.config.is_deterministic();
        let header =
            self.config.import_header && !matches!(problem.kind, ProblemKind::Assert { .. });
        let (live, prepared) = match self.start(slot, program, header, deterministic, &problem.id) {
            Ok(x) => x,
            Err(StartError::Sandbox(e)) => return Err(e),
            Err(StartError::Outcome(outcome)) => {
                // The program did not even compile within the limits (a huge program): every
                // test gets that outcome.
                let tests: Vec<TestReport> = problem
                    .tests
                    .iter()
                    .map(|_| TestReport::new(outcome.clone()))
                    .collect();
                let used = vec![0; tests.len()];
                return Ok((ExecReport::from_tests(tests), used));
            }
        };
        if let Some(ce) = prepared.compile_error {
            return Ok((
                ExecReport::compile_failure(ce),
                vec![0; problem.tests.len()],
            ));
        }
        let run = TestRun {
            sandbox: self,
            program,
            problem,
            limits,
            coverage,
            header,
            // Under a fuel budget every test runs after the same tests in the same instance
            // (a fresh one only after a trap or limit), so the fuel each uses is the same in
            // every run; splitting over idle workers would make that depend on timing.
            split: !deterministic,
            failure: Mutex::new(None),
        };
        let (tests, _) = run.range(0, problem.tests.len(), Some(Held::Live(live)));
        if let Some(e) = run.failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
            // A test could not get an instance: no report rather than a made-up outcome.
            return Err(e);
        }
        let (tests, used): (Vec<TestReport>, Vec<u64>) = tests.into_iter().unzip();
        let mut report = ExecReport::from_tests(tests);
        report.executable_lines = prepared.executable_lines;
        Ok((report, used))
    }

    /// Runs `program` against every test of `problem`.
    ///
    /// `Err` is always the sandbox's failure, never the program's: no free instance in time
    /// ([`SandboxError::PoolExhausted`]), a fuel budget's safety net reached
    /// ([`SandboxError::SafetyNet`]), the guest misbehaving.
    pub fn execute_program(
        &self,
        program: &str,
        problem: &Problem,
    ) -> Result<ExecReport, SandboxError> {
        // Inside rayon's pool from the start (a caller outside it waits here): the tests run
        // there anyway, and an instance made on the caller's thread would sit in its pool slot
        // while the tests wait for a worker, so many callers could fill the pool with idle
        // instances while a worker waits for a slot.
        #[cfg(test)]
        tests::fault_hook(program);
        let limits = self.budgets(problem)?;
        let slot = self.take_slot()?;
        self.execute_in(program, problem, &limits, slot)
    }

    /// A pool slot, waiting up to `instance_wait` for one.
    ///
    /// Slots are taken here, on the caller's thread, before any work enters rayon's pool:
    /// inside the pool nothing waits for a slot. (A worker waiting inside `rayon::join` runs
    /// other jobs; had one of them waited for a slot while the worker held one further down
    /// its stack, a few programs could hold every slot and wait for each other.)
    fn take_slot(&self) -> Result<Slot, SandboxError> {
        self.slots
            .take(Instant::now() + self.config.instance_wait)
            .ok_or(SandboxError::PoolExhausted {
                waited: self.config.instance_wait,
            })
    }

    /// Runs `program` in an instance in `slot`, inside rayon's pool.
    fn execute_in(
        &self,
        program: &str,
        problem: &Problem,
        limits: &[TestLimit],
        slot: Slot,
    ) -> Result<ExecReport, SandboxError> {
        rayon::scope(|_| {
            self.execute_inner(program, problem, limits, self.config.coverage, Some(slot))
                .map(|(report, _)| report)
        })
    }

    /// Runs many programs on all cores (rayon); results come back in input order and a
    /// panic in one job becomes that job's error, never the batch's.
    ///
    /// Under the fuel budgets a program's report on a problem depends on nothing else, so a
    /// program repeated on the same problem (the same `Problem`, by address) runs once and
    /// every copy gets its report: a group of rollouts often repeats its programs.
    pub fn execute_many(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        if !self.config.budget.is_deterministic() {
            return self.execute_each(jobs);
        }
        let mut first_of: HashMap<(&str, *const Problem), usize> = HashMap::new();
        let mut distinct: Vec<(&str, &Problem)> = Vec::new();
        let copy_of: Vec<usize> = jobs
            .iter()
            .map(|&(program, problem)| {
                *first_of
                    .entry((program, problem as *const Problem))
                    .or_insert_with(|| {
                        distinct.push((program, problem));
                        distinct.len() - 1
                    })
            })
            .collect();
        let reports = self.execute_each(&distinct);
        self.shared_reports
            .fetch_add((jobs.len() - distinct.len()) as u64, Ordering::Relaxed);
        copy_of
            .into_iter()
            .map(|i| match &reports[i] {
                Ok(report) => Ok(report.clone()),
                Err(CoreError::Executor(message)) => Err(CoreError::Executor(message.clone())),
                Err(other) => Err(CoreError::Executor(other.to_string())),
            })
            .collect()
    }

    /// [`Sandbox::execute_many`] without sharing reports: every job runs.
    ///
    /// This thread feeds the jobs to rayon's pool, each with a pool slot taken here (see
    /// `take_slot`), so a full pool slows the batch down but never stalls it.
    fn execute_each(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        let results: Vec<Mutex<Option<Result<ExecReport, CoreError>>>> =
            jobs.iter().map(|_| Mutex::new(None)).collect();
        rayon::in_place_scope(|scope| {
            for ((program, problem), out) in jobs.iter().zip(&results) {
                let put = |r| *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                let prepared = catch_panic(problem, || {
                    #[cfg(test)]
                    tests::fault_hook(program);
                    let limits = self.budgets(problem)?;
                    Ok((limits, self.take_slot()?))
                });
                match prepared {
                    Err(e) => put(Err(e)),
                    Ok((limits, slot)) => scope.spawn(move |_| {
                        put(catch_panic(problem, || {
                            self.execute_in(program, problem, &limits, slot)
                        }))
                    }),
                }
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Err(CoreError::Executor("a batch job did not run".into())))
            })
            .collect()
    }

    /// [`Sandbox::execute_program`] with a panic turned into an executor error.
    fn execute_caught(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError> {
        catch_panic(problem, || self.execute_program(program, problem))
    }
}

impl Executor for Sandbox {
    /// A panic inside the sandbox becomes an executor error, never an outcome.
    fn execute(&self, program: &str, problem: &Problem) -> Result<ExecReport, CoreError> {
        self.execute_caught(program, problem)
    }

    fn execute_batch(&self, jobs: &[(&str, &Problem)]) -> Vec<Result<ExecReport, CoreError>> {
        self.execute_many(jobs)
    }
}

/// Seed of the random numbers programs see under the fuel budgets.
const GUEST_RANDOM_SEED: u64 = 0x5EED_C0DE;

/// `f`, with a panic turned into an executor error naming `problem` (a bug of the sandbox,
/// never an outcome).
fn catch_panic<T>(
    problem: &Problem,
    f: impl FnOnce() -> Result<T, SandboxError>,
) -> Result<T, CoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| {
            Err(SandboxError::Panic(format!(
                "running a program on problem {}",
                problem.id
            )))
        })
        .map_err(CoreError::from)
}

/// The tests of one program, run over as many instances as there are idle worker threads.
///
/// The tests are split in halves with `rayon::join`: a half that no idle thread steals runs
/// on the same thread right after the first half, in the same instance; a stolen half starts
/// a fresh instance of the same program. So a program with heavy tests no longer runs them
/// one after another on one core while the other cores idle, and with all cores busy (a
/// training batch) nothing changes. An instance still serves only the tests of one program
/// and is dropped after any trap or limit. Under a fuel budget nothing is split (`split`).
struct TestRun<'a> {
    sandbox: &'a Sandbox,
    program: &'a str,
    problem: &'a Problem,
    limits: &'a [TestLimit],
    coverage: bool,
    header: bool,
    split: bool,
    /// The first failure of the sandbox itself (no instance for a test, the safety net, an
    /// unknown guest status): the run's result.
    failure: Mutex<Option<SandboxError>>,
}

/// Hands the first half's instance to the second half when that runs after it on any thread.
struct Handoff {
    second_started: bool,
    held: Option<Held>,
}

/// One test's report and the fuel it used.
type Ran = (TestReport, u64);

impl TestRun<'_> {
    /// Runs tests `lo..hi` (reports in order), starting with `held` if given; returns what it
    /// holds at the end (an instance still fit for more tests of this program, or a slot).
    fn range(&self, lo: usize, hi: usize, held: Option<Held>) -> (Vec<Ran>, Option<Held>) {
        if !self.split || hi <= lo + 1 {
            let mut held = held;
            let mut out = Vec::with_capacity(hi.saturating_sub(lo));
            for i in lo..hi {
                if self.failed() {
                    // The run's result is the error: stop spending time on it.
                    break;
                }
                let (ran, next) = self.one(i, held);
                out.push(ran);
                held = next;
            }
            return (out, held);
        }
        let mid = lo + (hi - lo) / 2;
        let handoff = Mutex::new(Handoff {
            second_started: false,
            held: None,
        });
        let lock = || handoff.lock().unwrap_or_else(|e| e.into_inner());
        let ((mut first, first_held), second) = rayon::join(
            || {
                let (reports, held) = self.range(lo, mid, held);
                let mut h = lock();
                if h.second_started {
                    // The second half started elsewhere; it may yet hand its tests back.
                    (reports, held)
                } else {
                    h.held = held;
                    (reports, None)
                }
            },
            || {
                let held = {
                    let mut h = lock();
                    h.second_started = true;
                    h.held.take()
                };
                if held.is_some() {
                    return Some(self.range(mid, hi, held));
                }
                // Stolen while the first half runs: a fresh instance only if a slot is free
                // now (nothing waits for a slot inside rayon's pool, see `take_slot`);
                // otherwise the first half runs these tests afterwards.
                let slot = self.sandbox.slots.try_take()?;
                Some(self.range(mid, hi, Some(Held::Slot(slot))))
            },
        );
        let (second, held) = match second {
            Some(done) => done,
            None => self.range(mid, hi, first_held),
        };
        first.extend(second);
        (first, held)
    }

    fn failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Records the sandbox's failure; the report returned with it is a placeholder that is
    /// never returned (`execute_inner` returns the error instead).
    fn fail(&self, e: SandboxError) -> (Ran, Option<Held>) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.get_or_insert(e);
        ((TestReport::new(Outcome::Timeout), 0), None)
    }

    /// Runs test `i` in the instance held (or a fresh one, in the slot held).
    fn one(&self, i: usize, held: Option<Held>) -> (Ran, Option<Held>) {
        let sb = self.sandbox;
        let deterministic = sb.config.is_deterministic();
        let test = &self.problem.tests[i];
        let limit = self.limits.get(i).copied().unwrap_or(sb.start_limit());
        let slot = match held {
            Some(Held::Live(l)) => Ok(l),
            Some(Held::Slot(s)) => Err(Some(s)),
            None => Err(None),
        };
        let mut inst = match slot {
            Ok(l) => l,
            // `None` only after a start failed with an outcome (its slot went with it): then
            // this waits for a slot, holding none.
            Err(slot) => match sb.start(
                slot,
                self.program,
                self.header,
                deterministic,
                &self.problem.id,
            ) {
                Ok((l, _)) => l,
                Err(StartError::Outcome(outcome)) => return ((TestReport::new(outcome), 0), None),
                Err(StartError::Sandbox(e)) => return self.fail(e),
            },
        };
        let spec = spec_for(self.problem, test, self.coverage);
        sb.arm(&mut inst.store, limit);
        let t0 = Instant::now();
        let result = inst.harness.call_run_test(&mut inst.store, &spec);
        let duration_us = t0.elapsed().as_micros() as u64;
        let used = match (sb.fuel_enabled(), inst.store.get_fuel()) {
            (true, Ok(left)) => limit.fuel.unwrap_or(u64::MAX).saturating_sub(left),
            _ => 0,
        };
        match result {
            Ok(r) => {
                // After a MemoryError or a flood the heap is suspect: start afresh.
                let keep = matches!(
                    r.status.as_str(),
                    "ok" | "exception" | "exit" | "assert-failed"
                );
                match judge(self.problem, test, r) {
                    Ok(mut report) => {
                        report.duration_us = duration_us;
                        let next = if keep {
                            Held::Live(inst)
                        } else {
                            Held::Slot(inst.release())
                        };
                        ((report, used), Some(next))
                    }
                    Err(e) => self.fail(e),
                }
            }
            Err(e) => {
                match sb.trap_outcome(&e, &inst.store, deterministic, &self.problem.id, Some(i)) {
                    Ok(outcome) => {
                        let mut report = TestReport::new(outcome);
                        report.duration_us = duration_us;
                        ((report, used), Some(Held::Slot(inst.release())))
                    }
                    Err(e) => self.fail(e),
                }
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

/// A guest status this host does not know: the guest and host disagree (a build mismatch), so
/// nothing can be concluded about the program. Never a pass.
fn unknown_status(status: &str) -> SandboxError {
    SandboxError::Guest {
        context: "reading a test's result",
        message: format!("unknown status {status:?} from the guest"),
    }
}

/// Turns the guest's result into an outcome, comparing outputs on this side; an unknown
/// status is the sandbox's failure (never a pass).
fn judge(problem: &Problem, test: &TestCase, r: TestResult) -> Result<TestReport, SandboxError> {
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
        "ok" => match test {
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
            // The test's code ran to its end: every assert held.
            TestCase::Assert { .. } => Outcome::Passed,
        },
        other => return Err(unknown_status(other)),
    };
    Ok(TestReport {
        outcome,
        stdout: r.stdout,
        stderr: r.stderr,
        executed_lines: r.executed_lines,
        duration_us: 0,
    })
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
        // And alone, through `execute`, and through a plain run.
        assert!(matches!(sb.execute(&bad, &p), Err(CoreError::Executor(_))));
        assert!(matches!(sb.run(&bad, "5\n"), Err(SandboxError::Panic(_))));
        // The sandbox is still fine afterwards.
        assert_eq!(sb.run("print(input())\n", "5\n").unwrap().stdout, "5\n");
    }

    fn result(status: &str) -> TestResult {
        TestResult {
            status: status.into(),
            stdout: String::new(),
            stderr: String::new(),
            error_type: String::new(),
            message: String::new(),
            line: 0,
            exit_code: 0,
            result_json: String::new(),
            executed_lines: Vec::new(),
        }
    }

    #[test]
    fn an_unknown_guest_status_is_an_error_never_a_pass() {
        let mut p = echo();
        p.kind = ProblemKind::Assert { entry_point: None };
        let test = TestCase::Assert {
            code: "assert f() == 1".into(),
        };
        // "ok" on an assert test: the test code ran to its end, a pass.
        assert!(judge(&p, &test, result("ok")).unwrap().outcome.is_passed());
        for status in ["", "passed", "OK", "timeout"] {
            match judge(&p, &test, result(status)) {
                Err(SandboxError::Guest { message, .. }) => assert!(message.contains("unknown")),
                other => panic!("{status:?}: {other:?}"),
            }
        }
        // The same on a stdio test whose (empty) output would match.
        let stdio = TestCase::Stdio {
            input: String::new(),
            expected: String::new(),
        };
        assert!(judge(&echo(), &stdio, result("ok"))
            .unwrap()
            .outcome
            .is_passed());
        assert!(judge(&echo(), &stdio, result("weird")).is_err());
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
