//! `rekindle score`: fit the models and score every buyer, now or as of a past day.

use std::process::ExitCode;

use rekindle_core::csv_cell;
use rekindle_core::scores::Risk;

use crate::cli::{Global, ScoreArgs};

pub async fn run(global: &Global, args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let (config, store, ws) = super::open(global).await?;
    let (now, tz) = super::segment::as_of(&*store, ws, args.as_of.as_deref()).await?;
    let judging = config.segments.judging();
    let audience = super::read_audience(&*store, ws, now, &judging, true).await?;
    let Some(fit) = &audience.context.fit else {
        eprintln!(
            "no predictions as of {}: the models could not be fitted (too few people bought twice)",
            now.with_timezone(&tz)
        );
        return Ok(ExitCode::from(3));
    };
    // Scores of now are kept on the profiles; a back-test's are only shown.
    let stored = audience.stored_scores();
    if args.as_of.is_none() {
        store.put_scores(ws, &stored).await?;
    }
    let scored: Vec<_> = audience.members.iter().filter_map(|m| Some((m, m.scores.as_deref()?))).collect();
    if args.csv {
        let mut out = csv::Writer::from_writer(std::io::stdout());
        out.write_record([
            "person",
            "p_alive",
            "expected_orders_30d",
            "clv_fen",
            "churn_risk",
            "next_category",
            "next_run_out_category",
            "next_run_out",
        ])?;
        for (m, s) in &scored {
            let next = s.run_outs.iter().filter(|r| r.at >= now).min_by_key(|r| r.at);
            out.write_record([
                m.person.to_string(),
                format!("{:.4}", s.p_alive),
                format!("{:.3}", s.expected_orders_30d),
                csv_cell::number(s.clv_fen),
                s.churn_risk.as_str().into(),
                csv_cell::text(s.next_category.as_deref().unwrap_or_default()).into_owned(),
                csv_cell::text(next.map_or("", |r| r.category.as_str())).into_owned(),
                next.map(|r| r.at.with_timezone(&tz).format("%Y-%m-%d").to_string()).unwrap_or_default(),
            ])?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let m = fit.bgnbd;
    println!("as of            {}", now.with_timezone(&tz));
    println!(
        "people           {} ({} scored: everyone who ordered{})",
        audience.members.len(),
        stored.len(),
        if args.as_of.is_none() { "; stored on their profiles" } else { "; a back-test, not stored" }
    );
    // α is a time scale: in days here, per week as Fader & Hardie publish it.
    println!(
        "BG/NBD           r {:.4}  α {:.3} (days; {:.3} in weeks)  a {:.4}  b {:.4}  LL {:.1}  ({} buyers, {} repeat; {} iterations)",
        m.r,
        m.alpha,
        m.alpha / 7.0,
        m.a,
        m.b,
        fit.log_likelihood,
        fit.customers,
        fit.repeat_buyers,
        fit.iterations
    );
    match fit.gamma_gamma {
        Some(g) => println!("Gamma-Gamma      p {:.3}  q {:.3}  γ {:.1}", g.p, g.q, g.gamma),
        None => println!("Gamma-Gamma      not fitted (too few repeat buyers with spend); CLV is 0"),
    }
    for risk in [Risk::High, Risk::Medium, Risk::Low] {
        let n = scored.iter().filter(|(_, s)| s.churn_risk == risk).count();
        println!("{:<17}{n}", format!("churn risk {}", risk.as_str()));
    }
    let soon = scored
        .iter()
        .filter(|(_, s)| s.run_outs.iter().any(|r| r.at >= now && r.at <= now + chrono::Duration::days(3)))
        .count();
    println!("{:<17}{soon} people", "runs out in 3d");
    let clv: i64 = scored.iter().map(|(_, s)| s.clv_fen).sum();
    println!("{:<17}¥{:.0} over {} months", "CLV, all buyers", clv as f64 / 100.0, judging.models.clv_months);
    Ok(ExitCode::SUCCESS)
}
