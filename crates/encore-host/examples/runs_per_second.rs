//! Benchmark: runs per second of one warm Function module on one input, on one core.
//!
//! `cargo run --release -p encore-host --example runs_per_second -- <function.wasm> <input.json> [seconds] [export]`

use encore_host::{FunctionHost, Limits};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [wasm, input, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: runs_per_second <function.wasm> <input.json> [seconds] [export]".into(),
        );
    };
    let seconds: f64 = rest.first().map_or(Ok(3.0), |s| s.parse())?;
    let export = rest.get(1).map_or("run", String::as_str);

    let host = FunctionHost::from_default_artifacts()?;
    let module = host.load(&std::fs::read(wasm)?)?;
    let input: serde_json::Value = serde_json::from_slice(&std::fs::read(input)?)?;
    let limits = Limits::shopify();

    let first = module.run(export, &input, &limits);
    if let Some(error) = &first.error {
        return Err(format!("the benchmark run fails: {error}").into());
    }
    // Warm up caches and the allocator.
    for _ in 0..50 {
        module.run(export, &input, &limits);
    }

    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut runs = 0u64;
    while start.elapsed() < budget {
        module.run(export, &input, &limits);
        runs += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{runs} runs in {elapsed:.2} s wall: {:.0} runs/s, {:.1} µs/run ({} instructions/run, {} B input)",
        runs as f64 / elapsed,
        elapsed * 1e6 / runs as f64,
        first.instructions,
        first.input_bytes,
    );
    // On a shared machine wall time includes waiting for a core; CPU time does not.
    if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
        let cpu = (b - a) as f64 / 1e9;
        println!(
            "on-CPU time {cpu:.2} s: {:.0} runs/s per core, {:.1} µs/run",
            runs as f64 / cpu,
            cpu * 1e6 / runs as f64
        );
    }
    Ok(())
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
