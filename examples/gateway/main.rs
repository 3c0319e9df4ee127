//! An example AI gateway: an OpenAI-compatible `/v1/chat/completions` in
//! front of simulated providers (or real upstreams), with rate limits,
//! budgets, a response cache and circuit breakers, recording every metric
//! of `aigateway-metrics` and serving them at `/metrics`.
//!
//! ```text
//! cargo run --release --example gateway -- [--listen ADDR] [--config FILE]
//!                                          [--rate-limit-rps N] [--budget-usd X]
//!                                          [--no-recording]
//! ```

mod breaker;
mod config;
mod handlers;
mod openai;
mod provider;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use aigateway_metrics::axum::MetricsEndpoint;
use aigateway_metrics::prometheus_client::registry::Registry;
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;

use crate::config::Config;
use crate::state::AppState;

/// An example AI gateway that records aigateway-metrics.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TOML configuration (providers, models, prices, tenants); the built-in
    /// one when not given.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Requests per second allowed to each tenant without a limit of its own.
    #[arg(long)]
    rate_limit_rps: Option<f64>,
    /// Budget in USD of each tenant without a budget of its own.
    #[arg(long)]
    budget_usd: Option<f64>,
    /// Record no metrics (`/metrics` then shows no series): only to measure
    /// what recording costs, as `scripts/throughput.sh` does.
    #[arg(long)]
    no_recording: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("gateway: bad configuration: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(rps) = args.rate_limit_rps {
        config.defaults.rate_limit_rps = rps;
    }
    if let Some(budget) = args.budget_usd {
        config.defaults.budget_usd = budget;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let (app, registry) = AppState::new(config, !args.no_recording);
    match runtime.block_on(serve(args.listen, app, registry)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gateway: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, app: AppState, registry: Registry) -> std::io::Result<()> {
    let app = Arc::new(app);
    let router = Router::new()
        .route("/v1/chat/completions", post(handlers::chat_completions))
        // Negotiated, and gzipped when the scraper accepts it.
        .route("/metrics", MetricsEndpoint::new(registry).into_route())
        .route("/healthz", get(handlers::healthz))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("gateway listening on http://{addr}");
    println!("try: curl -s http://{addr}/v1/chat/completions -H 'x-tenant-id: acme' -H 'content-type: application/json' \\");
    println!("       -d '{{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello there\"}}]}}'");
    println!("     curl -s http://{addr}/metrics");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
