//! Server-wide counters reported by INFO stats, clients and errorstats.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A relaxed atomic counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Add one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Add `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Raise to `n` if larger.
    pub fn fetch_max(&self, n: u64) {
        self.0.fetch_max(n, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    /// Back to zero.
    pub fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

use std::sync::Mutex;

/// Counters updated by connections; all relaxed atomics, read by INFO.
#[derive(Debug, Default)]
pub struct Stats {
    /// `total_connections_received`
    pub connections_received: Counter,
    /// `rejected_connections` (over `maxclients`)
    pub rejected_connections: Counter,
    /// `total_commands_processed`
    pub commands_processed: Counter,
    /// `total_net_input_bytes`
    pub net_input_bytes: Counter,
    /// `total_net_output_bytes`
    pub net_output_bytes: Counter,
    /// `total_net_repl_input_bytes`
    pub net_repl_input_bytes: Counter,
    /// `total_net_repl_output_bytes`
    pub net_repl_output_bytes: Counter,
    /// `total_error_replies`
    pub error_replies: Counter,
    /// `total_reads_processed`
    pub reads_processed: Counter,
    /// `total_writes_processed`
    pub writes_processed: Counter,
    /// `total_forks`: snapshots begun (BGSAVE, AOF rewrite, full sync), ferrodis's
    /// fork-free counterpart of Redis's child processes.
    pub forks: Counter,
    /// `client_recent_max_input_buffer` (simplified: the max seen since RESETSTAT)
    pub max_input_buffer: Counter,
    /// `client_recent_max_output_buffer`
    pub max_output_buffer: Counter,
    /// `used_memory_peak`
    peak: Counter,
    /// Errors per code (`errorstat_ERR:count=3`), keyed by the first word of the error.
    errors: Mutex<BTreeMap<String, u64>>,
    /// Samples for `instantaneous_*`, taken by the cron.
    pub inst: Mutex<Instantaneous>,
}

/// Redis samples ops and bytes 16 times and reports the mean rate
/// (`trackInstantaneousMetric` in server.c).
#[derive(Debug, Default)]
pub struct Instantaneous {
    last: Option<(std::time::Instant, u64, u64, u64)>,
    ops: [f64; 16],
    input: [f64; 16],
    output: [f64; 16],
    idx: usize,
}

impl Instantaneous {
    /// (ops/sec, input kbps, output kbps) averaged over the samples.
    pub fn rates(&self) -> (u64, f64, f64) {
        let avg = |s: &[f64; 16]| s.iter().sum::<f64>() / 16.0;
        (
            avg(&self.ops).round() as u64,
            avg(&self.input) / 1024.0,
            avg(&self.output) / 1024.0,
        )
    }
}

impl Stats {
    /// Count an error reply under its code (the text up to the first space).
    pub fn count_error(&self, msg: &[u8]) {
        self.error_replies.inc();
        let code = msg.split(|&b| b == b' ').next().unwrap_or(b"ERR");
        let code = String::from_utf8_lossy(code).into_owned();
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        *errors.entry(code).or_default() += 1;
    }

    /// The errorstats section's entries.
    pub fn error_counts(&self) -> Vec<(String, u64)> {
        let errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        errors.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Record `used` as a candidate peak and return the peak.
    pub fn peak_memory(&self, used: u64) -> u64 {
        self.peak.fetch_max(used);
        self.peak.get()
    }

    /// (ops/sec, input kbps, output kbps) over the last samples.
    pub fn rates(&self) -> (u64, f64, f64) {
        self.inst.lock().unwrap_or_else(|e| e.into_inner()).rates()
    }

    /// Take one instantaneous sample (called by the cron).
    pub fn sample(&self) {
        let now = std::time::Instant::now();
        let ops = self.commands_processed.get();
        let input = self.net_input_bytes.get();
        let output = self.net_output_bytes.get();
        let mut inst = self.inst.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, o, i, w)) = inst.last {
            let dt = now.duration_since(t).as_secs_f64().max(1e-6);
            let idx = inst.idx;
            inst.ops[idx] = (ops.saturating_sub(o)) as f64 / dt;
            inst.input[idx] = (input.saturating_sub(i)) as f64 / dt;
            inst.output[idx] = (output.saturating_sub(w)) as f64 / dt;
            inst.idx = (idx + 1) % 16;
        }
        inst.last = Some((now, ops, input, output));
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.rejected_connections,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.error_replies,
            &self.reads_processed,
            &self.writes_processed,
            &self.max_input_buffer,
            &self.max_output_buffer,
            &self.forks,
        ] {
            c.reset();
        }
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.inst.lock().unwrap_or_else(|e| e.into_inner()) = Instantaneous::default();
    }
}
