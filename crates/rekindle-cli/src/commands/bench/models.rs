//! `rekindle bench models`: BG/NBD fitted on customers drawn from the model with known
//! parameters, and the Python `lifetimes` package fitting the same customers in the same run.

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rekindle_models::bgnbd::BgNbd;
use rekindle_models::summary::Customer;
use serde_json::Value;

use crate::cli::BenchModelsArgs;

/// The published CDNOW parameters, with α moved from weeks to days (rates per day are a
/// seventh of rates per week).
const TRUTH: BgNbd = BgNbd { r: 0.243, alpha: 4.414 * 7.0, a: 0.793, b: 2.426 };
/// Customers are observed for 1 to this many days (acquired over a year).
const MAX_AGE_DAYS: u32 = 365;
/// Both fits must reach the same optimum: their log-likelihoods (lifetimes' parameters scored
/// by Rekindle's likelihood) within this much of each other, relative. lifetimes stops its BFGS
/// at a gradient tolerance of its own, so it may stop short of the optimum by a little.
const SAME_OPTIMUM: f64 = 1e-8;

/// Draw one customer's purchase days from the BG/NBD process: a Poisson rate λ ~ Gamma(r, α),
/// a drop-out chance p ~ Beta(a, b) after each repeat purchase, first purchase at day 0.
fn draw(rng: &mut ChaCha8Rng, lambda: &Gamma<f64>, dropout: &Beta<f64>) -> Customer {
    let age = f64::from(rng.random_range(1..=MAX_AGE_DAYS));
    let rate = lambda.sample(rng).max(1e-12);
    let p = dropout.sample(rng);
    let wait = Exp::new(rate).expect("a positive rate");
    let mut times = vec![0.0];
    let mut t = 0.0;
    loop {
        t += wait.sample(rng);
        if t > age {
            break;
        }
        times.push(t);
        if rng.random_bool(p) {
            break;
        }
    }
    // Whole days, as Rekindle summarises real purchases.
    Customer::from_purchases(&times, age, 1.0).expect("the first purchase is inside the window")
}

pub fn models(args: BenchModelsArgs) -> anyhow::Result<ExitCode> {
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let lambda = Gamma::new(TRUTH.r, 1.0 / TRUTH.alpha)?;
    let dropout = Beta::new(TRUTH.a, TRUTH.b)?;
    println!("drawing {} customers from BG/NBD…", args.customers);
    let customers: Vec<Customer> = (0..args.customers).map(|_| draw(&mut rng, &lambda, &dropout)).collect();
    let repeat = customers.iter().filter(|c| c.x > 0.0).count();

    let started = Instant::now();
    let fitted = BgNbd::fit(&customers).context("fitting BG/NBD")?;
    let seconds = started.elapsed().as_secs_f64();
    let m = BgNbd::params(&fitted);

    println!(
        "customers        {} ({repeat} with repeat purchases; ages 1–{MAX_AGE_DAYS} days; seed {})",
        args.customers, args.seed
    );
    println!("truth            r {:.4}  α {:.3}  a {:.4}  b {:.4}", TRUTH.r, TRUTH.alpha, TRUTH.a, TRUTH.b);
    println!(
        "rekindle         r {:.4}  α {:.3}  a {:.4}  b {:.4}  LL {:.2}  in {seconds:.3} s \
         (L-BFGS: {} iterations, {} evaluations, {} confirming restart(s))",
        m.r, m.alpha, m.a, m.b, fitted.log_likelihood, fitted.iterations, fitted.evaluations, fitted.restarts
    );

    let table = tempfile::Builder::new().suffix(".csv").tempfile().context("a temporary CSV")?;
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(table.path())?);
        writeln!(out, "frequency,recency,T")?;
        for c in &customers {
            writeln!(out, "{},{},{}", c.x, c.t_x, c.t)?;
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/lifetimes_bgnbd.py");
    match Command::new(&args.python).arg(script).arg(table.path()).output() {
        Ok(o) if o.status.success() => {
            let result: Value = serde_json::from_slice(&o.stdout).context("reading the lifetimes result")?;
            let p: Vec<f64> = result["params"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
            let theirs = BgNbd { r: p[0], alpha: p[1], a: p[2], b: p[3] };
            let their_seconds = result["seconds"].as_f64().unwrap_or(f64::NAN);
            // Their parameters judged by our likelihood, so the two optima compare.
            let their_ll = theirs.log_likelihood(&customers);
            println!(
                "lifetimes {}  r {:.4}  α {:.3}  a {:.4}  b {:.4}  LL {:.2}  in {their_seconds:.2} s",
                result["version"].as_str().unwrap_or("?"),
                theirs.r,
                theirs.alpha,
                theirs.a,
                theirs.b,
                their_ll
            );
            println!("ratio            lifetimes / rekindle = {:.1}× the time", their_seconds / seconds);
            let gap = (fitted.log_likelihood - their_ll) / fitted.log_likelihood.abs();
            println!(
                "optimum          rekindle LL − lifetimes LL = {:.4} ({gap:.1e} relative)",
                fitted.log_likelihood - their_ll
            );
            if gap.abs() > SAME_OPTIMUM || gap.is_nan() {
                eprintln!("the two fits did not reach the same optimum (tolerance {SAME_OPTIMUM:.0e} relative)");
                return Ok(ExitCode::FAILURE);
            }
        }
        Ok(o) => eprintln!("lifetimes not run: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => eprintln!("lifetimes not run: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
