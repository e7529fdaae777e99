//! `encore-run`: function-runner's CLI for Encore's Function host.

use clap::Parser;
use encore_host::{default_provider_path, scale_factor, FunctionHost, Limits};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs a Shopify Function (Wasm API v2) with Shopify's limits and function-runner's
/// instruction counts. Exit status: 0 success, 1 the Function failed, 2 bad arguments or files.
#[derive(Parser)]
#[command(name = "encore-run", version)]
struct Cli {
    /// Path to the Function's wasm module (as built, before the trampoline).
    #[arg(short, long, default_value = "function.wasm")]
    function: PathBuf,

    /// Path to the input JSON; read from stdin when omitted.
    #[arg(short, long)]
    input: Option<PathBuf>,

    /// Name of the export to run.
    #[arg(short, long, default_value = "run")]
    export: String,

    /// Print function-runner's JSON report instead of the summary.
    #[arg(short, long)]
    json: bool,

    /// GraphQL schema, for the @scaleLimits factor (needs --query-path).
    #[arg(short = 's', long, requires = "query_path")]
    schema_path: Option<PathBuf>,

    /// Input query, for the @scaleLimits factor (needs --schema-path).
    #[arg(short = 'q', long, requires = "schema_path")]
    query_path: Option<PathBuf>,

    /// Write the trampolined module that was run to this path.
    #[arg(long, value_name = "PATH")]
    dump_trampolined: Option<PathBuf>,

    /// The provider wasm (default: $ENCORE_PROVIDER_WASM or <target>/encore/shopify_function_provider.wasm).
    #[arg(long, value_name = "PATH")]
    provider: Option<PathBuf>,

    /// Also print the run's instructions per function (guest and provider), most first. Names
    /// come from the modules' name sections (a stripped module shows `func[index]`).
    #[arg(long)]
    profile: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("encore-run: {message}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    String::from_utf8(read(path, what)?)
        .map_err(|_| format!("the {what} {} is not UTF-8", path.display()))
}

/// Returns whether the Function succeeded.
fn run(cli: &Cli) -> Result<bool, String> {
    let input_text = match &cli.input {
        Some(path) => read(path, "input")?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read the input from stdin: {e}"))?;
            buf
        }
    };
    let input_name = cli
        .input
        .as_ref()
        .map_or("stdin".to_string(), |p| p.display().to_string());
    // Keys keep the file's order, as function-runner keeps them (its serde_json preserves
    // order) and as Shopify gives a Function its input in query order.
    let input: serde_json::Value = serde_json::from_slice(&input_text)
        .map_err(|e| format!("the input ({input_name}) is not valid JSON: {e}"))?;

    let factor = match (&cli.schema_path, &cli.query_path) {
        (Some(schema), Some(query)) => {
            let schema = read_text(schema, "schema")?;
            let query = read_text(query, "query")?;
            scale_factor(&schema, &query, &input).map_err(|e| e.to_string())?
        }
        _ => 1.0,
    };
    let limits = Limits::shopify().scaled(factor);

    let provider_path = cli.provider.clone().unwrap_or_else(default_provider_path);
    let provider = read(&provider_path, "provider")?;
    let host = FunctionHost::new(&provider).map_err(|e| e.to_string())?;
    let wasm = read(&cli.function, "Function module")?;
    let name = cli
        .function
        .file_name()
        .map_or("function.wasm".into(), |n| n.to_string_lossy().into_owned());
    let module = host
        .load(&wasm)
        .map_err(|e| format!("{}: {e}", cli.function.display()))?
        .named(&name);
    if let Some(path) = &cli.dump_trampolined {
        std::fs::write(path, module.trampolined_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let report = module.run(&cli.export, &input, &limits);
    if cli.profile {
        let (_, profile) = FunctionHost::profile(&provider, &wasm, &cli.export, &input, &limits)
            .map_err(|e| format!("{}: {e}", cli.function.display()))?;
        print!("{profile}");
        if profile.total != report.instructions {
            println!(
                "note: the profile counts {} instructions, the run {} (the profile assumes no trap)",
                profile.total, report.instructions
            );
        }
    }
    if cli.json {
        let json = report.to_json(&input);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialize")
        );
    } else {
        print!("{report}");
        if factor > 1.0 {
            println!("Scale factor   {factor:>14.3}");
        }
    }
    Ok(report.success)
}
