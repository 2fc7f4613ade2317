//! Process-wide settings for CPU work, applied once at the start of `main`.

/// Fixes the thread count candle's CPU matmul asks for at every product, and returns it.
///
/// candle's CPU matmul looks its thread count up at every product
/// (`candle_core::utils::get_num_threads`). Unless `RAYON_NUM_THREADS` is set, that lookup
/// counts physical cores by reading and parsing `/proc/cpuinfo`, hundreds of times per sampled
/// token. This sets `RAYON_NUM_THREADS` to the count candle finds anyway, so products split
/// the same way and results do not change. rayon sizes its global pool from the same variable
/// (default: every logical CPU), so the global pool is built first, at its default size.
/// Does nothing when `RAYON_NUM_THREADS` is already set. `sample_speed` (an example of this
/// crate) measures what it saves.
///
/// Call it first thing in `main`, before any other thread starts: changing the environment
/// while another thread reads it is undefined behaviour on Linux.
///
/// ```
/// use stepcoder_model::candle::utils::get_num_threads;
///
/// let before = get_num_threads();
/// let threads = stepcoder_model::runtime::pin_cpu_threads();
/// assert_eq!(threads, before, "the count candle would find");
/// assert_eq!(get_num_threads(), threads);
/// assert_eq!(std::env::var("RAYON_NUM_THREADS").unwrap(), threads.to_string());
/// ```
pub fn pin_cpu_threads() -> usize {
    let threads = candle_core::utils::get_num_threads();
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // Fails only if the pool already exists, which then keeps its size either way.
        let _ = rayon::ThreadPoolBuilder::new().build_global();
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    threads
}
